import type { SparkForm } from '../define.js';
import { postgresJdbc, postgresLockKey } from '../../connectors/postgres/spark-jdbc.js';
import { pgTypeFor } from '../../connectors/postgres/types.js';

type Params = {
  connection: string;
  schema: string;
  table: string;
  mode: 'append' | 'replace' | 'upsert' | 'truncate_insert';
  keys: string[];
  create_table: boolean;
  pre_sql?: string;
  post_sql?: string;
};

/**
 * Spark: the rows are loaded into a staging table by Spark's JDBC writer (one transaction per task,
 * on a table nobody reads), then the job publishes them into the target in one transaction on the
 * driver (append, replace, upsert with ON CONFLICT, truncate-insert) and drops the staging table. So
 * readers see all the rows or none, as with the DuckDB engine.
 */
export const postgresSinkSpark: SparkForm<Params> = {
  kind: 'custom',
  notes: 'Loaded into a staging table by Spark, then published in one transaction by the driver.',
  compile(ctx) {
    const p = ctx.params;
    const conn = ctx.connection(p.connection, 'postgres');
    const columns = ctx.input().columns;
    const jdbc = postgresJdbc(p.connection, conn.config);
    return {
      sink: {
        format: 'jdbc',
        jdbc: {
          ...jdbc,
          // Text values go to the server untyped, so it converts them to jsonb, uuid… like COPY does.
          properties: { ...jdbc.properties, stringtype: 'unspecified' },
          schema: ctx.text(p.schema),
          table: ctx.text(p.table),
          mode: p.mode,
          keys: p.keys,
          createTable: p.create_table,
          ...(p.pre_sql ? { preSql: p.pre_sql } : {}),
          ...(p.post_sql ? { postSql: p.post_sql } : {}),
          columnTypes: columns.map((c) => ({ name: c.name, type: pgTypeFor(c.type) })),
          lockKey: postgresLockKey(conn.config, { schema: ctx.text(p.schema), name: ctx.text(p.table) }),
        },
      },
    };
  },
};
