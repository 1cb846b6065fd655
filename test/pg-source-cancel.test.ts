import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startRun } from '../core/src/engine/engine.js';
import { pipeline, tempDir } from './support/pipeline.js';
import { pgConnection, pgSandbox } from './support/postgres.js';

const connections = { db: { type: 'postgres' } };
const SLEEP_S = 25;

/**
 * Cancelling a run (Ctrl-C, SIGTERM, the scheduler's timeout_s, the studio's stop) while a
 * PostgreSQL source's query runs on the server cancels that query there. Before, the cursor read
 * (a query with bound params, an incremental read) waited for the query to finish before the run
 * ended, and the COPY read ended at once but left the backend running the query after the client
 * was gone.
 */
describe('source.postgres: a cancelled run cancels its query on the server', async () => {
  const { schema, q } = await pgSandbox();
  const dir = await tempDir();
  await q(`CREATE TABLE one_row AS SELECT 1 AS id`);

  const doc = (src: Record<string, unknown>, name: string) =>
    pipeline(
      [
        { id: 'src', type: 'source.postgres', params: { connection: 'db', ...src } },
        { id: 'dst', type: 'sink.csv', params: { path: `out/${name}.csv` } },
      ],
      ['src -> dst'],
      { connections, name },
    );

  /** The backends running a read of this file's table (it holds the table's lock while it runs). */
  const readers = async () =>
    (await q<{ pid: number; state: string }>(`SELECT a.pid, a.state FROM pg_stat_activity a WHERE a.pid IN (SELECT pid FROM pg_locks WHERE relation = '"${schema}".one_row'::regclass) AND a.pid <> pg_backend_pid()`)).filter(
      (r) => r.state === 'active',
    );

  async function cancelWhileQueryRuns(src: Record<string, unknown>, name: string) {
    const run = startRun({ pipeline: doc(src, name), baseDir: dir, connections: pgConnection() });
    let running: Array<{ pid: number }> = [];
    for (let i = 0; i < 400 && running.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      running = await readers();
    }
    expect(running).toHaveLength(1);
    const cancelledAt = Date.now();
    run.cancel();
    const summary = await run.done;
    return { summary, tookMs: Date.now() - cancelledAt, stillRunning: await readers() };
  }

  it('a query with bound params (read through a cursor) is cancelled: the run ends at once as cancelled, the server query with it', async () => {
    const { summary, tookMs, stillRunning } = await cancelWhileQueryRuns({ query: `SELECT t.id, pg_sleep($1::float)::text AS s FROM "${schema}".one_row t`, query_params: [SLEEP_S] }, 'cursor');
    expect(summary.status).toBe('cancelled');
    expect(summary.error).toMatchObject({ kind: 'cancelled', message: 'the run was cancelled; no destination was changed' });
    expect(tookMs).toBeLessThan(5000);
    expect(stillRunning).toEqual([]);
    expect(await readdir(path.join(dir, 'out')).catch(() => [])).toEqual([]);
  });

  it('an incremental read (a cursor with the watermark bound) is cancelled the same way', async () => {
    const { summary, tookMs, stillRunning } = await cancelWhileQueryRuns(
      { query: `SELECT t.id, pg_sleep(${SLEEP_S})::text AS s FROM "${schema}".one_row t`, incremental: { column: 'id', initial: '0' } },
      'incremental',
    );
    expect(summary.status).toBe('cancelled');
    expect(tookMs).toBeLessThan(5000);
    expect(stillRunning).toEqual([]);
  });

  it('a query without params (read by COPY) stops on the server too, not only in the client', async () => {
    const { summary, tookMs, stillRunning } = await cancelWhileQueryRuns({ query: `SELECT t.id, pg_sleep(${SLEEP_S})::text AS s FROM "${schema}".one_row t` }, 'copy');
    expect(summary.status).toBe('cancelled');
    expect(tookMs).toBeLessThan(5000);
    expect(stillRunning).toEqual([]);
  });
});
