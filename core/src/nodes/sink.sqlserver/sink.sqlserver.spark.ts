import type { SparkForm } from '../define.js';
import { sqlserverJdbc, sqlserverLockKey, sqlserverSparkStatements } from '../../connectors/sqlserver/spark-jdbc.js';
import { sqlserverTypeFor } from '../../connectors/sqlserver/types.js';

type Params = {
  connection: string;
  schema: string;
  table: string;
  mode: 'append' | 'replace' | 'upsert' | 'truncate_insert';
  keys: string[];
  upsert_method: 'merge' | 'update_insert';
  create_table: boolean;
  pre_sql?: string;
  post_sql?: string;
};

/**
 * Spark: Spark's JDBC writer fills a staging table (the driver turns its batches into bulk copies),
 * then the job publishes it into the target in one transaction on the driver (append, replace,
 * upsert by MERGE or UPDATE + INSERT, truncate-insert) and drops it, so readers see all the rows
 * or none, as with the DuckDB engine.
 */
export const sqlserverSinkSpark: SparkForm<Params> = {
  kind: 'custom',
  notes: 'Loaded into a staging table by Spark (bulk copy), then published in one transaction by the driver.',
  compile(ctx) {
    const p = ctx.params;
    const conn = ctx.connection(p.connection, 'sqlserver');
    const columns = ctx.input().columns;
    const schema = ctx.text(p.schema);
    const table = ctx.text(p.table);
    return {
      sink: {
        format: 'jdbc',
        jdbc: {
          ...sqlserverJdbc(p.connection, conn.config),
          dialect: 'sqlserver',
          schema,
          table,
          mode: p.mode,
          keys: p.keys,
          createTable: p.create_table,
          columnTypes: columns.map((c) => ({ name: c.name, type: sqlserverTypeFor(c.type) })),
          lockKey: sqlserverLockKey(conn.config, { schema, name: table }),
          statements: sqlserverSparkStatements({ schema, table, mode: p.mode, keys: p.keys, upsertMethod: p.upsert_method, createTable: p.create_table, preSql: p.pre_sql, postSql: p.post_sql, columns }),
        },
      },
    };
  },
};
