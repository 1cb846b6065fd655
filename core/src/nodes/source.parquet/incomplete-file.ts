import { closeSync, openSync, readSync } from 'node:fs';
import { CaudalError, errorMessage } from '../../util/errors.js';

/**
 * A Parquet file's footer (its schema and row groups, then the magic bytes `PAR1`) is written last,
 * so a file another program is still writing, or one cut off by a crash or a full disk, has none.
 * DuckDB says "No magic bytes found at end of file '…'" or "File '…' too small to be a Parquet
 * file", which does not tell a user what happened or what to do; this error does, on the path param.
 */
const INCOMPLETE = [/No magic bytes found at end of file '([^']+)'/, /File '([^']+)' too small to be a Parquet file/];

const MAGIC = 'PAR1';

/** The error to report for `e` when it is DuckDB's refusal of a Parquet file without a footer; undefined for any other error. */
export function incompleteParquetError(nodeId: string, e: unknown): CaudalError | undefined {
  const text = errorMessage(e);
  const file = INCOMPLETE.map((re) => re.exec(text)?.[1]).find((f) => f !== undefined);
  if (file === undefined) return undefined;
  const head = firstBytes(file, 32);
  if (head && head.length >= MAGIC.length && head.subarray(0, MAGIC.length).toString('latin1') !== MAGIC) {
    // Writers put PAR1 first: a file that does not start with it was never being written as Parquet.
    const shown = JSON.stringify(head.toString('utf8').replace(/\uFFFD/g, '?'));
    const message = `node '${nodeId}': ${file} is not a Parquet file: it does not start with PAR1, as every Parquet file does (its first bytes: ${shown})`;
    const hint = 'check the path: the file may be in another format named .parquet (read a CSV or JSON file with source.csv or source.json), or an error page saved in place of the file; replace it, or leave it out of the pattern';
    return new CaudalError('validation', message, { nodeId, hint, problems: [{ code: 'io_error', path: 'params.path', message, hint }] });
  }
  const message = `node '${nodeId}': ${file} is not a complete Parquet file (it has no footer): another program may still be writing it, or it was cut off`;
  const hint = 'wait until the writer has finished (writers that publish by renaming a finished file avoid this), or leave the file out of the pattern; if it was cut off, write it again';
  return new CaudalError('validation', message, { nodeId, hint, problems: [{ code: 'io_error', path: 'params.path', message, hint }] });
}

/** Up to `n` bytes from the start of a local file; undefined when it cannot be read (a remote URL, a file gone). */
function firstBytes(file: string, n: number): Buffer | undefined {
  try {
    const fd = openSync(file, 'r');
    try {
      const buf = Buffer.alloc(n);
      return buf.subarray(0, readSync(fd, buf, 0, n, 0));
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
}
