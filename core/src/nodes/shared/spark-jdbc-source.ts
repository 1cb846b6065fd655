import type { SparkForm, SparkJdbc } from '../define.js';
import type { ReadFilter, ReadSpec } from '../../connectors/connector.js';
import { ident } from '../../compiler/sql.js';
import { filledFilters } from './server-filter.js';

/** The params every database source shares (source.postgres, source.sqlserver). */
export interface DatabaseSourceParams {
  connection: string;
  schema: string;
  table?: string;
  columns: string[];
  filters: ReadFilter[];
  query?: string;
  query_params: unknown[];
  incremental?: { column: string };
}

/**
 * A database source on Spark: the same remote statement the DuckDB engine sends (columns and
 * filters pushed down, or the user's query), read over the database's JDBC driver, then converted
 * to the column types the DuckDB plan has. Incremental reads need the watermark kept in the local
 * state folder, which a cluster job has no access to.
 */
export function jdbcSourceSpark(db: {
  type: 'postgres' | 'sqlserver';
  jdbc(connection: string, config: Record<string, unknown>): SparkJdbc;
  /** The read as a query text with its bound values written in as literals. */
  readQuery(spec: ReadSpec): string;
  /** Why the query's params cannot be used on Spark, if they cannot. */
  refuseQueryParams?: { message: string; hint: string };
  notes?: string;
}): SparkForm<DatabaseSourceParams> {
  return {
    kind: 'custom',
    notes: db.notes,
    compile(ctx) {
      const p = ctx.params;
      if (p.incremental) ctx.unsupported('incremental', 'incremental reads keep their watermark in the local state folder, which the Spark job does not have', 'read the whole table on Spark, or filter on a param (filters with ${run_date})');
      if (p.query && p.query_params.length > 0 && db.refuseQueryParams) ctx.unsupported('query_params', db.refuseQueryParams.message, db.refuseQueryParams.hint);
      const conn = ctx.connection(p.connection, db.type);
      const text = (v: unknown) => (typeof v === 'string' ? ctx.text(v) : v);
      const spec: ReadSpec = p.table
        ? { table: { schema: ctx.text(p.schema), name: ctx.text(p.table) }, columns: p.columns, filters: filledFilters(p.filters, ctx.text) }
        : { query: p.query ?? '', queryParams: p.query_params.map(text) };
      const raw = ctx.auxName('raw');
      const columns = ctx.outputColumns();
      return {
        read: { name: raw, format: 'jdbc', paths: [], options: {}, schema: columns, jdbc: { ...db.jdbc(p.connection, conn.config), query: db.readQuery(spec) } },
        outputs: { out: `SELECT ${columns.map((c) => `CAST(${ident(c.name)} AS ${c.type}) AS ${ident(c.name)}`).join(', ')}\nFROM ${raw}` },
      };
    },
  };
}
