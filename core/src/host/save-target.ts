import { lstat, readlink, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { CaudalError } from '../util/errors.js';

/**
 * Where the studio's writes of a file (save, save as, export) land.
 *
 * Files are written whole through a temp name and a rename (util/atomic-write.ts). A rename onto
 * a symbolic link replaces the link itself: the file it points to (a pipeline shared from a team
 * folder, a dotfiles checkout) would keep the old version while the link became a private copy.
 * So the write goes to the file at the end of the links, with that file's permissions. Writes of one
 * file run in turn (util/file-turns.ts).
 */

const MAX_LINKS = 40;

/** The file a write of `file` must replace: `file` itself, or what its links lead to. */
export async function writeTarget(file: string): Promise<string> {
  let current = file;
  for (let hops = 0; hops <= MAX_LINKS; hops++) {
    const info = await lstat(current).catch(() => null);
    if (!info?.isSymbolicLink()) return current === file ? file : path.join(await realpath(path.dirname(current)).catch(() => path.dirname(current)), path.basename(current));
    // A link to an existing file: realpath settles every link on the way at once.
    const real = await realpath(current).catch(() => null);
    if (real) return real;
    // A link to a file not there yet: the write creates that file, as writing through the link would.
    current = path.resolve(path.dirname(current), await readlink(current));
  }
  throw new CaudalError('io', `${file} is a chain of more than ${MAX_LINKS} symbolic links`, { hint: 'point the link at the pipeline file itself' });
}

/** The permission bits of the file being replaced, so a save keeps a private or group-shared file as it was. */
export async function existingMode(file: string): Promise<number | undefined> {
  const info = await stat(file).catch(() => null);
  return info?.isFile() ? info.mode & 0o7777 : undefined;
}

