import type { SparkForm } from '../define.js';
import { postgresJdbc, postgresLockKey } from '../../connectors/postgres/spark-jdbc.js';
import { pgTypeFor } from '../../connectors/postgres/types.js';
import { ident } from '../../compiler/sql.js';

type Params = {
  connection: string;
  schema: string;
  table: string;
  mode: 'append' | 'replace' | 'upsert' | 'truncate_insert';
  keys: string[];
  create_table: boolean;
  delete_when?: string;
  exclude_columns: string[];
  pre_sql?: string;
  post_sql?: string;
};

/**
 * Spark: the rows are loaded into a staging table by Spark's JDBC writer (one transaction per task,
 * on a table nobody reads), then the job publishes them into the target in one transaction on the
 * driver (append, replace, upsert with ON CONFLICT, truncate-insert) and drops the staging table. So
 * readers see all the rows or none, as with the DuckDB engine.
 *
 * `exclude_columns` are left out of the rows Spark writes (and of the table it creates), as on
 * DuckDB. `delete_when` has no Spark form: the job's publishing statements know no delete flag, and
 * upserting the rows meant to delete their key would do the opposite of what was asked.
 * Upsert is `INSERT … ON CONFLICT (keys)` only: without a unique index checked at once (not
 * DEFERRABLE) on exactly the keys, or with a key twice in the data, PostgreSQL refuses the publish
 * and the run fails with its words, the table unchanged (docs/spark.md).
 */
export const postgresSinkSpark: SparkForm<Params> = {
  kind: 'custom',
  notes: 'Loaded into a staging table by Spark, then published in one transaction by the driver.',
  compile(ctx) {
    const p = ctx.params;
    if (p.delete_when !== undefined) {
      ctx.unsupported(
        'delete_when',
        `node '${ctx.nodeId}': delete_when has no Spark form yet: the Spark job upserts every row, so the rows meant to delete their key would be upserted instead`,
        'run this pipeline on the DuckDB engine, or split the deletes off (a filter on the condition) and apply them with post_sql',
      );
    }
    const conn = ctx.connection(p.connection, 'postgres');
    const input = ctx.input();
    const exclude = p.exclude_columns ?? [];
    for (const c of exclude) {
      if (!input.columns.some((x) => x.name === c)) ctx.unsupported('exclude_columns', `node '${ctx.nodeId}': exclude_columns names '${c}', which is not a column of the input`, `input columns: ${input.columns.map((x) => x.name).join(', ')}`);
    }
    // The rows as written: without the excluded columns (the DuckDB form's view does the same).
    const columns = input.columns.filter((c) => !exclude.includes(c.name));
    if (columns.length === 0) ctx.unsupported('exclude_columns', `node '${ctx.nodeId}': exclude_columns leaves no column to write`, 'keep at least one input column');
    const jdbc = postgresJdbc(p.connection, conn.config);
    return {
      sink: {
        format: 'jdbc',
        ...(exclude.length > 0 ? { sql: `SELECT ${columns.map((c) => ident(c.name)).join(', ')} FROM ${input.ref}` } : {}),
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
