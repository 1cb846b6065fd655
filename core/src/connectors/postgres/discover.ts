import type { PostgresConfig } from '../../connections/postgres/postgres.connection.js';
import type { RemoteTable } from '../connector.js';
import { connect } from './client.js';
import { pgTable } from './sql.js';
import { transportFor } from './types.js';

/**
 * Tables and views for the studio's pickers (system schemas left out), or one table's columns
 * with the DuckDB types they will have when read.
 */
export async function discoverPostgres(config: PostgresConfig, scope: { schema?: string; table?: string } = {}): Promise<RemoteTable[]> {
  const client = await connect(config);
  try {
    const { rows } = await client.query<{ schema: string; name: string; kind: string }>(
      `SELECT n.nspname AS schema, c.relname AS name, c.relkind::text AS kind
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
          AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'
          AND ($1::text IS NULL OR n.nspname = $1) AND ($2::text IS NULL OR c.relname = $2)
        ORDER BY 1, 2`,
      [scope.schema ?? null, scope.table ?? null],
    );
    const tables: RemoteTable[] = rows.map((r) => ({ schema: r.schema, name: r.name, kind: r.kind === 'v' || r.kind === 'm' ? 'view' : 'table' }));
    if (scope.table === undefined) return tables;
    for (const t of tables) {
      const { rows: cols } = await client.query<{ name: string; display: string; typname: string; typcategory: string; elem: string | null; typmod: number; notnull: boolean; dims: number }>(
        `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS display, t.typname, t.typcategory, e.typname AS elem, a.atttypmod AS typmod, a.attnotnull AS notnull, a.attndims AS dims
           FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid LEFT JOIN pg_type e ON e.oid = t.typelem AND t.typcategory = 'A'
          WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
        [pgTable(t)],
      );
      t.columns = cols.map((c) => ({
        name: c.name,
        remoteType: c.display,
        // The same type a read plans (read.ts), nested as deep as the column declares (int[][]).
        type: transportFor({ oid: 0, name: c.typname, category: c.typcategory, element: c.elem ?? undefined, display: c.display, ...(c.dims > 1 ? { dims: c.dims } : {}) }, c.typmod).duckdbType,
        nullable: !c.notnull,
      }));
    }
    return tables;
  } finally {
    await client.end().catch(() => undefined);
  }
}
