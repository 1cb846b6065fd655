import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type mssql from 'mssql';
import { ident, literal } from '../../compiler/sql.js';
import type { SqlServerConfig } from '../../connections/sqlserver/sqlserver.connection.js';
import type { HookIo } from '../../nodes/define.js';
import { duplicateIndexes } from '../../nodes/shared/columns.js';
import { CaudalError } from '../../util/errors.js';
import type { PlannedRead, ReadSpec, RemoteColumn } from '../connector.js';
import { boundRequest, connectSqlServer, loadMssql } from './client.js';
import { explainSqlServerError, readStopped } from './errors.js';
import { type BoundTsql, buildReadQuery, paramDeclarations } from './query.js';
import { tsqlIdent } from './sql.js';
import { parseTypeName, type ReadTransport, readTransport, watermarkRefusal } from './types.js';

interface DescribedColumn {
  name: string | null;
  system_type_name: string;
  collation_name: string | null;
  is_nullable: boolean;
  is_hidden: boolean;
}

/**
 * Plans a read: the server describes the statement's result columns (sp_describe_first_result_set,
 * nothing is read) and each gets a transport (types.ts). The fetch streams rows (the driver's
 * stream mode, paused while the file catches up) into a CSV file in the run's temp folder, which
 * DuckDB scans. Memory stays bounded: the file is the only copy.
 */
export async function planSqlServerRead(config: SqlServerConfig, spec: ReadSpec, ctx: ReadContext): Promise<PlannedRead> {
  const base = buildReadQuery(spec);
  const explain = (e: unknown) => explainSqlServerError(e, { nodeId: ctx.nodeId, connection: ctx.connection, spec, password: config.password });
  const sql = await loadMssql();
  const pool = await connectSqlServer(config).catch((e: unknown) => {
    throw explain(e);
  });
  let described: DescribedColumn[];
  let refusedWatermark: CaudalError | undefined;
  try {
    described = await describeResult(sql, pool, base);
    refusedWatermark = await checkWatermarkValue(sql, pool, spec, described, ctx);
  } catch (e) {
    throw explain(e);
  } finally {
    await pool.close().catch(() => undefined);
  }
  if (refusedWatermark) throw refusedWatermark;
  const columns = described.map((d, i) => {
    if (!d.name) {
      throw new CaudalError('validation', `node '${ctx.nodeId}': column ${i + 1} of the query has no name`, { nodeId: ctx.nodeId, hint: 'name every computed column in the query, e.g. SELECT count(*) AS n' });
    }
    const transport = readTransport(parseTypeName(d.system_type_name));
    const remoteType = d.collation_name ? `${d.system_type_name} COLLATE ${d.collation_name}` : d.system_type_name;
    return { name: d.name, remoteType, type: transport.duckdbType, nullable: d.is_nullable, transport };
  });
  const dup = duplicateIndexes(columns.map((c) => c.name));
  if (dup.length > 0) {
    const name = columns[dup[0]!]!.name;
    throw new CaudalError('validation', `node '${ctx.nodeId}': the query returns column '${name}' twice (names are compared ignoring case in DuckDB)`, {
      nodeId: ctx.nodeId,
      hint: `give one of them another name in the query, e.g. ... AS ${name}_2`,
    });
  }
  const transportSql = transportQuery(base.text, columns);
  return {
    columns: columns.map(({ transport: _t, ...c }): RemoteColumn => c),
    remoteSql: base.text,
    scanSql: (file) => scanSql(file, columns),
    async fetch(io, file) {
      const p = await connectSqlServer(config, (m) => io.log(m)).catch((e: unknown) => {
        throw explain(e);
      });
      const read = { rows: 0 };
      try {
        return await streamToCsv(boundRequest(sql, p.request(), base.params), transportSql, file, io, read);
      } catch (e) {
        if (io.isCancelled()) throw new CaudalError('cancelled', 'the read was cancelled');
        // The file, not the server (a full disk): Node's own error names the system call.
        if (typeof (e as { syscall?: unknown })?.syscall === 'string') {
          throw new CaudalError('io', `node '${ctx.nodeId}': writing the rows read to the run's temp folder failed after ${read.rows.toLocaleString('en-US')} rows: ${(e as Error).message}`, {
            nodeId: ctx.nodeId,
            hint: "free space in the system's temp folder (TMPDIR), where a run keeps the rows it reads, then run again",
          });
        }
        throw readStopped(e, { rows: read.rows, incremental: spec.watermark !== undefined }, { ...ctx, spec, password: config.password }) ?? explain(e);
      } finally {
        await p.close().catch(() => undefined);
      }
    },
  };
}

interface ReadContext {
  nodeId: string;
  connection: string;
  /** Where the watermark bound in the read comes from, for the words of a refusal. */
  watermarkFrom?: 'saved' | 'set' | 'initial';
}

/** A type name as sp_describe_first_result_set gives it, safe to write into a statement. */
const PLAIN_TYPE = /^[a-z0-9_ ]+(\(\s*(max|\d+)\s*(,\s*\d+\s*)?\))?$/i;

/**
 * The watermark is bound as text, which SQL Server converts to the column's type when it compares
 * (describing the statement converts nothing): a value the type does not take would only fail once
 * the read runs, in the server's words about a conversion. Asked here with TRY_CONVERT, it is
 * refused before the run, naming the value, where it comes from and the column.
 */
async function checkWatermarkValue(sql: typeof mssql, pool: mssql.ConnectionPool, spec: ReadSpec, described: DescribedColumn[], ctx: ReadContext): Promise<CaudalError | undefined> {
  const wm = spec.watermark;
  if (wm?.after === undefined) return undefined;
  const column = described.find((d) => d.name === wm.column);
  const type = column?.system_type_name ?? '';
  if (!column || !PLAIN_TYPE.test(type) || watermarkRefusal(type)) return undefined;
  const value = String(wm.after);
  const r = await pool.request().input('w', sql.NVarChar(4000), value).query<{ ok: number }>(`SELECT CASE WHEN TRY_CONVERT(${type}, @w) IS NULL THEN 0 ELSE 1 END AS ok`);
  if (r.recordset[0]?.ok === 1) return undefined;
  const from = ctx.watermarkFrom ?? 'initial';
  const source = from === 'saved' ? 'saved by the last successful run' : from === 'set' ? 'set with `caudal state set`' : 'Start after, incremental.initial';
  const name = parseTypeName(type).name;
  const form = name === 'datetime' || name === 'smalldatetime' ? ' (write a date and time as 2024-01-31T08:00:00, ISO 8601 with a T: SQL Server reads other forms by the login\'s language)' : '';
  const move = `set a value of its type with \`caudal state set <pipeline> --node ${ctx.nodeId} --value <value>\`, or reset it with \`caudal state reset <pipeline> --node ${ctx.nodeId}\` (the next run then reads from Start after)`;
  const hint = from === 'initial' ? `set Start after to a value of the column's type (${type})${form}, or leave it empty to read every row the first time` : `the column's type changed since, or the value is not of its type: ${move}${form}`;
  const message = `node '${ctx.nodeId}': the watermark '${value}' (${source}) is not a value of column '${wm.column}' (${type}): SQL Server cannot convert it`;
  return new CaudalError('validation', message, {
    nodeId: ctx.nodeId,
    column: wm.column,
    hint,
    problems: [{ code: 'invalid_param', path: from === 'initial' ? 'params.incremental.initial' : 'params.incremental', nodeId: ctx.nodeId, column: wm.column, message, hint }],
  });
}

async function describeResult(sql: typeof mssql, pool: mssql.ConnectionPool, base: BoundTsql): Promise<DescribedColumn[]> {
  const r = await pool
    .request()
    .input('tsql', sql.NVarChar(sql.MAX), base.text)
    .input('params', sql.NVarChar(sql.MAX), paramDeclarations(base.params) || null)
    .query<DescribedColumn>('EXEC sp_describe_first_result_set @tsql, @params, 0');
  return r.recordset.filter((c) => !c.is_hidden);
}

/** The statement the fetch runs: every column in its transport form, named c1, c2, … */
export function transportQuery(baseText: string, columns: Array<{ name: string; transport: ReadTransport }>): string {
  return `SELECT ${columns.map((c, i) => `${c.transport.remote(tsqlIdent(c.name))} AS [c${i + 1}]`).join(', ')} FROM (${baseText}) AS _caudal_src`;
}

/**
 * DuckDB's scan of the fetched file: every field read as text, then turned into its type. Rows end
 * with \n (streamToCsv). Left to guess, DuckDB took a carriage return inside a value (text typed on
 * Windows, `\r\n` in a quoted field) for the line ending, and the read failed.
 */
export function scanSql(file: string, columns: Array<{ name: string; transport: ReadTransport }>): string {
  const csvColumns = Object.fromEntries(columns.map((_, i) => [`c${i + 1}`, 'VARCHAR']));
  const select = columns.map((c, i) => `${c.transport.local(ident(`c${i + 1}`))} AS ${ident(c.name)}`).join(', ');
  return `SELECT ${select} FROM read_csv(${literal(file)}, header = false, auto_detect = false, allow_quoted_nulls = false, delim = ',', quote = '"', escape = '"', new_line = '\\n', columns = ${literal(csvColumns)})`;
}

/** One CSV field: NULL empty, everything else quoted (so an empty string stays an empty string). */
export function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('hex') : v instanceof Date ? v.toISOString() : String(v);
  return `"${s.replaceAll('"', '""')}"`;
}

/**
 * Streams the rows of `text` into `file` as CSV; the request pauses while the file is behind.
 * `read.rows` counts them as they come. A write that fails (a full disk) stops the read with its
 * cause; once the read has failed, the file's late complaints (writes still queued when it is
 * destroyed) are dropped: unheard, they would end the process.
 */
async function streamToCsv(request: mssql.Request, text: string, file: string, io: HookIo, read: { rows: number }): Promise<number> {
  const sink = createWriteStream(file);
  let over = false;
  let sinkError: Error | undefined;
  sink.on('error', (e) => {
    if (over) return;
    sinkError ??= e;
    request.cancel();
  });
  let rows = 0;
  request.stream = true;
  request.arrayRowMode = true;
  const cancel = setInterval(() => {
    if (io.isCancelled()) request.cancel();
  }, 100);
  try {
    await new Promise<void>((resolve, reject) => {
      sink.once('error', reject);
      request.on('row', (row: unknown[]) => {
        rows++;
        read.rows = rows;
        if (!sink.write(row.map(csvField).join(',') + '\n')) {
          request.pause();
          sink.once('drain', () => request.resume());
        }
        if (rows % 10_000 === 0) io.progress(rows);
      });
      request.on('error', reject);
      request.on('done', () => resolve());
      void request.query(text).catch(reject);
    });
  } catch (e) {
    over = true;
    sink.destroy();
    throw sinkError ?? e;
  } finally {
    clearInterval(cancel);
  }
  sink.end();
  await once(sink, 'finish');
  io.progress(rows);
  return rows;
}
