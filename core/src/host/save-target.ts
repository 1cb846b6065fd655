import { lstat, readlink, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { CaudalError } from '../util/errors.js';

/**
 * Where the studio's writes of a file (save, save as, export) land, and one at a time.
 *
 * Files are written whole through a temp name and a rename (util/atomic-write.ts). A rename onto
 * a symbolic link replaces the link itself: the file it points to (a pipeline shared from a team
 * folder, a dotfiles checkout) would keep the old version while the link became a private copy.
 * So the write goes to the file at the end of the links, with that file's permissions.
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

/**
 * Runs writes of the same file one after the other. A save checks the file (still the version the
 * studio opened? not some other file?) and then replaces it; two saves of one file at once (two
 * tabs, a double click) would both pass the check and the second would silently discard the
 * first. In turn, the second sees the first's file and is refused as changed on disk.
 */
export class WriteQueue {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(file: string, write: () => Promise<T>): Promise<T> {
    const before = this.tails.get(file) ?? Promise.resolve();
    const result = before.then(write);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(file, tail);
    try {
      return await result;
    } finally {
      if (this.tails.get(file) === tail) this.tails.delete(file);
    }
  }
}
