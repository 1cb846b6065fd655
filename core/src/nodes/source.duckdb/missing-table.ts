import type { HookIo } from '../define.js';
import { errorMessage, type CaudalError } from '../../util/errors.js';
import { didYouMean } from '../../util/suggest.js';
import { foldNameSql, paramError } from '../shared/columns.js';

/** The tables and views (not DuckDB's internal ones) of `schema` in the attached `catalog`. */
export async function objectsIn(io: HookIo, catalog: string, schema: string): Promise<string[]> {
  const where = `database_name = ? AND ${foldNameSql('schema_name')} = ${foldNameSql('?')}`;
  const rows = await io.db.rows(`SELECT table_name AS name FROM duckdb_tables() WHERE ${where} UNION ALL SELECT view_name FROM duckdb_views() WHERE ${where} AND NOT internal ORDER BY name`, [
    catalog,
    schema,
    catalog,
    schema,
  ]);
  return rows.map((o) => String(o.name));
}

/**
 * DuckDB's "Table with name X does not exist" while reading the file, said about the file: a view
 * whose table was dropped, or a query naming a table the file does not have. Left as it was, the
 * engine explained it as for a SQL transform ("not one of its inputs", "connect the node"), which
 * points at the canvas instead of at the database file. Undefined for any other error.
 */
export async function missingTableError(
  e: unknown,
  io: HookIo,
  at: { nodeId: string; file: string; catalog: string; schema: string; view?: string },
): Promise<CaudalError | undefined> {
  const m = /Table with name "?([^" ]+?)"?!? does not exist/.exec(errorMessage(e));
  if (!m) return undefined;
  const missing = m[1]!;
  const names = await objectsIn(io, at.catalog, at.schema).catch(() => [] as string[]);
  const there = names.length > 0 ? `tables and views there: ${names.join(', ')}` : `schema '${at.schema}' has no tables or views`;
  if (at.view !== undefined) {
    return paramError(at.nodeId, 'table', `node '${at.nodeId}': view '${at.view}' of ${at.file} refers to '${missing}', which is not in the database file`, `recreate the view in the database, or read the tables it was built on; ${there}`);
  }
  return paramError(at.nodeId, 'query', `node '${at.nodeId}': the query reads '${missing}', which is not a table or view in schema '${at.schema}' of ${at.file}${didYouMean(missing, names)}`, there);
}
