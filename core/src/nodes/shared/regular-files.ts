import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
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
 * Refuses a path that names something other than a file or a folder. A glob lists files only, so
 * only a path naming one exactly can be one; a path that cannot be looked at is left to the reader,
 * whose error says why.
 */
export async function refuseNonRegularPath(nodeId: string, file: string): Promise<void> {
  const st = await stat(file).catch(() => undefined);
  if (st && !st.isFile() && !st.isDirectory()) throw notAFile(nodeId, file, st);
}
