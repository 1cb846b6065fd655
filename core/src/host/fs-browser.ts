import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { CaudalError } from '../util/errors.js';

/**
 * A folder listing for browser mode's file picker (no native dialogs there). It lists what the
 * user running `caudal serve` can read anyway; hidden entries are left out.
 */
export async function listFolder(dir: string, extensions?: string[]) {
  const abs = path.resolve(dir);
  const info = await stat(abs).catch(() => null);
  if (!info?.isDirectory()) throw new CaudalError('usage', `${abs} is not a folder`, { hint: 'pick an existing folder' });
  const wanted = extensions?.map((e) => `.${e.replace(/^\./, '').toLowerCase()}`);
  const entries = [];
  for (const e of await readdir(abs, { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue;
    const full = path.join(abs, e.name);
    // A link is listed as what it points to (a projects folder linked from elsewhere, a pipeline
    // shared by link), as a native dialog does; a broken one is left out.
    const target = e.isSymbolicLink() ? await stat(full).catch(() => null) : e;
    if (target?.isDirectory()) entries.push({ name: e.name, path: full, kind: 'dir' as const, bytes: null });
    else if (target?.isFile() && (!wanted || wanted.includes(path.extname(e.name).toLowerCase())))
      entries.push({ name: e.name, path: full, kind: 'file' as const, bytes: (await stat(full).catch(() => null))?.size ?? null });
  }
  entries.sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === 'dir' ? -1 : 1));
  const parent = path.dirname(abs);
  return { dir: abs, parent: parent === abs ? null : parent, entries };
}
