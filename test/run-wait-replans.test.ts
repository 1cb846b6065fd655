import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPipeline } from '../core/src/engine/engine.js';
import type { RunEvent } from '../core/src/engine/protocol.js';
import { inDb } from './support/duckdb.js';
import { pipeline, tempDir } from './support/pipeline.js';
import { pgConnection, pgSandbox } from './support/postgres.js';

/**
 * A run that waits for another run of its pipeline (`--wait`, a queued job) reads the incremental
 * state that run saved. It planned before taking the pipeline's lock, with the watermark as it was,
 * and loaded every row the first run had loaded a second time.
 */
const { schema, q } = await pgSandbox();
const dir = await tempDir('caudal-run-wait-');

describe('a run that waits for another run of its pipeline', () => {
  it('plans after the wait, from the watermark the first run saved: no row loaded twice', { timeout: 120_000 }, async () => {
    await q(`CREATE TABLE events AS SELECT g AS id, repeat('x', 50) AS pad FROM generate_series(1, 1000000) g`);
    const d = pipeline(
      [
        { id: 'src', type: 'source.postgres', params: { connection: 'db', schema, table: 'events', incremental: { column: 'id', initial: '0' } } },
        { id: 'dst', type: 'sink.duckdb', params: { database: path.join(dir, 'mart.duckdb'), table: 'events', mode: 'append' } },
      ],
      ['src -> dst'],
      { name: 'waiting', connections: { db: { type: 'postgres' } } },
    );
    const request = { pipeline: d, baseDir: dir, connections: pgConnection(), stateDir: path.join(dir, 'state') };
    let started!: () => void;
    const firstPlanned = new Promise<void>((r) => (started = r));
    const first = runPipeline({ ...request, onEvent: (e: RunEvent) => void (e.type === 'plan' && started()) });
    await firstPlanned;
    const waited: string[] = [];
    const second = runPipeline({ ...request, options: { wait: true }, onEvent: (e: RunEvent) => void (e.type === 'log' && e.message.startsWith('waiting for') && waited.push(e.message)) });
    const [a, b] = await Promise.all([first, second]);
    expect([a.status, b.status]).toEqual(['succeeded', 'succeeded']);
    expect(await inDb(path.join(dir, 'mart.duckdb'), 'SELECT count(*)::INT AS n, count(DISTINCT id)::INT AS ids FROM events')).toEqual([{ n: 1000000, ids: 1000000 }]);
    expect(waited).toEqual([expect.stringMatching(/^waiting for pipeline 'waiting', in use by run /)]);
  });
});
