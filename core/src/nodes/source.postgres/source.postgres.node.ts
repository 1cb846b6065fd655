import { writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { defineNode, type HookIo, type StateKey } from '../define.js';
import { postgresSourceSpark } from './source.postgres.spark.js';
import { ident } from '../../compiler/sql.js';
import { nextWatermark } from '../shared/watermark.js';
import { postgresFields, type PostgresConfig } from '../../connections/postgres/postgres.connection.js';
import { postgresConnector } from '../../connectors/postgres/postgres.connector.js';
import type { ReadSpec } from '../../connectors/connector.js';
import { didYouMean } from '../../util/suggest.js';
import { paramError } from '../shared/columns.js';
import { stateKey } from '../shared/state-key.js';
import { refuseUnboundedWatermark, watermarkKind, watermarkTextSql } from './watermark-text.js';
import { planWithWatermark, refuseRetypedWatermark } from './watermark-refused.js';
import { incrementalRowLimitProblem, topLevelRowLimit } from '../../connectors/query-text.js';
import { filledFilters, serverFilter } from '../shared/server-filter.js';

const filter = serverFilter;

const params = z
  .object({
    connection: z.string().min(1).meta({ label: 'Connection', help: 'A PostgreSQL connection declared under the pipeline\'s `connections`.', widget: 'connection' }),
    schema: z.string().min(1).default('public').meta({ label: 'Schema', help: '`${param}` inserts a pipeline param.', group: 'Table' }),
    table: z.string().min(1).optional().meta({ label: 'Table', help: 'Read this table or view (exact name, case-sensitive; `${param}` inserts a pipeline param). Or write a query instead.', group: 'Table' }),
    columns: z.array(z.string().min(1)).default([]).meta({ label: 'Columns', help: 'Only these columns are read (the server selects them). Empty: every column.', widget: 'list', group: 'Table' }),
    filters: z.array(filter).default([]).meta({ label: 'Filters', help: 'Conditions the server applies before sending rows; values are sent as bind parameters (`${param}` in a text value inserts a pipeline param).', widget: 'list', group: 'Table' }),
    query: z.string().min(1).optional().meta({ label: 'Query', help: 'A PostgreSQL SELECT, run on the server. `$1`, `$2`, … are filled from query params.', widget: 'sql-query', group: 'Query' }),
    query_params: z
      .array(z.union([z.string(), z.number(), z.boolean(), z.null()]))
      .default([])
      .meta({ label: 'Query params', help: 'Values for `$1`, `$2`, … in the query, sent as bind parameters. `${param}` references to pipeline params are filled in.', widget: 'list', group: 'Query' }),
    incremental: z
      .object({
        column: z.string().min(1).meta({ label: 'Watermark column', help: 'A timestamp or an always-increasing id.' }),
        initial: z.string().optional().meta({ label: 'Start after', help: 'First run: only rows above this value. Empty: every row.' }),
      })
      .strict()
      .optional()
      .meta({ label: 'Incremental', help: 'Each run reads only rows whose watermark column is above the highest value loaded by the last successful run.', group: 'Incremental' }),
    fetch_size: z.int().min(100).max(1_000_000).default(10_000).meta({ label: 'Rows per fetch', help: 'Rows per round trip when a cursor is used.', widget: 'number', group: 'Advanced' }),
  })
  .strict();

type Params = z.output<typeof params>;

/** How many rows a preview reads from the server (a preview marks itself sampled when there may be more). */
const PREVIEW_ROWS = 1000;

function readSpec(p: Params, text: (s: string) => string): ReadSpec {
  return p.table
    ? { table: { schema: text(p.schema), name: text(p.table) }, columns: p.columns, filters: filledFilters(p.filters, text), fetchSize: p.fetch_size }
    : { query: p.query, queryParams: p.query_params.map((v) => (typeof v === 'string' ? text(v) : v)), fetchSize: p.fetch_size };
}

/**
 * What an incremental read reads, as its watermark is kept by: the server and database (never the
 * user or password), the table with its filters or the query with its params, after pipeline
 * params, and the watermark column. Columns and fetch size do not change which rows are read.
 */
function readKey(config: PostgresConfig, spec: ReadSpec, connection: string, column: string): StateKey {
  const server = { type: 'postgres', host: config.host, port: config.port, database: config.database };
  const read = spec.table ? { table: spec.table, filters: spec.filters ?? [] } : { query: spec.query, params: spec.queryParams ?? [] };
  const what = spec.table
    ? `table ${ident(spec.table.schema)}.${ident(spec.table.name)}${spec.filters?.length ? ` where ${spec.filters.map((f) => `${f.column} ${f.op}${f.value === undefined ? '' : ` ${JSON.stringify(f.value)}`}`).join(' and ')}` : ''}`
    : `query ${oneLine(spec.query ?? '')}${spec.queryParams?.length ? ` with ${JSON.stringify(spec.queryParams)}` : ''}`;
  return stateKey({ server, read, watermark: column }, `postgres ${config.host}:${config.port}/${config.database} (connection '${connection}'), ${what}, watermark ${column}`);
}

const oneLine = (sql: string) => {
  const s = sql.replace(/\s+/g, ' ').trim();
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
};

export const postgresSourceNode = defineNode({
  type: 'source.postgres',
  version: 1,
  spark: postgresSourceSpark,
  category: 'source',
  title: 'PostgreSQL',
  description: 'Reads a PostgreSQL table (columns and filters pushed down) or query, optionally incrementally.',
  aliases: ['postgres', 'postgresql', 'pg', 'database', 'sql database', 'incremental'],
  inputs: [],
  outputs: [{ name: 'out' }],
  params,
  check(p) {
    const out: Array<{ path: string; message: string; hint?: string }> = [];
    if (!p.table === !p.query) out.push({ path: 'table', message: 'set either a table or a query', hint: 'a table reads it with pushed-down columns and filters; a query runs as written' });
    if (p.query && (p.columns.length > 0 || p.filters.length > 0)) out.push({ path: 'columns', message: 'columns and filters apply to a table; with a query, select and filter in the query' });
    if (p.table && p.query_params.length > 0) out.push({ path: 'query_params', message: 'query params apply to a query, not to a table' });
    const rowLimit = p.query && p.incremental ? topLevelRowLimit(p.query, 'postgres') : undefined;
    if (rowLimit) out.push(incrementalRowLimitProblem(rowLimit));
    p.filters.forEach((f, i) => {
      const needs = !['is_null', 'not_null'].includes(f.op);
      if (needs && f.value === undefined) out.push({ path: `filters[${i}].value`, message: `filter on '${f.column}' (${f.op}) needs a value` });
      if ((f.op === 'in' || f.op === 'not_in') && !Array.isArray(f.value)) out.push({ path: `filters[${i}].value`, message: `filter '${f.op}' on '${f.column}' needs a list of values` });
    });
    return out;
  },
  async compile(ctx) {
    const p = ctx.params;
    const conn = ctx.connection(p.connection, 'postgres');
    const config = postgresFields.parse(conn.config);
    const spec = readSpec(p, ctx.text);
    let watermark: string | undefined;
    let watermarkSaved = false;
    let savedKind: unknown;
    let setByHand = false;
    const key = p.incremental ? readKey(config, spec, p.connection, p.incremental.column) : undefined;
    let stateNote = '';
    // Runs, and previews, validate and `caudal sql` on DuckDB: they show the next run's rows and SQL
    // (the watermark kept in --state-dir, else the initial value). A Spark export reads its state at run time.
    if (p.incremental && key && (ctx.mode === 'run' || ctx.target === 'duckdb')) {
      const saved = await ctx.readState(key);
      watermarkSaved = typeof saved?.state.watermark === 'string';
      savedKind = saved?.state.kind;
      setByHand = saved?.state.set_by_hand === true;
      watermark = typeof saved?.state.watermark === 'string' ? saved.state.watermark : p.incremental.initial;
      spec.watermark = { column: p.incremental.column, after: watermark };
      stateNote = saved?.adopted
        ? `; the saved state had no source key (written by an older Caudal): adopted, once, for ${key.source} (key ${key.key}); other sources start from their initial value`
        : saved
          ? `; state of ${key.source} (key ${key.key})`
          : `; no saved state for ${key.source} (key ${key.key}): ${p.incremental.initial === undefined ? 'every row' : `rows after the initial value`}`;
    }
    const context = { nodeId: ctx.nodeId, connection: p.connection };
    const planSpec = ctx.mode === 'run' ? spec : { ...spec, limit: ctx.mode === 'preview' ? PREVIEW_ROWS : 0 };
    const refusable = p.incremental && watermark !== undefined ? { nodeId: ctx.nodeId, column: p.incremental.column, value: watermark, from: !watermarkSaved ? ('initial' as const) : setByHand ? ('set' as const) : ('saved' as const) } : undefined;
    const planned = await planWithWatermark((withWatermark) => postgresConnector.planRead(config, withWatermark ? planSpec : { ...planSpec, watermark: undefined }, context), refusable);
    const wmColumn = p.incremental ? planned.columns.find((c) => c.name === p.incremental!.column) : undefined;
    if (p.incremental && !wmColumn) {
      const names = planned.columns.map((c) => c.name);
      throw paramError(ctx.nodeId, 'incremental.column', `node '${ctx.nodeId}': watermark column '${p.incremental.column}' is not among the columns read${didYouMean(p.incremental.column, names)}`, `columns: ${names.join(', ')}`, p.incremental.column);
    }
    if (wmColumn && watermarkSaved) refuseRetypedWatermark({ kind: savedKind, watermark: watermark! }, { nodeId: ctx.nodeId, column: wmColumn.name, type: wmColumn.type, remoteType: wmColumn.remoteType });
    const file = ctx.tempPath('postgres.csv');
    const scan = planned.scanSql(file);
    const data = ctx.auxName('data');
    // The output reads the fetched file directly (DuckDB parses it in parallel, and a chain fuses
    // into one query); the engine materializes it when several nodes consume it. Planning creates
    // the view over an empty file, so the shape is known before any row is read.
    const createView = async (io: HookIo) => {
      await writeFile(file, '');
      await io.db.run(`CREATE OR REPLACE TEMP VIEW ${data} AS ${scan}`);
    };
    return {
      setup: [
        {
          kind: 'hook',
          description: `read from PostgreSQL (connection '${p.connection}'): ${planned.remoteSql}`,
          countsRows: true,
          run: (io) => {
            io.log(`PostgreSQL query: ${planned.remoteSql}${watermark !== undefined ? ` (watermark ${p.incremental!.column} > ${watermark})` : ''}${stateNote}`);
            return planned.fetch(io, file);
          },
          async dry(io) {
            await createView(io);
            if (ctx.mode !== 'preview') return;
            const rows = await planned.fetch(io, file);
            return { sampled: rows >= PREVIEW_ROWS };
          },
        },
      ],
      outputs: { out: `SELECT * FROM ${data}` },
      ...(p.incremental && wmColumn
        ? {
            stateKey: key,
            async nextState(io: HookIo) {
              const next = await nextWatermark(io, data, wmColumn.name, (max) => watermarkTextSql(wmColumn.type, max));
              refuseUnboundedWatermark(next, { nodeId: ctx.nodeId, column: wmColumn.name, previous: watermark });
              // No new rows: keep the old watermark (the state is rewritten with the same value).
              // The kind of values it was taken from: a column retyped across kinds is refused (watermarkKind).
              return { column: wmColumn.name, watermark: typeof next === 'string' ? next : (watermark ?? null), kind: watermarkKind(wmColumn.type) };
            },
          }
        : {}),
    };
  },
  docs: `Reads from PostgreSQL through a connection declared in the pipeline (\`"connections": {"warehouse": {"type": "postgres"}}\`)
and defined with \`caudal connections add\` (the password lives in the OS keychain or in
\`CAUDAL_SECRET_<CONNECTION>_PASSWORD\`).

**Table or query.** With a *table*, *columns* and *filters* are pushed down: the server selects
and filters, and only matching rows travel. Filter values are bind parameters, never SQL text.
With a *query*, it runs on the server as written; \`$1\`, \`$2\`, … take the *query params*
(bind parameters too). A closing \`;\` and a last line that is a \`--\` comment are fine.

**Streaming.** Rows stream from the server into a file in the run's temp folder (COPY when
nothing is bound, a server-side cursor of *Rows per fetch* rows otherwise) and DuckDB loads them
from there, so memory stays bounded whatever the table's size.

**Types.** integer types, real/double, \`numeric(p,s)\` (p ≤ 38) → DECIMAL(p,s), boolean, text types,
date, time, timetz → TIMETZ (the offset kept), timestamp, timestamptz (UTC), interval, uuid, json/jsonb → JSON, bytea → BLOB,
one-dimensional arrays of those → lists (\`numeric(p,s)[]\` → \`DECIMAL(p,s)[]\`, every digit kept;
\`numeric[]\` → \`DOUBLE[]\`, with the rule below for each element). A table column declared with
more dimensions (\`int[][]\`) reads as nested lists (\`INTEGER[][]\`), every value kept; of numeric,
date or timestamp elements it is refused before the run, naming the column. PostgreSQL neither
states an array's dimensions in a query's result nor enforces a column's on its values, so a value
with other dimensions than its column's stops the run, naming the column: cast it in a query
(\`to_jsonb(m)\` reads it as JSON, \`m::text\` as PostgreSQL's text). Unconstrained \`numeric\` (and p > 38) becomes DOUBLE: cast in
a query (\`amount::numeric(18,2)\`) to keep exact decimals. A DOUBLE keeps 15 significant digits for
certain, so a value with more (\`1234567890.123456789\`, which would arrive as 1234567890.1234567)
stops the run naming the column and the value; below 2.2e-308 a DOUBLE keeps fewer digits the closer
to zero (\`1.2345e-320\` would arrive as 1.2347e-320), and such a value stops the run too. A
\`numeric(p,s)\` with a negative scale or a scale above its precision (PostgreSQL 15) becomes the
DECIMAL holding it exactly (\`numeric(5,-2)\` → DECIMAL(7,0), \`numeric(3,5)\` → DECIMAL(5,5)). Dates and timestamps before year 1 keep their era
(PostgreSQL's \`0044-03-15 BC\` is DuckDB's \`0044-03-15 (BC)\`; DuckDB alone would read it as 44 AD).
Other types (enums, inet, money, …) arrive as text, as psql shows them (an \`inet\` host without its
mask, \`10.0.0.1\`; a network with it, \`10.0.0.0/8\`). A value DuckDB's type cannot hold stops the run naming
the column and the value, rather than arriving changed: a timestamp after 294247 AD (PostgreSQL's
reach 294276 AD), or an unconstrained \`numeric\` beyond a DOUBLE's range (\`1e400\`, \`1e-400\`).

**Bad values.** A value that fails while rows stream (a cast in the query that meets text, an
overflow, \`NaN\` in a \`numeric(p,s)\` column, which DECIMAL cannot hold) fails the run (exit code 1),
naming the node, the column and the rows it was found after; nothing is written anywhere.

**Incremental loads.** Set *Incremental* with a watermark column (a timestamp or an increasing
id). Each run reads only rows above the highest value the last **successful** run loaded; the
state is saved only after every sink of the run committed (\`caudal state show|reset|set\`,
\`--state-dir\`). There is one state per source: the server, database, table (with filters) or query
(with query params) after pipeline params, and the watermark column, so the same pipeline run for
another schema or tenant keeps its own watermark and starts from *Start after* the first time. With
a query, the watermark filters the query's result (\`SELECT * FROM (query) WHERE column > last\`): a
query with \`LIMIT\`, \`OFFSET\` or \`FETCH FIRST\` at its top level is refused, as it would pick the rows
already read again on every run and read nothing new. Rows that arrive later with a watermark at or below that value are not read:
use a commit timestamp, not a business date. A sequence is not quite safe either: its values can
commit out of order (a long transaction takes 41, another takes 42 and commits first, and 41 is
never read); where that matters, move the watermark back a little now and then (\`caudal state set\`)
and load into a table with a key (sink.postgres upsert), so the rows read twice replace themselves. Rows read with no value in the watermark
column are a warning, for the same reason: a NULL is never above the watermark, so later runs would
not read rows like them. A row whose watermark is \`NaN\` or \`infinity\` stops the run before anything
is written (PostgreSQL sorts them above every value, so no later row would ever be read): give it a
real value. A watermark column read as text (text with a collation other than C, an enum, citext, …)
is compared by its text's bytes, the order in which the highest value read is taken. The state
also records whether the watermark came from numbers, dates and times or text: a column retyped
across those since (an integer column made text, where '10' sorts before '9') stops the run, saying
how to set or reset the watermark, rather than skip rows; widening within one (integer to bigint)
keeps it.

**Previews** read the first ${PREVIEW_ROWS} rows and say they are sampled.`,
  example: {
    description: 'Orders changed since the last run, three columns, shipped only',
    params: {
      connection: 'warehouse',
      schema: 'public',
      table: 'orders',
      columns: ['order_id', 'status', 'updated_at'],
      filters: [{ column: 'status', op: '=', value: 'shipped' }],
      incremental: { column: 'updated_at', initial: '2024-01-01 00:00:00+00' },
    },
  },
});
