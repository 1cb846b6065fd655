import { CaudalError, errorMessage } from '../../util/errors.js';

/**
 * A Parquet file's footer (its schema and row groups, then the magic bytes `PAR1`) is written last,
 * so a file another program is still writing, or one cut off by a crash or a full disk, has none.
 * DuckDB says "No magic bytes found at end of file '…'" or "File '…' too small to be a Parquet
 * file", which does not tell a user what happened or what to do; this error does, on the path param.
 */
const INCOMPLETE = [/No magic bytes found at end of file '([^']+)'/, /File '([^']+)' too small to be a Parquet file/];

/** The error to report for `e` when it is DuckDB's refusal of a Parquet file without a footer; undefined for any other error. */
export function incompleteParquetError(nodeId: string, e: unknown): CaudalError | undefined {
  const text = errorMessage(e);
  const file = INCOMPLETE.map((re) => re.exec(text)?.[1]).find((f) => f !== undefined);
  if (file === undefined) return undefined;
  const message = `node '${nodeId}': ${file} is not a complete Parquet file (it has no footer): another program may still be writing it, or it was cut off`;
  const hint = 'wait until the writer has finished (writers that publish by renaming a finished file avoid this), or leave the file out of the pattern; if it was cut off, write it again';
  return new CaudalError('validation', message, { nodeId, hint, problems: [{ code: 'io_error', path: 'params.path', message, hint }] });
}
