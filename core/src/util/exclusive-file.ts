import { link, rm, stat, writeFile } from 'node:fs/promises';

/**
 * Lock files that appear whole or not at all. Created with the content written after the file
 * (`wx`), a process killed in between leaves an empty lock, and a second process reading it in that
 * instant takes it for debris. The content goes to a file named after our process first, then is
 * linked under the lock's name: a link fails when the name exists, and the name never points at an
 * empty file.
 */

/** The file a process writes a lock's content to before linking it (see `createWhole`). */
export const pendingFile = (file: string, pid: number) => `${file}.new-${pid}`;
/** The pid in a pending file's name. */
export const PENDING_FILE = /\.new-(\d+)$/;

/** Creates `file` holding `content` unless it exists; true when this call created it. */
export async function createWhole(file: string, content: string): Promise<boolean> {
  const pending = pendingFile(file, process.pid);
  await writeFile(pending, content);
  try {
    await link(pending, file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    await rm(pending, { force: true });
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
