import path from 'node:path';
import { z } from 'zod';
import { defineNode } from '../define.js';
import { ident } from '../../compiler/sql.js';
import { postgresSinkSpark } from './sink.postgres.spark.js';
import { postgresFields } from '../../connections/postgres/postgres.connection.js';
import { postgresConnector } from '../../connectors/postgres/postgres.connector.js';
import { connect } from '../../connectors/postgres/client.js';
import { explainPgError } from '../../connectors/postgres/errors.js';
import { checkAssignments, checkColumns, namesTooLong, tableColumns } from '../../connectors/postgres/write.js';
import type { WriteSpec } from '../../connectors/connector.js';
import { problemIfThrown, type Problem } from '../../util/errors.js';
import { didYouMean } from '../../util/suggest.js';

const params = z
  .object({
    connection: z.string().min(1).meta({ label: 'Connection', help: 'A PostgreSQL connection declared under the pipeline\'s `connections`.', widget: 'connection' }),
    schema: z.string().min(1).default('public').meta({ label: 'Schema', help: 'Created when missing (with create_table). `${param}` inserts a pipeline param.', group: 'Table' }),
    table: z.string().min(1).meta({ label: 'Table', help: 'Written exactly as typed (case kept); `${param}` inserts a pipeline param.', group: 'Table' }),
    mode: z.enum(['append', 'replace', 'upsert', 'truncate_insert']).default('append').meta({
      label: 'Mode',
      help: 'append: add the rows. replace: the table becomes exactly this data (recreated with its columns). upsert: update rows whose keys exist, insert the others. truncate_insert: empty the table, then add the rows (keeps its definition).',
      widget: 'select',
      group: 'Table',
    }),
    keys: z.array(z.string().min(1)).default([]).meta({ label: 'Key columns', help: 'For upsert: the columns that identify a row.', widget: 'columns', group: 'Table' }),
    create_table: z.boolean().default(true).meta({ label: 'Create the table when missing', help: 'With types mapped from the data (and the keys as primary key for upsert).', widget: 'boolean', group: 'Table' }),
    delete_when: z.string().min(1).optional().meta({
      label: 'Delete when',
      help: 'Upsert only: rows for which this SQL condition is true delete the row with their key instead of upserting it (e.g. _op = \'delete\' from source.postgres_cdc).',
      widget: 'sql',
      group: 'Table',
      placeholder: "_op = 'delete'",
    }),
    exclude_columns: z.array(z.string().min(1)).default([]).meta({
      label: 'Columns not written',
      help: 'Input columns the table does not get (e.g. change metadata such as _op, _lsn, _seq, _commit_time).',
      widget: 'columns',
      group: 'Table',
    }),
    pre_sql: z.string().optional().meta({ label: 'SQL before', help: 'Runs in the load\'s transaction before the rows are written.', widget: 'sql-query', group: 'Advanced' }),
    post_sql: z.string().optional().meta({ label: 'SQL after', help: 'Runs in the load\'s transaction after the rows are written (e.g. ANALYZE-free housekeeping, audit rows). A statement that fails fails the run, saying which of the two failed, and rolls the load back.', widget: 'sql-query', group: 'Advanced' }),
  })
  .strict();

export const postgresSinkNode = defineNode({
  type: 'sink.postgres',
  replacesContent: (p) => p.mode === 'replace' || p.mode === 'truncate_insert',
  version: 1,
  spark: postgresSinkSpark,
  category: 'sink',
  title: 'Write PostgreSQL table',
  description: 'Bulk-loads the input into a PostgreSQL table (append, replace, upsert, truncate-insert) in one transaction.',
  aliases: ['postgres', 'postgresql', 'pg', 'load', 'upsert', 'merge', 'database'],
  inputs: [{ name: 'in' }],
  outputs: [],
  params,
  check(p) {
    const out: Array<{ path: string; message: string; hint?: string }> = [];
    if (p.mode === 'upsert' && p.keys.length === 0) out.push({ path: 'keys', message: 'upsert needs at least one key column', hint: 'the columns that identify a row, e.g. order_id' });
    if (p.mode !== 'upsert' && p.keys.length > 0) out.push({ path: 'keys', message: `key columns are used by mode "upsert", not "${p.mode}"` });
    if (p.mode !== 'upsert' && p.delete_when) out.push({ path: 'delete_when', message: `delete_when needs mode "upsert" (deletes go by key)` });
    return out;
  },
  async sink(ctx) {
    const p = ctx.params;
    const conn = ctx.connection(p.connection, 'postgres');
    const config = postgresFields.parse(conn.config);
    const raw = ctx.input();
    const deleteFlag = p.delete_when ? '_caudal_delete' : undefined;
    // The rows as written: without the excluded columns, with the delete flag when asked for.
    const view = ident(`_pgsink_${ctx.nodeId}`);
    const kept = raw.columns.filter((c) => !p.exclude_columns.includes(c.name));
    const condition = p.delete_when ? ctx.expr(p.delete_when, 'delete_when') : undefined;
    const routed = p.exclude_columns.length > 0 || condition !== undefined;
    const viewSql = `CREATE OR REPLACE TEMP VIEW ${view} AS SELECT ${kept.map((c) => ident(c.name)).join(', ')}${condition ? `, (${condition}) AS ${ident(deleteFlag!)}` : ''} FROM ${raw.ref}`;
    if (routed) await ctx.describe(viewSql.replace(/^CREATE OR REPLACE TEMP VIEW \S+ AS /, ''));
    const input = routed ? { ref: view, columns: kept } : raw;
    const spec: WriteSpec = {
      table: { schema: ctx.text(p.schema), name: ctx.text(p.table) },
      mode: p.mode,
      keys: p.keys,
      deleteFlag,
      createTable: p.create_table,
      preSql: p.pre_sql,
      postSql: p.post_sql,
    };
    const context = { nodeId: ctx.nodeId, connection: p.connection };
    const shown = `"${spec.table.schema}"."${spec.table.name}" (connection '${p.connection}')`;
    const preflight: Problem[] = [];
    const names = input.columns.map((c) => c.name);
    for (const [i, c] of p.exclude_columns.entries()) {
      if (!raw.columns.some((x) => x.name === c)) preflight.push({ code: 'unknown_column', path: `params.exclude_columns[${i}]`, column: c, message: `node '${ctx.nodeId}': column '${c}' is not in the input${didYouMean(c, raw.columns.map((x) => x.name))}` });
    }
    for (const [i, k] of p.keys.entries()) {
      if (!names.includes(k)) preflight.push({ code: 'unknown_column', path: `params.keys[${i}]`, column: k, message: `node '${ctx.nodeId}': key column '${k}' is not in the input${didYouMean(k, names)}`, hint: `input columns: ${names.join(', ')}` });
    }
    preflight.push(...namesTooLong(context, spec, input.columns));
    // Checked before anything is read: the table exists (or may be created) and takes the input's columns.
    if (preflight.length === 0) {
      const client = await connect(config).catch((e: unknown) => {
        throw explainPgError(e, { ...context, spec, password: config.password });
      });
      try {
        const existing = await tableColumns(client, spec);
        if (!existing && !spec.createTable) {
          preflight.push({ code: 'invalid_param', path: 'params.table', message: `node '${ctx.nodeId}': table ${shown} does not exist`, hint: 'create it first, or set create_table to true' });
        } else if (existing && spec.mode !== 'replace') {
          problemIfThrown(preflight, 'unknown_column', 'params.table', () => checkColumns(context, spec, input.columns, existing));
          problemIfThrown(preflight, 'invalid_param', 'params.table', () => checkAssignments(context, input.columns, existing));
        }
      } catch (e) {
        throw explainPgError(e, { ...context, spec, password: config.password });
      } finally {
        await client.end().catch(() => undefined);
      }
    }
    return {
      target: `PostgreSQL ${shown}, ${p.mode}`,
      destination: { key: `postgres:${config.host}:${config.port}/${config.database}/${spec.table.schema}.${spec.table.name}`, label: `PostgreSQL table ${shown}` },
      preflight,
      stage: routed ? [viewSql] : [],
      external: {
        describe: [`-- ${p.mode} into ${shown} with COPY FROM STDIN inside one transaction, prepared and committed with the run`],
        stage: (io) => postgresConnector.write(config, spec, { relation: input.ref, columns: input.columns, tempDir: path.dirname(ctx.tempPath('pg')) }, io, { ...context, runId: ctx.runId }),
      },
    };
  },
  docs: `Loads the input into a PostgreSQL table through a connection declared in the pipeline. Rows go
with \`COPY … FROM STDIN\` (CSV), streamed from DuckDB while it produces them.

**Modes.**
- \`append\` (default): adds the rows.
- \`replace\`: the table becomes exactly this data, recreated with the data's columns and types
  (built beside the old table and swapped in; indexes, grants and dependent views of the old table
  are not kept: a view depending on it makes the swap fail; use truncate_insert then).
- \`upsert\`: rows whose *key columns* match an existing row update it, others are inserted. With a
  primary key or unique index on exactly the keys this is \`INSERT … ON CONFLICT … DO UPDATE\`;
  without one (or with a \`DEFERRABLE\` one, which ON CONFLICT cannot use), an \`UPDATE … FROM\` followed by an \`INSERT … WHERE NOT EXISTS\`. Keys must be set
  and unique within the data (the load fails and names the duplicate key otherwise).
- \`truncate_insert\`: empties the table, then adds the rows; keeps its definition, indexes, grants.

**Atomic.** Everything happens in one transaction that stays open until every sink of the run
has staged, then commits with the run. A failed or cancelled run, or a connection lost mid-load,
rolls it back: the table is exactly as before (a table the run created disappears again).
A cancel also stops the statement the load is running on the server (its COPY, merge or
\`post_sql\`) through \`pg_cancel_backend\`, so nothing runs on after the run has ended.
While the transaction is open, \`truncate_insert\` and \`replace\` hold locks that make readers of
the table wait until the run commits. It waits idle while the run's other sinks are written, so it
turns off the server's \`idle_in_transaction_session_timeout\` for itself (\`SET LOCAL\`), which
would otherwise end it, and fail the run, on a server that sets one.

**A lost connection.** A COMMIT whose answer never arrives (the connection cut as the server
committed) is looked up from a new session: committed, the run succeeds (no second load on a rerun);
otherwise it fails with the table unchanged. A prepared transaction whose PREPARE or ROLLBACK lost
its connection is rolled back from a new session, so it does not stay behind holding the table's
locks; when the server cannot be reached at all, the error names it and how to end it by hand.
A server that stops answering without closing the connection gets the connection's
\`commit_timeout_s\` (120 s) to answer PREPARE TRANSACTION or COMMIT; then the answer counts as lost.

**Locks.** The load locks the table (ROW EXCLUSIVE, which readers pass; ACCESS EXCLUSIVE for
truncate_insert) before it reads the table's columns, so an ALTER TABLE by someone else cannot
change them between the checks and the write. While it waits for a lock another session holds, the
run log says which session holds it (user, application, state, since when, its statement); the load
goes on once that is released, or the run can be cancelled.

**Names** (schema, table, columns) longer than the 63 bytes PostgreSQL keeps are refused before
anything is read: PostgreSQL would silently cut them, and the next run would not find a column
created under the cut name.

**Creating the table.** When it is missing (and *Create the table* is on) it is created, and its
schema too when that is missing (which needs the CREATE privilege on the database; into an existing
schema, the privileges on the schema are enough, on either engine), with types mapped from DuckDB: integers, real/double precision, numeric(p,s), boolean, text, date, time, timetz (a time with its UTC offset),
timestamp, timestamptz, interval, uuid, bytea, jsonb (JSON, structs, maps), arrays (lists of scalars,
and fixed-size arrays such as \`FLOAT[768]\` embeddings, with the same element types; lists of lists
become jsonb, and load into an existing array column such as \`int[][]\` as nested arrays, which must be
rectangular). HUGEINT (what
\`sum()\` of a BIGINT gives) becomes \`numeric(38,0)\`, which reads back exactly as DECIMAL(38,0): a
value with 39 digits stops the load naming the column and the value (create the table first with
\`numeric(39,0)\` to hold them). PostgreSQL keeps microseconds: a TIMESTAMP_NS value (Parquet files written by pandas hold them) with
digits past the microsecond stops the load, naming the column and the value, in a new table as in an
existing one; whole microseconds (the usual case) load exactly. The same for TIME_NS into a \`time\` column.
For upsert the keys become the primary key.

**Columns.** Every input column must exist in an existing table (same name, case-sensitive); the
table's other columns get their defaults. The check happens before anything is read. An input column
that the table declares \`GENERATED ALWAYS AS IDENTITY\` is refused (COPY would write the values, and
the next number PostgreSQL assigns would collide with one of them): leave it out, or declare it
\`GENERATED BY DEFAULT\`. A column of a domain type is checked as the domain's base type (a domain
over \`varchar(3)\` as \`varchar(3)\`).

**Values the table's columns would change** stop the load instead of being changed (PostgreSQL
would convert them without a word): a timestamp with a time of day into a \`date\` column, more
decimal places than a \`numeric(p,s)\` column keeps (12.345 into \`numeric(10,2)\`; also a double
such as 0.1 + 0.2 = 0.30000000000000004), a fraction into an integer column, a finer fraction of
a second than \`timestamp(0)\` or \`time(3)\` keep, a whole number or decimal that a \`double
precision\` (or \`real\`) column would round (a BIGINT past 2^53: 9007199254740993 would become
9007199254740992), an integer with more digits than a \`numeric(p,s)\` holds before the point, text
longer than a \`varchar(n)\` or \`char(n)\` (PostgreSQL would cut trailing spaces past n without a
word), an interval with parts an \`interval day\` or \`interval hour to minute\` column would cut, or
a finer fraction of a second than \`interval second(0)\` keeps, a TIMETZ with a non-zero offset into
a \`time\` column (the offset would be dropped; \`CAST(t AS TIME)\` keeps the local time on purpose).
Lists into array columns are checked element by element the same way. The message names the column and the value;
convert on purpose before the sink (\`CAST(day AS DATE)\`, \`round(price, 2)\`,
\`date_trunc('second', at)\` in a Derive). Values that convert exactly still load: a midnight
timestamp into a date, 12.0 into an integer. A timestamp column into a \`time\` column would lose
every date, and a time column has no date for a \`timestamp\` column: both are refused before
anything is read. Not checked: a DOUBLE into a \`real\` column (approximate by
definition), \`money\` (rounds to the locale's cents), a TIMESTAMPTZ into \`timestamp\` (written
as the UTC wall clock, as a cast gives). Text columns are parsed by PostgreSQL's own rules; what
they would change is checked as for typed values: a whole number a \`real\` or \`double precision\`
column would round (\`'16777217'\` into \`real\`), \`'12.345'\` into \`numeric(10,2)\`, \`'2024-01-01
10:30'\` into a \`date\` (when DuckDB reads the text as a timestamp), more digits of a second than the
column keeps, and an offset or zone name after the time (\`'2024-06-01 12:00:00+05'\`,
\`'… America/New_York'\`) into a \`timestamp\` or \`time\` column without time zone, which would drop it
(UTC written as \`Z\`, \`+00\` or \`UTC\` loads as its wall clock, as a TIMESTAMPTZ does). Text into an
interval column is left to PostgreSQL's parse. Intervals are written in PostgreSQL's own style
whatever \`IntervalStyle\` the role or database sets (under \`sql_standard\` the server would read
\`-1 mons +2 days\` as minus one month and minus two days). Give such columns their type first when you can. A value PostgreSQL refuses (a number too long for \`varchar(3)\`, \`"many"\` for an integer, a NULL
in a NOT NULL column) fails the load naming the column, the table's and the input's types and the
line of the rows sent.

**Privileges** the connection's user needs: USAGE on the schema and INSERT on the table (append),
plus UPDATE and SELECT, and CREATE on the schema for the table it stages the rows in (upsert),
TRUNCATE (truncate_insert), ownership of the table (replace, which
drops and recreates it), CREATE on the schema for a table the load creates, and CREATE on the
database only for a schema it creates. A missing one fails the load before anything is committed,
with a hint naming what the mode needs.

**SQL before / after** run inside the same transaction (e.g. delete a partition before loading it).`,
  example: {
    description: 'Merge the cleaned customers into the warehouse by id',
    params: { connection: 'warehouse', schema: 'public', table: 'customers', mode: 'upsert', keys: ['customer_id'] },
  },
});
