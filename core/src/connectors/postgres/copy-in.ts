import { execFileSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { ident, literal } from '../../compiler/sql.js';
import type { HookIo } from '../../nodes/define.js';
import { CaudalError } from '../../util/errors.js';
import type { WriteSource } from '../connector.js';
import { loadCopyStreams } from './client.js';
import { pgIdent } from './sql.js';
import { loadExpr } from './types.js';

/**
 * Bulk-loads a DuckDB relation into a PostgreSQL table with COPY FROM STDIN. DuckDB writes CSV
 * into a named pipe while the same bytes stream to the server, so the export and the load overlap
 * and nothing is held in memory or on disk. (Windows has no mkfifo: there the CSV goes through a
 * temp file first.) Returns the rows the server accepted, which must equal the rows exported.
 * `tableTypes` are the target's column types (format_type) when it existed before the load.
 */
export async function copyIntoTable(client: pg.Client, table: string, source: WriteSource, io: HookIo, tableTypes?: Map<string, string>): Promise<number> {
  // Into an existing table, values its column types would change stop the load (connectors/assign.ts).
  const select = source.columns.map((c) => `${loadExpr(c, tableTypes?.get(c.name))} AS ${ident(c.name)}`).join(', ');
  const exportSql = (file: string) => `COPY (SELECT ${select} FROM ${source.relation}) TO ${literal(file)} (FORMAT csv, HEADER false)`;
  const copySql = `COPY ${table} (${source.columns.map((c) => pgIdent(c.name)).join(', ')}) FROM STDIN WITH (FORMAT csv)`;
  const file = path.join(source.tempDir, `pg-copy-${randomUUID().slice(0, 8)}.csv`);
  const progress = setInterval(() => io.progress(io.db.progress().rowsProcessed), 500);
  // DuckDB's CSV writer is serial: a second DuckDB thread would only take a core from the pipe and
  // (on the same machine) the server's COPY. Measured on 2 cores: 6.3 s with one thread, 6.9 s with two.
  const threads = await io.db.setting('threads');
  await io.db.run('SET threads = 1');
  try {
    const { exported, loaded } = process.platform === 'win32' ? await viaFile(client, io, exportSql(file), copySql, file) : await viaPipe(client, io, exportSql(file), copySql, file);
    if (io.isCancelled()) throw new CaudalError('cancelled', 'the load was cancelled');
    if (exported !== loaded) throw new CaudalError('execution', `PostgreSQL accepted ${loaded} of ${exported} rows; the load is rolled back`);
    return loaded;
  } finally {
    clearInterval(progress);
    await io.db.run(`SET threads = ${literal(Number(threads))}`);
  }
}

async function viaPipe(client: pg.Client, io: HookIo, exportSql: string, copySql: string, fifo: string): Promise<{ exported: number; loaded: number }> {
  execFileSync('mkfifo', ['-m', '600', fifo]);
  // Opening one end of a pipe waits for the other, so both ends open together. `hold` is a writer
  // of our own that keeps the reader from seeing end-of-file before DuckDB has opened the pipe;
  // it is closed once DuckDB's COPY is over, and only then can the reader reach the end.
  const [reader, hold] = await Promise.all([open(fifo, 'r'), open(fifo, 'w')]);
  let held = true;
  const release = async () => {
    if (held) await hold.close();
    held = false;
  };
  const stream = reader.createReadStream({ highWaterMark: 1 << 20 });
  const copyStreams = await loadCopyStreams();
  const copy = client.query(copyStreams.from(copySql));
  const loading = pipeline(stream, copy);
  const exporting = io.db.count(exportSql).then(
    async (n) => {
      await release();
      return n;
    },
    async (e: unknown) => {
      // Fail the COPY before the pipe ends, or the server would take the rows so far as all of them.
      stream.destroy(e instanceof Error ? e : new Error(String(e)));
      await release();
      throw e;
    },
  );
  const [exp, load] = await Promise.allSettled([exporting, loading]);
  await release();
  // When the server side fails first, the reader closes and DuckDB's next write fails (EPIPE), so both settle.
  if (load.status === 'rejected') throw load.reason;
  if (exp.status === 'rejected') throw exp.reason;
  return { exported: exp.value, loaded: copy.rowCount };
}

async function viaFile(client: pg.Client, io: HookIo, exportSql: string, copySql: string, file: string): Promise<{ exported: number; loaded: number }> {
  const exported = await io.db.count(exportSql);
  if (io.isCancelled()) throw new CaudalError('cancelled', 'the load was cancelled');
  const copyStreams = await loadCopyStreams();
  const copy = client.query(copyStreams.from(copySql));
  await pipeline(createReadStream(file), copy);
  return { exported, loaded: copy.rowCount };
}
