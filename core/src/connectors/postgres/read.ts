import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { ident, literal } from '../../compiler/sql.js';
import type { PostgresConfig } from '../../connections/postgres/postgres.connection.js';
import type { HookIo } from '../../nodes/define.js';
import { duplicateIndexes, sameName } from '../../nodes/shared/columns.js';
import { redact } from '../../connections/redact.js';
import { CaudalError } from '../../util/errors.js';
import type { PlannedRead, ReadSpec, RemoteColumn } from '../connector.js';
import { backendOf, cancelOnServer } from './cancel.js';
import { connect, loadCopyStreams, rawText } from './client.js';
import { connectionLost, explainPgError } from './errors.js';
import { buildReadQuery } from './query.js';
import { isDataError, readFailure } from './read-failure.js';
import { type ColumnTransport, multiDimensionRefusal, type PgTypeInfo, transportFor } from './types.js';

const DEFAULT_FETCH_SIZE = 10_000;

/**
 * Plans a read: asks the server for the statement's result columns (LIMIT 0, nothing is read)
 * and how each one travels. The fetch then streams rows into a CSV file in the run's temp folder
 * (COPY TO STDOUT when nothing is bound, else a server-side cursor in chunks), which DuckDB scans.
 * Memory stays bounded either way; the file is the only copy.
 */
export async function planPostgresRead(config: PostgresConfig, spec: ReadSpec, ctx: { nodeId: string; connection: string }): Promise<PlannedRead> {
  let base = buildReadQuery(spec);
  const explain = (e: unknown) => explainPgError(e, { nodeId: ctx.nodeId, connection: ctx.connection, spec, password: config.password });
  const client = await connect(config).catch((e: unknown) => {
    throw explain(e);
  });
  let columns: Array<RemoteColumn & { transport: ColumnTransport }>;
  try {
    const probe = await client.query({ text: `SELECT * FROM (${base.text}) AS _caudal_probe LIMIT 0`, values: base.values, rowMode: 'array' });
    const fields = probe.fields.map((f) => ({ name: f.name, oid: f.dataTypeID, typmod: f.dataTypeModifier, table: f.tableID, column: f.columnID }));
    const types = await describeTypes(client, fields);
    columns = fields.map((f, i) => {
      const t = types[i]!;
      const refused = multiDimensionRefusal(f.name, t);
      if (refused) throw new CaudalError('validation', `node '${ctx.nodeId}': ${refused}`, { nodeId: ctx.nodeId, hint: 'cast the column in the query (the node\'s query param) as the message says' });
      const transport = transportFor(t, f.typmod);
      return { name: f.name, remoteType: t.display, type: transport.duckdbType, transport };
    });
    const wm = spec.watermark?.after === undefined ? -1 : columns.findIndex((c) => c.name === spec.watermark!.column);
    if (wm >= 0 && columns[wm]!.type === 'VARCHAR' && !(await ordersAsItsBytes(client, probe.fields[wm]!, types[wm]!))) base = buildReadQuery(spec, { watermarkAsText: true });
  } catch (e) {
    throw explain(e);
  } finally {
    await client.end().catch(() => undefined);
  }
  const dup = duplicateIndexes(columns.map((c) => c.name));
  if (dup.length > 0) {
    // The two in the order the result has them, matched as duplicateIndexes matched them: "é" and "É" are two names.
    const [name, other = name] = columns.filter((c) => sameName(c.name, columns[dup[0]!]!.name)).map((c) => c.name) as [string, string?];
    const source = spec.table ? `table "${spec.table.schema}"."${spec.table.name}" has` : 'the query returns';
    throw new CaudalError('validation', `node '${ctx.nodeId}': ${source} columns '${name}' and '${other}', one name for DuckDB, which compares names ignoring case`, {
      nodeId: ctx.nodeId,
      hint: spec.table
        ? `list the columns to read in Columns with only one of them, or read the table with a query that renames one (SELECT "${name}", "${other}" AS ${other}_2, … FROM …)`
        : `give one of them another name in the query, e.g. ... AS ${name}_2`,
    });
  }
  // The transfer file's columns carry the result's own names (unique, checked above), so a value
  // DuckDB cannot convert is reported against the column the user knows, not a position.
  const positional = columns.map((c) => ({ ...c, csvName: c.name }));
  const transportSql = `SELECT ${positional.map((c) => c.transport.remote(ident(c.name))).join(', ')} FROM (${base.text}) AS _caudal_src`;

  return {
    columns: columns.map(({ transport: _t, ...c }) => c),
    remoteSql: base.text,
    scanSql(file) {
      const csvColumns = Object.fromEntries(positional.map((c) => [c.csvName, c.transport.csvType]));
      const select = positional.map((c) => `${c.transport.local(ident(c.csvName))} AS ${ident(c.name)}`).join(', ');
      // Rows end with \n (COPY's CSV and cursorOut alike). Left to guess, DuckDB took a carriage
      // return inside a value (text typed on Windows) for the line ending, and the read failed.
      return `SELECT ${select} FROM read_csv(${literal(file)}, header = false, auto_detect = false, allow_quoted_nulls = false, delim = ',', quote = '"', escape = '"', new_line = '\\n', columns = ${literal(csvColumns)})`;
    },
    async fetch(io, file) {
      const c = await connect(config, (m) => io.log(m)).catch((e: unknown) => {
        throw explain(e);
      });
      // The server's own error when it ends the session between two statements (a cursor's
      // fetches): the next statement fails only with the driver's "not queryable".
      let sessionError: unknown;
      c.on('error', (e) => {
        sessionError ??= e;
      });
      const read = { rows: 0 };
      let serverSide: { stop(): Promise<void> } | undefined;
      try {
        // A server that cannot say which session this is (a PostgreSQL-compatible one without
        // pg_stat_activity) is still read; a cancel then ends only the client side.
        serverSide = cancelOnServer(io, config, await backendOf(c).catch(() => undefined));
        return base.values.length === 0 ? await copyOut(c, transportSql, file, io, read) : await cursorOut(c, transportSql, base.values, file, io, spec.fetchSize ?? DEFAULT_FETCH_SIZE, read);
      } catch (thrown) {
        if (io.isCancelled()) throw new CaudalError('cancelled', 'the read was cancelled');
        const e = sessionError ?? thrown;
        if (isDataError(e)) throw await readFailure(e, { nodeId: ctx.nodeId, connection: ctx.connection, config, base, columns: positional, rowsRead: read.rows, window: base.values.length === 0 ? undefined : (spec.fetchSize ?? DEFAULT_FETCH_SIZE) });
        throw readStopped(e, { rows: read.rows, incremental: spec.watermark !== undefined }, ctx, config) ?? explain(e);
      } finally {
        // The server's query is cancelled before the session ends: ending it does not stop the query.
        await serverSide?.stop();
        await c.end().catch(() => undefined);
      }
    },
  };
}

/** SQLSTATEs of a session the server ended: an administrator (pg_terminate_backend), a shutdown, a crash. */
const SESSION_ENDED = new Set(['57P01', '57P02', '57P03']);

/**
 * A read the server stopped midway, said as such with what to do (undefined for other errors):
 * its statement_timeout, or the end of the session. Nothing was written (the rows wait in the
 * run's temp folder, which goes with the run), so running again is safe.
 */
function readStopped(e: unknown, read: { rows: number; incremental: boolean }, ctx: { nodeId: string; connection: string }, config: PostgresConfig): CaudalError | undefined {
  const code = (e as { code?: unknown } | undefined)?.code;
  const said = redact(e, [config.password]).message;
  const where = `node '${ctx.nodeId}' (connection '${ctx.connection}')`;
  const after = `after ${read.rows.toLocaleString('en-US')} rows`;
  if (code === '57014' && /statement timeout/i.test(said)) {
    return new CaudalError('io', `${where}: the server cancelled the read ${after}: ${said}`, {
      nodeId: ctx.nodeId,
      hint: "the statement_timeout of the connection's user or database (SHOW statement_timeout) is shorter than the read: raise it for that user (ALTER ROLE … SET statement_timeout = '1h'), or read less at a time (filters, an incremental read)",
    });
  }
  const rest = `nothing was written${read.incremental ? ' and the watermark did not move' : ''}: run again`;
  if ((typeof code === 'string' && SESSION_ENDED.has(code)) || /Connection terminated unexpectedly/i.test(said)) {
    return new CaudalError('io', `${where}: the server ended the session ${after} of the read: ${said}`, { nodeId: ctx.nodeId, hint: `an administrator, a restart or a failover ended it; ${rest}` });
  }
  // The socket was reset before the server's last words were read (or the network dropped it).
  if (connectionLost(e)) {
    return new CaudalError('io', `${where}: the connection to the server was lost ${after} of the read: ${said}`, { nodeId: ctx.nodeId, hint: `the server ended the session (an administrator, a restart or a failover) or the network dropped the connection; ${rest}` });
  }
  return undefined;
}

async function describeTypes(client: pg.Client, fields: Array<{ oid: number; typmod: number; table: number; column: number }>): Promise<PgTypeInfo[]> {
  if (fields.length === 0) return [];
  // A column read straight from a table (tableID, columnID) states its array dimensions (attndims).
  const { rows } = await client.query<{ i: number; oid: number; typname: string; typcategory: string; elem: string | null; display: string; dims: number | null }>(
    `SELECT f.i, t.oid::int AS oid, t.typname, t.typcategory, e.typname AS elem, format_type(f.oid, f.typmod) AS display, a.attndims AS dims
       FROM unnest($1::oid[], $2::int[], $3::oid[], $4::int[]) WITH ORDINALITY AS f(oid, typmod, tab, col, i)
       JOIN pg_type t ON t.oid = f.oid LEFT JOIN pg_type e ON e.oid = t.typelem AND t.typcategory = 'A'
       LEFT JOIN pg_attribute a ON t.typcategory = 'A' AND f.tab <> 0 AND a.attrelid = f.tab AND a.attnum = f.col
      ORDER BY f.i`,
    [fields.map((f) => f.oid), fields.map((f) => f.typmod), fields.map((f) => f.table), fields.map((f) => f.column)],
  );
  return rows.map((r) => ({ oid: r.oid, name: r.typname, category: r.typcategory, element: r.elem ?? undefined, display: r.display, ...(r.dims && r.dims > 1 ? { dims: r.dims } : {}) }));
}

/** Collations that order text by its bytes (UTF-8's bytes order code points, as DuckDB's VARCHAR). */
const BYTE_ORDER_LOCALES = ['C', 'POSIX', 'C.UTF-8', 'C.utf8'];

/**
 * Whether the server orders a column read as text (VARCHAR) as DuckDB orders that text, by its
 * bytes: a text column of a table with a C collation (its own or the database's). Anything else (a
 * linguistic collation, an enum's declared order, citext, an expression of a query, whose collation
 * the result does not say) is compared as text in byte order instead (buildReadQuery).
 */
async function ordersAsItsBytes(client: pg.Client, field: { tableID: number; columnID: number }, type: PgTypeInfo): Promise<boolean> {
  if (field.tableID === 0 || !['text', 'varchar', 'name'].includes(type.name)) return false;
  const { rows } = await client.query<{ bytes: boolean | null }>(
    `SELECT CASE WHEN co.oid = 100
                 THEN (SELECT coalesce(to_jsonb(d) ->> 'datlocprovider', 'c') = 'c' AND d.datcollate = ANY($3::text[]) FROM pg_database d WHERE d.datname = current_database())
                 ELSE co.collprovider = 'c' AND co.collcollate = ANY($3::text[]) END AS bytes
       FROM pg_attribute a JOIN pg_collation co ON co.oid = a.attcollation
      WHERE a.attrelid = $1 AND a.attnum = $2`,
    [field.tableID, field.columnID, BYTE_ORDER_LOCALES],
  );
  return rows[0]?.bytes === true;
}

/** Polls the cancel flag while a stream runs; `stop` aborts the transfer. */
function watchCancel(io: HookIo, stop: () => void): () => void {
  const timer = setInterval(() => {
    if (io.isCancelled()) stop();
  }, 100);
  return () => clearInterval(timer);
}

/** `read.rows`: rows received so far, kept up to date for the error of a read that fails midway. */
async function copyOut(client: pg.Client, sql: string, file: string, io: HookIo, read: { rows: number }): Promise<number> {
  const copyStreams = await loadCopyStreams();
  // Every value quoted, as cursorOut writes them: DuckDB drops a byte order mark that starts the
  // file, and COPY left a first value starting with one unquoted.
  const source = client.query(copyStreams.to(`COPY (${sql}) TO STDOUT WITH (FORMAT csv, FORCE_QUOTE *)`));
  const sink = createWriteStream(file);
  const unwatch = watchCancel(io, () => source.destroy(new Error('cancelled')));
  // Rows are counted as the stream receives them, not as the file takes them: when the server
  // fails midway, what arrived but was not yet written still counts.
  const count = csvRowCounter(read);
  const push = source.push.bind(source);
  source.push = (chunk: Buffer | null, encoding?: BufferEncoding) => {
    if (chunk) count(chunk);
    return push(chunk, encoding);
  };
  try {
    await pipeline(source, sink);
  } finally {
    unwatch();
  }
  const rows = source.rowCount;
  io.progress(rows);
  return rows;
}

/**
 * Counts the rows of PostgreSQL's CSV (pg-copy-streams reports its count only once COPY
 * completes): a newline ends a row unless it is inside quotes, and an escaped quote ("") toggles
 * the state twice, so one flag is enough.
 */
function csvRowCounter(read: { rows: number }): (chunk: Buffer) => void {
  let quoted = false;
  return (chunk) => {
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (b === 0x22) quoted = !quoted;
      else if (b === 0x0a && !quoted) read.rows++;
    }
  };
}

/** CSV field as PostgreSQL's COPY writes it: NULL empty, everything else quoted. */
function csvField(v: string | null): string {
  return v === null ? '' : `"${v.replaceAll('"', '""')}"`;
}

async function cursorOut(client: pg.Client, sql: string, values: unknown[], file: string, io: HookIo, fetchSize: number, read: { rows: number }): Promise<number> {
  const sink = createWriteStream(file);
  // A write that fails (a full disk) is reported by the next one; its 'error' event, unheard,
  // would end the worker. So would late complaints of the file once the read stopped.
  let sinkError: Error | undefined;
  sink.on('error', (e) => {
    sinkError ??= e;
  });
  let rows = 0;
  try {
    await client.query('BEGIN READ ONLY');
    // DECLARE takes the bind parameters of the statement it opens; the values stay out of the SQL text.
    await client.query({ text: `DECLARE _caudal_cursor NO SCROLL CURSOR FOR ${sql}`, values });
    for (;;) {
      if (io.isCancelled()) throw new CaudalError('cancelled', 'the read was cancelled');
      const r = await client.query<string[]>({ text: `FETCH ${literal(fetchSize)} FROM _caudal_cursor`, rowMode: 'array', types: rawText });
      if (r.rows.length === 0) break;
      let chunk = '';
      for (const row of r.rows) chunk += row.map(csvField).join(',') + '\n';
      rows += r.rows.length;
      read.rows = rows;
      if (sinkError) throw sinkError;
      if (!sink.write(chunk)) await once(sink, 'drain');
      io.progress(rows);
    }
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    sink.destroy();
    throw e;
  }
  sink.end();
  await once(sink, 'finish');
  return rows;
}

