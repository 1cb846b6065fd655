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
import { explainSqlServerError } from './errors.js';
import { type BoundTsql, buildReadQuery, paramDeclarations } from './query.js';
import { tsqlIdent } from './sql.js';
import { parseTypeName, type ReadTransport, readTransport } from './types.js';

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
export async function planSqlServerRead(config: SqlServerConfig, spec: ReadSpec, ctx: { nodeId: string; connection: string }): Promise<PlannedRead> {
  const base = buildReadQuery(spec);
  const explain = (e: unknown) => explainSqlServerError(e, { nodeId: ctx.nodeId, connection: ctx.connection, spec, password: config.password });
  const sql = await loadMssql();
  const pool = await connectSqlServer(config).catch((e: unknown) => {
    throw explain(e);
  });
  let described: DescribedColumn[];
  try {
    described = await describeResult(sql, pool, base);
  } catch (e) {
    throw explain(e);
  } finally {
    await pool.close().catch(() => undefined);
  }
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
      try {
        return await streamToCsv(boundRequest(sql, p.request(), base.params), transportSql, file, io);
      } catch (e) {
        if (io.isCancelled()) throw new CaudalError('cancelled', 'the read was cancelled');
        throw explain(e);
      } finally {
        await p.close().catch(() => undefined);
      }
    },
  };
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

/** DuckDB's scan of the fetched file: every field read as text, then turned into its type. */
export function scanSql(file: string, columns: Array<{ name: string; transport: ReadTransport }>): string {
  const csvColumns = Object.fromEntries(columns.map((_, i) => [`c${i + 1}`, 'VARCHAR']));
  const select = columns.map((c, i) => `${c.transport.local(ident(`c${i + 1}`))} AS ${ident(c.name)}`).join(', ');
  return `SELECT ${select} FROM read_csv(${literal(file)}, header = false, auto_detect = false, allow_quoted_nulls = false, delim = ',', quote = '"', escape = '"', columns = ${literal(csvColumns)})`;
}

/** One CSV field: NULL empty, everything else quoted (so an empty string stays an empty string). */
export function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('hex') : v instanceof Date ? v.toISOString() : String(v);
  return `"${s.replaceAll('"', '""')}"`;
}

/** Streams the rows of `text` into `file` as CSV; the request pauses while the file is behind. */
async function streamToCsv(request: mssql.Request, text: string, file: string, io: HookIo): Promise<number> {
  const sink = createWriteStream(file);
  let rows = 0;
  request.stream = true;
  request.arrayRowMode = true;
  const cancel = setInterval(() => {
    if (io.isCancelled()) request.cancel();
  }, 100);
  try {
    await new Promise<void>((resolve, reject) => {
      request.on('row', (row: unknown[]) => {
        rows++;
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
    sink.destroy();
    throw e;
  } finally {
    clearInterval(cancel);
  }
  sink.end();
  await once(sink, 'finish');
  io.progress(rows);
  return rows;
}
