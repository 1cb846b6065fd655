import { writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { sqlserverSourceSpark } from './source.sqlserver.spark.js';
import { defineNode, type HookIo, type StateKey } from '../define.js';
import { nextWatermark } from '../shared/watermark.js';
import { sqlserverFields, type SqlServerConfig } from '../../connections/sqlserver/sqlserver.connection.js';
import { stateKey } from '../shared/state-key.js';
import { planSqlServerRead } from '../../connectors/sqlserver/read.js';
import type { ReadSpec } from '../../connectors/connector.js';
import { didYouMean } from '../../util/suggest.js';
import { CaudalError } from '../../util/errors.js';
import { parseTypeName, watermarkRefusal } from '../../connectors/sqlserver/types.js';
import { paramError } from '../shared/columns.js';
import { refuseRetypedWatermark } from '../source.postgres/watermark-refused.js';
import { watermarkKind } from '../source.postgres/watermark-text.js';
import { incrementalRowLimitProblem, topLevelRowLimit } from '../../connectors/query-text.js';
import { filledFilters, serverFilter } from '../shared/server-filter.js';

const filter = serverFilter;

const params = z
  .object({
    connection: z.string().min(1).meta({ label: 'Connection', help: 'A SQL Server connection declared under the pipeline\'s `connections`.', widget: 'connection' }),
    schema: z.string().min(1).default('dbo').meta({ label: 'Schema', help: '`${param}` inserts a pipeline param.', group: 'Table' }),
    table: z.string().min(1).optional().meta({ label: 'Table', help: 'Read this table or view (`${param}` inserts a pipeline param). Or write a query instead.', group: 'Table' }),
    columns: z.array(z.string().min(1)).default([]).meta({ label: 'Columns', help: 'Only these columns are read (the server selects them). Empty: every column.', widget: 'list', group: 'Table' }),
    filters: z.array(filter).default([]).meta({ label: 'Filters', help: 'Conditions the server applies before sending rows; values are sent as bind parameters (`${param}` in a text value inserts a pipeline param).', widget: 'list', group: 'Table' }),
    query: z.string().min(1).optional().meta({ label: 'Query', help: 'A T-SQL SELECT, run on the server. `@p1`, `@p2`, … are filled from query params.', widget: 'sql-query', group: 'Query' }),
    query_params: z
      .array(z.union([z.string(), z.number(), z.boolean(), z.null()]))
      .default([])
      .meta({ label: 'Query params', help: 'Values for `@p1`, `@p2`, … in the query, sent as bind parameters. `${param}` references to pipeline params are filled in.', widget: 'list', group: 'Query' }),
    incremental: z
      .object({
        column: z.string().min(1).meta({ label: 'Watermark column', help: 'A timestamp or an always-increasing id.' }),
        initial: z.string().optional().meta({ label: 'Start after', help: 'First run: only rows above this value. Empty: every row.' }),
      })
      .strict()
      .optional()
      .meta({ label: 'Incremental', help: 'Each run reads only rows whose watermark column is above the highest value loaded by the last successful run.', group: 'Incremental' }),
      })
  .strict();

type Params = z.output<typeof params>;

/**
 * A DuckDB expression giving the watermark as text SQL Server converts back exactly: at most seven
 * fractional digits (datetime2), instants with their offset (datetimeoffset). A datetime or
 * smalldatetime column (`remoteType`) gets a form no login language changes: SQL Server reads
 * `2024-01-02 10:00` into those by the login's language (a British login takes it for February
 * 1st); ISO 8601 with a T (datetime) and the unseparated `20240102 10:00:00` never.
 */
export function watermarkText(duckdbType: string, value: string, remoteType = ''): string {
  if (duckdbType === 'TIMESTAMPTZ') return `strftime(timezone('UTC', ${value}), '%Y-%m-%d %H:%M:%S.%f') || '+00:00'`;
  if (duckdbType === 'TIMESTAMP_NS') return `strftime(${value}, '%Y-%m-%d %H:%M:%S.') || left(strftime(${value}, '%n'), 7)`;
  const remote = parseTypeName(remoteType.replace(/\s+COLLATE\s+.*$/i, '')).name;
  // datetime keeps milliseconds (its steps of 1/300 s read as .000, .003, .007); smalldatetime whole minutes.
  if (remote === 'datetime') return `strftime(${value}, '%Y-%m-%dT%H:%M:%S.%g')`;
  if (remote === 'smalldatetime') return `strftime(${value}, '%Y%m%d %H:%M:%S')`;
  return `CAST(${value} AS VARCHAR)`;
}

/** Refuses a watermark column whose type SQL Server would not compare in the order the read's maximum is taken in (types.ts watermarkRefusal). */
function refuseUnorderedWatermark(nodeId: string, column: { name: string; remoteType: string }): void {
  const refusal = watermarkRefusal(column.remoteType);
  if (!refusal) return;
  const message = `node '${nodeId}': column '${column.name}' (${column.remoteType}) cannot be the watermark of an incremental read: ${refusal.why}`;
  throw new CaudalError('validation', message, {
    nodeId,
    column: column.name,
    hint: refusal.hint,
    problems: [{ code: 'invalid_param', path: 'params.incremental.column', nodeId, column: column.name, message, hint: refusal.hint }],
  });
}

/** How many rows a preview reads from the server (a preview marks itself sampled when there may be more). */
const PREVIEW_ROWS = 1000;

function readSpec(p: Params, text: (s: string) => string): ReadSpec {
  return p.table
    ? { table: { schema: text(p.schema), name: text(p.table) }, columns: p.columns, filters: filledFilters(p.filters, text) }
    : { query: p.query, queryParams: p.query_params.map((v) => (typeof v === 'string' ? text(v) : v)) };
}

/**
 * What an incremental read reads, as its watermark is kept by: the server, instance and database
 * (never the login), the table with its filters or the query with its params, after pipeline
 * params, and the watermark column (as source.postgres keys its state).
 */
function readKey(config: SqlServerConfig, spec: ReadSpec, connection: string, column: string): StateKey {
  const server = { type: 'sqlserver', host: config.host, port: config.port ?? null, instance: config.instance ?? null, database: config.database };
  const read = spec.table ? { table: spec.table, filters: spec.filters ?? [] } : { query: spec.query, params: spec.queryParams ?? [] };
  const where = `${config.host}${config.instance ? `\\${config.instance}` : `:${config.port ?? 1433}`}/${config.database}`;
  const what = spec.table
    ? `table [${spec.table.schema}].[${spec.table.name}]${spec.filters?.length ? ` where ${spec.filters.map((f) => `${f.column} ${f.op}${f.value === undefined ? '' : ` ${JSON.stringify(f.value)}`}`).join(' and ')}` : ''}`
    : `query ${(spec.query ?? '').replace(/\s+/g, ' ').trim().slice(0, 200)}${spec.queryParams?.length ? ` with ${JSON.stringify(spec.queryParams)}` : ''}`;
  return stateKey({ server, read, watermark: column }, `sqlserver ${where} (connection '${connection}'), ${what}, watermark ${column}`);
}

export const sqlserverSourceNode = defineNode({
  type: 'source.sqlserver',
  version: 1,
  category: 'source',
  title: 'SQL Server',
  description: 'Reads a SQL Server table (columns and filters pushed down) or query, streamed in batches, optionally incrementally.',
  aliases: ['sql server', 'sqlserver', 'mssql', 'azure sql', 'database', 'incremental'],
  inputs: [],
  outputs: [{ name: 'out' }],
  params,
  check(p) {
    const out: Array<{ path: string; message: string; hint?: string }> = [];
    if (!p.table === !p.query) out.push({ path: 'table', message: 'set either a table or a query', hint: 'a table reads it with pushed-down columns and filters; a query runs as written' });
    if (p.query && (p.columns.length > 0 || p.filters.length > 0)) out.push({ path: 'columns', message: 'columns and filters apply to a table; with a query, select and filter in the query' });
    if (p.table && p.query_params.length > 0) out.push({ path: 'query_params', message: 'query params apply to a query, not to a table' });
    const rowLimit = p.query && p.incremental ? topLevelRowLimit(p.query, 'sqlserver') : undefined;
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
    const conn = ctx.connection(p.connection, 'sqlserver');
    const config = sqlserverFields.parse(conn.config);
    const spec = readSpec(p, ctx.text);
    let watermark: string | undefined;
    let watermarkSaved = false;
    let savedKind: unknown;
    let setByHand = false;
    const key = p.incremental ? readKey(config, spec, p.connection, p.incremental.column) : undefined;
    // Runs, and previews, validate and `caudal sql` on DuckDB: they show the next run's rows and SQL
    // (the watermark kept in --state-dir, else the initial value). A Spark export reads its state at run time.
    if (p.incremental && key && (ctx.mode === 'run' || ctx.target === 'duckdb')) {
      const state = (await ctx.readState(key))?.state;
      watermarkSaved = typeof state?.watermark === 'string';
      savedKind = state?.kind;
      setByHand = state?.set_by_hand === true;
      watermark = typeof state?.watermark === 'string' ? state.watermark : p.incremental.initial;
      spec.watermark = { column: p.incremental.column, after: watermark };
    }
    const context = { nodeId: ctx.nodeId, connection: p.connection, watermarkFrom: !watermarkSaved ? ('initial' as const) : setByHand ? ('set' as const) : ('saved' as const) };
    const planned = await planSqlServerRead(config, ctx.mode === 'run' ? spec : { ...spec, limit: ctx.mode === 'preview' ? PREVIEW_ROWS : 0 }, context);
    const wmColumn = p.incremental ? planned.columns.find((c) => c.name === p.incremental!.column) : undefined;
    if (p.incremental && !wmColumn) {
      const names = planned.columns.map((c) => c.name);
      throw paramError(ctx.nodeId, 'incremental.column', `node '${ctx.nodeId}': watermark column '${p.incremental.column}' is not among the columns read${didYouMean(p.incremental.column, names)}`, `columns: ${names.join(', ')}`, p.incremental.column);
    }
    if (wmColumn) refuseUnorderedWatermark(ctx.nodeId, wmColumn);
    // A watermark saved when the column held values of another kind would compare in another order.
    if (wmColumn && watermarkSaved) refuseRetypedWatermark({ kind: savedKind, watermark: watermark! }, { nodeId: ctx.nodeId, column: wmColumn.name, type: wmColumn.type, remoteType: wmColumn.remoteType });
    const file = ctx.tempPath('sqlserver.csv');
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
          description: `read from SQL Server (connection '${p.connection}'): ${planned.remoteSql}`,
          countsRows: true,
          run: (io) => {
            io.log(`SQL Server query: ${planned.remoteSql}${watermark !== undefined ? ` (watermark ${p.incremental!.column} > ${watermark})` : ''}`);
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
              const next = await nextWatermark(io, data, wmColumn.name, (max) => watermarkText(wmColumn.type, max, wmColumn.remoteType));
              // No new rows: keep the old watermark (the state is rewritten with the same value).
              // The kind of values it was taken from: a column retyped across kinds is refused (watermarkKind).
              return { column: wmColumn.name, watermark: typeof next === 'string' ? next : (watermark ?? null), kind: watermarkKind(wmColumn.type) };
            },
          }
        : {}),
    };
  },
  spark: sqlserverSourceSpark,
  docs: `Reads from SQL Server (or Azure SQL) through a connection declared in the pipeline
(\`"connections": {"erp": {"type": "sqlserver"}}\`) and defined with \`caudal connections add\` (the
password lives in the OS keychain or in \`CAUDAL_SECRET_<CONNECTION>_PASSWORD\`).

**Table or query.** With a *table*, *columns* and *filters* are pushed down: the server selects
and filters, and only matching rows travel. Filter values are bind parameters, never SQL text.
With a *query*, it runs on the server as written (as a derived table: every column needs a name,
and ORDER BY needs TOP); \`@p1\`, \`@p2\`, … take the *query params* (bind parameters too:
whole numbers as bigint, other numbers as float, booleans as bit, the rest as nvarchar). A closing
\`;\` and a last line that is a \`--\` comment are fine.

**Streaming.** Rows stream from the server (the driver's stream mode, paused while the file
catches up) into a file in the run's temp folder, and DuckDB loads them from there, so memory stays
bounded whatever the table's size.

**Types.** Exact both ways: \`decimal\`/\`numeric(p,s)\` → DECIMAL(p,s); \`money\` → DECIMAL(19,4),
\`smallmoney\` → DECIMAL(10,4); \`bit\` → BOOLEAN; \`tinyint\`/\`smallint\` → SMALLINT, \`int\` → INTEGER,
\`bigint\` → BIGINT; \`real\` → FLOAT, \`float\` → DOUBLE; \`date\` → DATE; \`time\` → TIME (microseconds:
a time(7) value whose 7th digit is not 0 stops the read, naming it; select it as text to keep it); \`datetime\`, \`smalldatetime\`, \`datetime2(0–6)\` → TIMESTAMP,
\`datetime2(7)\` → TIMESTAMP_NS (every 100 ns step kept); \`datetimeoffset\` → TIMESTAMPTZ (the instant:
the offset is applied, the value is shown in UTC; a 7th fractional digit other than 0 stops the read);
\`uniqueidentifier\` → UUID; \`char\`/\`varchar\`/\`nchar\`/\`nvarchar\`/\`text\` → VARCHAR (any collation: the
driver decodes its code page); \`binary\`/\`varbinary\`/\`rowversion\` → BLOB; \`xml\` → VARCHAR (its text);
\`hierarchyid\` → its path, \`geography\`/\`geometry\` → WKT text; \`sql_variant\` and others → text.
The remote type (with its collation) is shown by discovery.

**Incremental loads.** Set *Incremental* with a watermark column (a datetime2, a rowversion cast to
bigint in a query, or an increasing id). Each run reads only rows above the highest value the last
**successful** run loaded; the state is saved only after every sink of the run committed
(\`caudal state show|reset|set\`, \`--state-dir\`). With a query, the watermark filters the query's result:
a query with \`TOP\`, \`OFFSET … FETCH\` at its top level is refused, as it would pick the rows already
read again on every run and read nothing new. Rows read with no value in the watermark column
are a warning: a NULL is never above the watermark, so later runs would not read rows like them.
The watermark column must be a number, a date or time, or text: a \`binary\`/\`varbinary\`/
\`rowversion\` column (compared as text on the server), a \`uniqueidentifier\` (no order rows follow)
and types like \`xml\` or \`hierarchyid\` are refused before the run. For a rowversion, read through a
query: \`SELECT *, CAST(rv AS bigint) AS rv_n FROM dbo.orders WHERE rv < MIN_ACTIVE_ROWVERSION()\`
with \`rv_n\` as the watermark column. The \`MIN_ACTIVE_ROWVERSION()\` condition matters: a
transaction still open while the run reads has already taken its rowversion values, lower than
those of rows committed since; without it the run could read past them, and later runs (above the
watermark) would never read the rows that transaction commits. The same holds for an identity id
or a time set when a row is written: rows of a transaction that commits after the read, with values
below the highest read, are skipped. A Start after value the column's type does not take is
refused before the run (a \`datetime\` one is best written \`2024-01-31T08:00:00\`: SQL Server reads
other forms by the login's language). A saved watermark records the kind of values it was taken
from (number, date/time, text): when the column's type changed to another kind since, the run stops
and says how to set or reset it, as comparing would skip rows or read them again.

**Previews** read the first ${PREVIEW_ROWS} rows and say they are sampled.`,
  example: {
    description: 'Orders changed since the last run, three columns, shipped only',
    params: {
      connection: 'erp',
      schema: 'dbo',
      table: 'orders',
      columns: ['order_id', 'status', 'updated_at'],
      filters: [{ column: 'status', op: '=', value: 'shipped' }],
      incremental: { column: 'updated_at', initial: '2024-01-01 00:00:00' },
    },
  },
});
