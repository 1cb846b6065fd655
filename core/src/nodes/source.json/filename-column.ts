import type { Column } from '../define.js';
import { CaudalError } from '../../util/errors.js';
import { sameName } from '../shared/columns.js';

/**
 * DuckDB's JSON reader refuses a file name column named exactly as a key, but one that differs only
 * in letter case (`Source_File` next to a key `source_file`) is renamed `Source_File_1` without a
 * word, and SQL naming `Source_File` then reads the key, not the path. `columns` are the read's
 * columns, the file name column included: when it is not there under its own name, it was renamed.
 */
export function refuseRenamedFilenameColumn(nodeId: string, filenameColumn: string | undefined, columns: Column[]): void {
  if (filenameColumn === undefined || columns.some((c) => c.name === filenameColumn)) return;
  const key = columns.find((c) => sameName(c.name, filenameColumn))?.name;
  if (key === undefined) return;
  const message = `node '${nodeId}': the file name column "${filenameColumn}" clashes with the key "${key}" of the files, as column names do not tell letter case apart`;
  const hint = 'give the file name column another name';
  throw new CaudalError('validation', message, { nodeId, hint, problems: [{ code: 'invalid_param', path: 'params.filename_column', message, hint }] });
}
