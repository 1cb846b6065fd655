import { readFile, stat } from 'node:fs/promises';
import { NOT_A_PIPELINE, parsePipelineText } from '../model/load.js';
import { CaudalError } from '../util/errors.js';

/** Larger than any real pipeline; bigger files are refused before they are read. */
export const MAX_PIPELINE_BYTES = 20 * 1024 * 1024;

/**
 * The studio reads and writes pipeline files only: it opens regular files (never a device or a
 * pipe, which could block or never end), and it does not replace a file that is something else
 * unless the user said so.
 */
export async function checkOpenable(file: string): Promise<void> {
  const info = await stat(file).catch((e: NodeJS.ErrnoException) => {
    throw new CaudalError('io', `cannot open ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : e.message}`);
  });
  if (info.isDirectory()) throw new CaudalError('usage', `${file} is a folder`, { hint: 'pick a pipeline file (.json) inside it' });
  if (!info.isFile()) throw new CaudalError('usage', `${file} is not a regular file`, { hint: 'pick a pipeline file (.json)' });
  if (info.size > MAX_PIPELINE_BYTES) throw new CaudalError('usage', `${file} is ${NOT_A_PIPELINE}: it is ${info.size} bytes, more than a pipeline file can be (20 MB)`);
}

/**
 * Refuses to replace an existing file that does not load as a Caudal pipeline, unless
 * `overwrite` is set (the studio asks the user first). The error carries a `would_overwrite`
 * problem so a client can tell it from other failures.
 */
export async function checkOverwritable(file: string, overwrite: boolean): Promise<void> {
  const info = await stat(file).catch(() => null);
  if (!info) return;
  if (info.isDirectory()) throw new CaudalError('usage', `${file} is a folder`, { hint: 'save under a file name inside it' });
  if (overwrite) return;
  const isPipeline = info.isFile() && info.size <= MAX_PIPELINE_BYTES && parsePipelineText(await readFile(file, 'utf8')).pipeline !== undefined;
  if (isPipeline) return;
  const message = `${file} exists and is ${NOT_A_PIPELINE}: saving would replace it`;
  throw new CaudalError('usage', message, {
    hint: 'choose another file name, or confirm that it should be replaced (overwrite: true)',
    problems: [{ code: 'would_overwrite', path: '(document)', message }],
  });
}
