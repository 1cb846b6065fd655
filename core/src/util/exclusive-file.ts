import { randomUUID } from 'node:crypto';
import { link, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { ownerOf, ownerTag, type Owner } from './owner.js';

/**
 * Lock files that appear whole or not at all. Created with the content written after the file
 * (`wx`), a process killed in between leaves an empty lock, and a second process reading it in that
 * instant takes it for debris. The content goes to a file named after our process first, then is
 * linked under the lock's name: a link fails when the name exists, and the name never points at an
 * empty file. The pending file carries the owner tag (host and pid), so a leftover of a killed
 * process can be told from one being written.
 */

/** The file this process writes a lock's content to before linking it (see `createWhole`). */
const pendingFile = (file: string) => `${file}.new-${ownerTag()}`;

/**
 * The process that wrote a pending file, or moved a stale lock aside to remove it (see
 * removeIfStill), from its name; undefined for any other name. Removed once that process is gone.
 */
export function pendingOwner(name: string): Owner | undefined {
  if (/\.new-h[0-9a-f]{4}p\d+$/.test(name)) return ownerOf(name.slice(name.lastIndexOf('.new-')));
  if (/\.stale-h[0-9a-f]{4}p\d+-[0-9a-f]{8}$/.test(name)) return ownerOf(name.slice(name.lastIndexOf('.stale-')));
  return undefined;
}

/**
 * Removes a stale lock `file` only if it still holds `seen`, the content its owner was judged
 * dead by. Reading again and then removing would leave a gap in which another process removes the
 * same stale lock and takes its own, which this one would then delete: two holders. The file is
 * moved aside first (a rename takes whatever is there at once), then compared; a lock another
 * process took since it was read is put back.
 */
export async function removeIfStill(file: string, seen: string): Promise<void> {
  const aside = `${file}.stale-${ownerTag()}-${randomUUID().slice(0, 8)}`;
  try {
    await rename(file, aside);
  } catch {
    return; // gone already
  }
  try {
    if ((await readFile(aside, 'utf8').catch(() => null)) !== seen) await link(aside, file).catch(() => undefined);
  } finally {
    await rm(aside, { force: true });
  }
}

/** Creates `file` holding `content` unless it exists; true when this call created it. */
export async function createWhole(file: string, content: string): Promise<boolean> {
  const pending = pendingFile(file);
  try {
    // Inside the try: a write that fails part-way (a full disk) must not leave its part behind.
    await writeFile(pending, content);
    await link(pending, file);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // A file system without hard links: create it exclusively, content after (the older way).
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'ENOSYS' || code === 'EOPNOTSUPP') return exclusiveWrite(file, content);
    throw e;
  } finally {
    await rm(pending, { force: true });
  }
}

async function exclusiveWrite(file: string, content: string): Promise<boolean> {
  try {
    await writeFile(file, content, { flag: 'wx' });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

/**
 * A lock file that cannot be read this long after it was last written is debris: files made by
 * `createWhole` are never empty, so only a process killed while an older version created one (or a
 * full disk) leaves it so.
 */
export const UNREADABLE_STALE_MS = 5_000;

/** True for an existing file last written more than UNREADABLE_STALE_MS ago. */
export async function oldEnoughToBeDebris(file: string): Promise<boolean> {
  const info = await stat(file).catch(() => undefined);
  return info !== undefined && Date.now() - info.mtimeMs > UNREADABLE_STALE_MS;
}
