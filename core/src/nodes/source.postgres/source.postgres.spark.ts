import type { SparkForm } from '../define.js';
import { buildReadQuery } from '../../connectors/postgres/query.js';
import { inlineBinds, postgresJdbc } from '../../connectors/postgres/spark-jdbc.js';
import { ident } from '../../compiler/sql.js';

type Params = {
  connection: string;
  schema: string;
  table?: string;
  columns: string[];
  filters: Array<{ column: string; op: '=' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not_in' | 'is_null' | 'not_null' | 'like'; value?: unknown }>;
  query?: string;
  query_params: unknown[];
  incremental?: { column: string };
};

/**
 * Spark: the same remote statement (columns and filters pushed down, or the user's query) read over
 * JDBC, then converted to the column types the DuckDB plan has. Incremental reads need the watermark
 * kept in the local state folder, which a cluster job has no access to.
 */
export const postgresSourceSpark: SparkForm<Params> = {
  kind: 'custom',
  compile(ctx) {
    const p = ctx.params;
    if (p.incremental) ctx.unsupported('incremental', 'incremental reads keep their watermark in the local state folder, which the Spark job does not have', 'read the whole table on Spark, or filter on a param (filters with ${run_date})');
    if (p.query && p.query_params.length > 0) ctx.unsupported('query_params', "Spark's JDBC reader takes a query text without bind parameters", 'write the values into the query, or use table with filters');
    const conn = ctx.connection(p.connection, 'postgres');
    const spec = p.table
      ? { table: { schema: ctx.text(p.schema), name: ctx.text(p.table) }, columns: p.columns, filters: p.filters.map((f) => ({ ...f, value: typeof f.value === 'string' ? ctx.text(f.value) : f.value })) }
      : { query: p.query ?? '', queryParams: [] };
    const query = inlineBinds(buildReadQuery(spec as Parameters<typeof buildReadQuery>[0]));
    const raw = ctx.auxName('raw');
    const columns = ctx.outputColumns();
    return {
      read: { name: raw, format: 'jdbc', paths: [], options: {}, schema: columns, jdbc: { ...postgresJdbc(p.connection, conn.config), query } },
      outputs: { out: `SELECT ${columns.map((c) => `CAST(${ident(c.name)} AS ${c.type}) AS ${ident(c.name)}`).join(', ')}\nFROM ${raw}` },
    };
  },
};
