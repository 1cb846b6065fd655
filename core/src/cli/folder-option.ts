import { stat } from 'node:fs/promises';
import path from 'node:path';
import { CaudalError } from '../util/errors.js';

/**
 * A command-line option that names a folder the command creates when missing (`--artifacts-dir`,
 * `--state-dir`): refused before anything runs when the path, or a folder it would sit in, is a
 * file, instead of the file system's bare EEXIST/ENOTDIR later.
 */
export async function checkFolderOption(option: string, value: string | undefined): Promise<void> {
  if (value === undefined) return;
  const dir = path.resolve(value);
  for (let p = dir; ; p = path.dirname(p)) {
    const s = await stat(p).catch(() => undefined);
    if (s) {
      if (s.isDirectory()) return;
      const where = p === dir ? `${value} is a file` : `${p} is a file, so ${value} cannot be created inside it`;
      throw new CaudalError('usage', `${option} must be a folder: ${where}`, { hint: `name a folder (it is created when missing), not a file` });
    }
    if (path.dirname(p) === p) return;
  }
}
