import type { Stats } from 'node:fs';
import { lstat, readlink, stat } from 'node:fs/promises';
import { CaudalError } from '../../util/errors.js';

/**
 * A file source's path that names a named pipe, a socket or a device (DuckDB's glob skips them, but
 * a path naming one exactly is read): reading it waits for a writer, and planning would hang there.
 */
export function notAFile(nodeId: string, file: string, st: Stats): CaudalError {
  const what = st.isFIFO() ? 'a named pipe (FIFO)' : st.isSocket() ? 'a socket' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : 'not a regular file';
  const message = `node '${nodeId}': ${file} is ${what}, not a file: reading it would wait for whatever writes to it, and never end if nothing does`;
  const hint = 'have the writer save a file and point the path at it; a stream is read with a streaming source (e.g. source.kafka)';
  return new CaudalError('validation', message, { nodeId, hint, problems: [{ code: 'io_error', path: 'params.path', message, hint }] });
}

/**
 * Refuses a path that names something other than a file or a folder, or a symbolic link that leads
 * to none (a loop, a missing target: "no file matches" would hide it). A glob lists files only, so
 * only a path naming one exactly can be one; a path that cannot be looked at otherwise is left to
 * the reader, whose error says why.
 */
export async function refuseNonRegularPath(nodeId: string, file: string): Promise<void> {
  const st = await stat(file).catch((e: NodeJS.ErrnoException) => e);
  if (st instanceof Error) {
    const broken = await brokenLink(file, st);
    if (broken) {
      const hint = 'point the link at the file (ln -sfn <file> <link>), or set the path to the file itself';
      const message = `node '${nodeId}': ${file} is a symbolic link ${broken}`;
      throw new CaudalError('validation', message, { nodeId, hint, problems: [{ code: 'io_error', path: 'params.path', message, hint }] });
    }
    return;
  }
  if (!st.isFile() && !st.isDirectory()) throw notAFile(nodeId, file, st);
}

/** Why a path that is a symbolic link leads to no file (a loop, a missing target), or undefined. */
async function brokenLink(file: string, e: NodeJS.ErrnoException): Promise<string | undefined> {
  if (e.code === 'ELOOP') return 'that leads back to itself (a loop of links)';
  if (e.code !== 'ENOENT' || !(await lstat(file).catch(() => undefined))?.isSymbolicLink()) return undefined;
  return `to ${await readlink(file).catch(() => '?')}, which does not exist`;
}
