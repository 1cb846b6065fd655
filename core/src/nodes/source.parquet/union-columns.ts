import type { Column } from '../define.js';
import { CaudalError } from '../../util/errors.js';

/** DuckDB's layout of a UNION in Parquet: a struct whose first field is an unnamed UTINYINT tag. */
const UNION_LAYOUT = /STRUCT\((""\s+)?UTINYINT\s*,/i;

/**
 * DuckDB writes a UNION column to Parquet as its internal struct (an unnamed UTINYINT tag, then
 * one field per member) and reads it back as that struct: `{"": 0, "i": 1, "s": NULL}` instead of
 * 1, and a sink.duckdb after it fails with "A table cannot be created from an unnamed struct".
 * Such a column is refused before the run, naming it.
 */
export function refuseUnionLayout(nodeId: string, path: string, columns: Column[]): void {
  const column = columns.find((c) => UNION_LAYOUT.test(c.type));
  if (!column) return;
  const message = `node '${nodeId}': column '${column.name}' of ${path} is a struct with an unnamed tag field (${column.type}), the form in which DuckDB writes a UNION to Parquet: it cannot be read back as the union`;
  const hint = 'write the column as one type before the Parquet sink (e.g. CAST it to VARCHAR, or take its members into columns with union_extract), then write the file again';
  throw new CaudalError('validation', message, { nodeId, column: column.name, hint, problems: [{ code: 'bind_error', path: 'params.path', message, hint, column: column.name }] });
}
