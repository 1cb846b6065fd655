import path from 'node:path';
import { z } from 'zod';
import { sqlserverSinkSpark } from './sink.sqlserver.spark.js';
import { defineNode } from '../define.js';
import { sqlserverFields } from '../../connections/sqlserver/sqlserver.connection.js';
import { DEFAULT_BATCH_ROWS } from '../../connectors/sqlserver/bulk.js';
import { connectSqlServer } from '../../connectors/sqlserver/client.js';
import { explainSqlServerError } from '../../connectors/sqlserver/errors.js';
import { checkAssignments, checkColumns, type SqlServerWriteSpec, tableColumns, writeSqlServer } from '../../connectors/sqlserver/write.js';
import { problemIfThrown, type Problem } from '../../util/errors.js';
import { didYouMean } from '../../util/suggest.js';

const params = z
  .object({
    connection: z.string().min(1).meta({ label: 'Connection', help: 'A SQL Server connection declared under the pipeline\'s `connections`.', widget: 'connection' }),
    schema: z.string().min(1).default('dbo').meta({ label: 'Schema', help: 'Created when missing (with create_table). `${param}` inserts a pipeline param.', group: 'Table' }),
    table: z.string().min(1).meta({ label: 'Table', help: '`${param}` inserts a pipeline param.', group: 'Table' }),
    mode: z.enum(['append', 'replace', 'upsert', 'truncate_insert']).default('append').meta({
      label: 'Mode',
      help: 'append: add the rows. replace: the table becomes exactly this data (recreated with its columns). upsert: update rows whose keys exist, insert the others. truncate_insert: empty the table, then add the rows (keeps its definition).',
      widget: 'select',
      group: 'Table',
    }),
    keys: z.array(z.string().min(1)).default([]).meta({ label: 'Key columns', help: 'For upsert: the columns that identify a row.', widget: 'columns', group: 'Table' }),
    upsert_method: z.enum(['merge', 'update_insert']).default('merge').meta({
      label: 'Upsert with',
      help: 'merge: one MERGE statement. update_insert: UPDATE the matching rows, then INSERT the others (for tables where MERGE is unsuitable, e.g. with triggers or indexed views).',
      widget: 'select',
      group: 'Table',
    }),
    create_table: z.boolean().default(true).meta({ label: 'Create the table when missing', help: 'With types mapped from the data (and the keys as primary key for upsert).', widget: 'boolean', group: 'Table' }),
    batch_rows: z.int().min(100).max(1_000_000).default(DEFAULT_BATCH_ROWS).meta({ label: 'Rows per bulk batch', help: 'Rows the bulk copy sends per batch (memory holds two batches).', widget: 'number', group: 'Advanced' }),
    pre_sql: z.string().optional().meta({ label: 'SQL before', help: 'Runs in the load\'s transaction before the rows are written.', widget: 'sql-query', group: 'Advanced' }),
    post_sql: z.string().optional().meta({ label: 'SQL after', help: 'Runs in the load\'s transaction after the rows are written.', widget: 'sql-query', group: 'Advanced' }),
  })
  .strict();

export const sqlserverSinkNode = defineNode({
  type: 'sink.sqlserver',
  replacesContent: (p) => p.mode === 'replace' || p.mode === 'truncate_insert',
  version: 1,
  category: 'sink',
  title: 'Write SQL Server table',
  description: 'Bulk-loads the input into a SQL Server table (append, replace, upsert, truncate-insert) in one transaction.',
  aliases: ['sql server', 'sqlserver', 'mssql', 'azure sql', 'load', 'upsert', 'merge', 'database'],
  inputs: [{ name: 'in' }],
  outputs: [],
  params,
  check(p) {
    const out: Array<{ path: string; message: string; hint?: string }> = [];
    if (p.mode === 'upsert' && p.keys.length === 0) out.push({ path: 'keys', message: 'upsert needs at least one key column', hint: 'the columns that identify a row, e.g. order_id' });
    if (p.mode !== 'upsert' && p.keys.length > 0) out.push({ path: 'keys', message: `key columns are used by mode "upsert", not "${p.mode}"` });
    return out;
  },
  async sink(ctx) {
    const p = ctx.params;
    const conn = ctx.connection(p.connection, 'sqlserver');
    const config = sqlserverFields.parse(conn.config);
    const input = ctx.input();
    const spec: SqlServerWriteSpec = {
      table: { schema: ctx.text(p.schema), name: ctx.text(p.table) },
      mode: p.mode,
      keys: p.keys,
      createTable: p.create_table,
      preSql: p.pre_sql,
      postSql: p.post_sql,
      upsertMethod: p.upsert_method,
      batchRows: p.batch_rows,
    };
    const context = { nodeId: ctx.nodeId, connection: p.connection };
    const shown = `[${spec.table.schema}].[${spec.table.name}] (connection '${p.connection}')`;
    const preflight: Problem[] = [];
    const names = input.columns.map((c) => c.name);
    for (const [i, k] of p.keys.entries()) {
      if (!names.includes(k)) preflight.push({ code: 'unknown_column', path: `params.keys[${i}]`, column: k, message: `node '${ctx.nodeId}': key column '${k}' is not in the input${didYouMean(k, names)}`, hint: `input columns: ${names.join(', ')}` });
    }
    // Checked before anything is read: the table exists (or may be created) and takes the input's columns.
    if (preflight.length === 0) {
      const explain = (e: unknown) => explainSqlServerError(e, { ...context, spec, password: config.password });
      const pool = await connectSqlServer(config).catch((e: unknown) => {
        throw explain(e);
      });
      try {
        const existing = await tableColumns(() => pool.request(), spec.table);
        if (!existing && !spec.createTable) {
          preflight.push({ code: 'invalid_param', path: 'params.table', message: `node '${ctx.nodeId}': table ${shown} does not exist`, hint: 'create it first, or set create_table to true' });
        } else if (existing && spec.mode !== 'replace') {
          problemIfThrown(preflight, 'unknown_column', 'params.table', () => checkColumns(context, spec, input.columns, existing));
          problemIfThrown(preflight, 'invalid_param', 'params.table', () => checkAssignments(context, input.columns, existing));
        }
      } catch (e) {
        throw explain(e);
      } finally {
        await pool.close().catch(() => undefined);
      }
    }
    const port = config.port ?? (config.instance ? `\\${config.instance}` : 1433);
    return {
      target: `SQL Server ${shown}, ${p.mode}`,
      destination: { key: `sqlserver:${config.host}:${port}/${config.database}/${spec.table.schema}.${spec.table.name}`.toLowerCase(), label: `SQL Server table ${shown}` },
      preflight,
      stage: [],
      external: {
        describe: [`-- ${p.mode} into ${shown}: bulk copy (batches of ${p.batch_rows} rows) into a session temp table, then ${p.mode === 'upsert' ? (p.upsert_method === 'merge' ? 'MERGE' : 'UPDATE + INSERT') : 'INSERT … SELECT'}, all in one transaction committed with the run`],
        stage: (io) => writeSqlServer(config, spec, { relation: input.ref, columns: input.columns, tempDir: path.dirname(ctx.tempPath('mssql')) }, io, { ...context, runId: ctx.runId }),
      },
    };
  },
  spark: sqlserverSinkSpark,
  docs: `Loads the input into a SQL Server (or Azure SQL) table through a connection declared in the
pipeline. Rows go through the driver's **bulk copy** (TDS bulk insert, *Rows per bulk batch* at a
time, streamed from DuckDB while it produces them) into a session temp table, then one statement
moves them into the target.

**Modes.**
- \`append\` (default): adds the rows (\`INSERT … SELECT\`).
- \`replace\`: the table becomes exactly this data, recreated with the data's columns and types
  (built beside the old table, then the old one dropped and the new one renamed with
  \`sp_rename\`; indexes, grants, triggers of the old table are not kept, and a view created WITH
  SCHEMABINDING or a foreign key referencing it makes the swap fail: use truncate_insert then).
- \`upsert\`: rows whose *key columns* match an existing row update it, others are inserted: one
  \`MERGE … WITH (HOLDLOCK)\`, or with *Upsert with* = update_insert an \`UPDATE … FROM\` followed by
  an \`INSERT … WHERE NOT EXISTS\`. Keys must be set and unique within the data (the load fails and
  names the duplicate key otherwise).
- \`truncate_insert\`: \`TRUNCATE TABLE\`, then adds the rows; keeps the definition, indexes, grants
  (a table referenced by a foreign key cannot be truncated: SQL Server says so and nothing changes).

**Atomic.** Everything happens in one transaction that stays open until every sink of the run has
staged, then commits with the run. A failed or cancelled run, or a connection lost mid-load, rolls it
back: the table is exactly as before (a table the run created disappears again). The driver has no
two-phase commit: the final COMMIT can still fail late (see "Commit guarantees" in the user guide).
A failing load ends its transaction within seconds: a ROLLBACK the server does not answer closes the
connection instead (the server then rolls back), so a run never hangs holding the table's locks.

**A lost answer is not a lost commit.** SQL Server keeps no record of a transaction's outcome that
another session could ask for, so the load leaves one: inside its transaction it creates an empty
table \`caudal_commit_<run>_<owner>_<hash>\` in the target's schema (DDL is transactional in SQL
Server: the table exists afterwards exactly when the transaction committed) and takes an application
lock of its own. When the connection breaks during COMMIT, a new session waits for that lock (the
old transaction is over once it is free, for up to a minute) and looks for the table: there, the
load committed and the run succeeds (a warning says so), so a rerun does not load the rows twice
and the run's other destinations are not undone; absent, the run fails with the table unchanged.
When the server cannot be asked, the error says the outcome is unknown and names the table that
tells. The marker is dropped right after the commit (a load into the same schema later drops those
that killed runs left). It needs CREATE TABLE in the database and ALTER on the schema: a login
without them loads as before, without a marker, and a lost COMMIT answer then fails the run saying
that the outcome is unknown.
While the transaction is open, the rows it wrote are locked: readers of them wait until the run
commits (or read uncommitted data with NOLOCK). One load per table at a time: an application lock
(\`sp_getapplock\`) makes a second run fail at once, or wait with \`--wait\`.

**Creating the table.** When it is missing (and *Create the table* is on) it is created with types
mapped from DuckDB: BOOLEAN → bit, integers → smallint/int/bigint (unsigned ones one size up, UBIGINT
and HUGEINT → decimal), FLOAT → real, DOUBLE → float, DECIMAL(p,s) → decimal(p,s), VARCHAR → nvarchar(max),
DATE → date, TIME → time(6), TIMESTAMP → datetime2(6), TIMESTAMP_NS → datetime2(7) (100 ns steps: a value
with other nanoseconds stops the load, naming it), TIMESTAMPTZ →
datetimeoffset(6), UUID → uniqueidentifier, BLOB → varbinary(max), lists, structs, maps and JSON →
nvarchar(max) holding JSON. For upsert the keys become the primary key. Values are exact: decimals
and timestamps travel as text and are converted by the server, not rounded through a double.

**Columns.** Every input column must exist in an existing table (names compared as the database's
collation does, usually ignoring case); the table's other columns get their defaults. The check
happens before anything is read.

**Values the table's columns would change** stop the load instead of being changed by SQL
Server's conversion from the staging table: a timestamp with a time of day into a \`date\`, more
decimal places than a \`decimal(p,s)\` keeps (or four for \`money\` and \`smallmoney\`), a fraction
into an integer column (SQL Server would truncate 12.7 to 12), a finer fraction of a second than
\`datetime2(n)\`, \`datetimeoffset(n)\` or \`time(n)\` keep, a time between \`datetime\`'s steps of
1/300 s (.000, .003, .007), seconds into \`smalldatetime\` (whole minutes), and a whole number or
decimal that a \`float\` or \`real\` column would round (a BIGINT past 2^53). The message names the
column and the value; values that convert exactly still load. A timestamp column into a \`time\`
column, or a time column into a date-and-time column (SQL Server would date every value
1900-01-01), is refused before anything is read. Not
checked: a DOUBLE into a \`real\` column (approximate by definition). Text columns are parsed by SQL
Server; what they would change is checked as for typed values (\`'12.345'\` into \`decimal(10,2)\`, a
time of day into a \`date\`, more digits of a second than the column keeps, a time between
\`datetime\`'s steps or with seconds into \`smalldatetime\`), judged on the text read as an ISO number
or timestamp; text in other forms (\`Jan 5 2024\`) is left to SQL Server's own parse.

**Permissions** the connection's login needs: INSERT on the table (append), plus SELECT and UPDATE
(upsert), ALTER on the table (truncate_insert), ALTER on the schema and CREATE TABLE in the database
(replace, and a table the load creates; with them a lost COMMIT answer can be told, see above). A
missing one fails the load before anything is committed, with a hint naming what the mode needs.

**Values no SQL Server column holds** stop the load, naming the column: NaN and ±Infinity in a
FLOAT or DOUBLE column (\`float\` and \`real\` have none), and TIME's \`24:00:00\` (\`time\` ends at
23:59:59.9999999).

**SQL before / after** run inside the same transaction.`,
  example: {
    description: 'Merge the cleaned customers into the ERP reporting table by id',
    params: { connection: 'erp', schema: 'dbo', table: 'customers', mode: 'upsert', keys: ['customer_id'] },
  },
});
