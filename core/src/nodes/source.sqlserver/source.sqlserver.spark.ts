import type { SparkForm } from '../define.js';
import { buildReadQuery } from '../../connectors/sqlserver/query.js';
import { inlineTsqlBinds, sqlserverJdbc } from '../../connectors/sqlserver/spark-jdbc.js';
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
 * Spark: the same remote statement as the DuckDB engine sends (columns and filters pushed down, or
 * the user's query as a derived table), read over Microsoft's JDBC driver with the values written in
 * as T-SQL literals, then converted to the column types the DuckDB plan has.
 */
export const sqlserverSourceSpark: SparkForm<Params> = {
  kind: 'custom',
  notes: "Read over Microsoft's JDBC driver (mssql-jdbc, fetched by spark-submit); incremental reads are not available on Spark.",
  compile(ctx) {
    const p = ctx.params;
    if (p.incremental) ctx.unsupported('incremental', 'incremental reads keep their watermark in the local state folder, which the Spark job does not have', 'read the whole table on Spark, or filter on a param (filters with ${run_date})');
    const conn = ctx.connection(p.connection, 'sqlserver');
    const spec = p.table
      ? { table: { schema: ctx.text(p.schema), name: ctx.text(p.table) }, columns: p.columns, filters: p.filters.map((f) => ({ ...f, value: typeof f.value === 'string' ? ctx.text(f.value) : f.value })) }
      : { query: p.query ?? '', queryParams: p.query_params.map((v) => (typeof v === 'string' ? ctx.text(v) : v)) };
    const query = inlineTsqlBinds(buildReadQuery(spec as Parameters<typeof buildReadQuery>[0]));
    const raw = ctx.auxName('raw');
    const columns = ctx.outputColumns();
    return {
      read: { name: raw, format: 'jdbc', paths: [], options: {}, schema: columns, jdbc: { ...sqlserverJdbc(p.connection, conn.config), query } },
      outputs: { out: `SELECT ${columns.map((c) => `CAST(${ident(c.name)} AS ${c.type}) AS ${ident(c.name)}`).join(', ')}\nFROM ${raw}` },
    };
  },
};
