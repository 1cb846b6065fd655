import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPipeline } from '../core/src/engine/engine.js';
import { readNodeState } from '../core/src/engine/state.js';
import { caudal } from './support/cli.js';
import { pipeline, tempDir } from './support/pipeline.js';
import { PG, pgConnection, pgSandbox, pgSecretEnv } from './support/postgres.js';

const connections = { db: { type: 'postgres' } };

describe('incremental reads from PostgreSQL', async () => {
  const { schema, q } = await pgSandbox();
  const dir = await tempDir();
  const stateDir = path.join(dir, 'state');

  /** events(id, at) → copy (append): each run should move exactly the rows it has not moved yet. */
  const doc = (source: string, column: string, initial?: string, target = `${source}_copy`) =>
    pipeline(
      [
        { id: 'src', type: 'source.postgres', params: { connection: 'db', schema, table: source, incremental: { column, ...(initial ? { initial } : {}) } } },
        { id: 'dst', type: 'sink.postgres', params: { connection: 'db', schema, table: target } },
      ],
      ['src -> dst'],
      { connections, name: `incremental ${source}` },
    );
  const run = (d: ReturnType<typeof doc>) => runPipeline({ pipeline: d, baseDir: dir, connections: pgConnection(), stateDir });
  const ids = async (table: string) => (await q<{ id: number }>(`SELECT id FROM ${table} ORDER BY id`)).map((r) => Number(r.id));

  it('reads everything above the initial value, then only new rows, then nothing; the watermark follows', async () => {
    await q(`CREATE TABLE ev (id int, at timestamptz)`);
    await q(`INSERT INTO ev SELECT g, timestamptz '2024-01-01 00:00:00+00' + g * interval '1 hour' FROM generate_series(1, 10) g`);
    const d = doc('ev', 'at', '2024-01-01 03:30:00+00');
    const first = await run(d);
    expect(first.error).toBeUndefined();
    expect(await ids('ev_copy')).toEqual([4, 5, 6, 7, 8, 9, 10]);

    await q(`INSERT INTO ev VALUES (11, '2024-01-01 11:00:00.000001+00'), (12, '2024-01-01 12:00:00+00')`);
    expect((await run(d)).outputs[0]!.rows).toBe(2);
    expect(await ids('ev_copy')).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 12]);

    expect((await run(d)).outputs[0]!.rows).toBe(0);
    expect(await ids('ev_copy')).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it('keeps the watermark when the run wrote the rows nowhere (run up to the source)', async () => {
    await q(`CREATE TABLE upto (id bigint)`);
    await q(`INSERT INTO upto SELECT g FROM generate_series(1, 3) g`);
    const d = doc('upto', 'id');
    const s = await runPipeline({ pipeline: d, baseDir: dir, connections: pgConnection(), stateDir, targets: ['src'] });
    expect(s.status).toBe('succeeded');
    expect(await readNodeState(stateDir, d.name, 'src')).toBeUndefined();
    await run(d);
    expect(await ids('upto_copy')).toEqual([1, 2, 3]);
  });

  it('works with an increasing integer id', async () => {
    await q(`CREATE TABLE seq (id bigint, v text)`);
    await q(`INSERT INTO seq SELECT g, 'v' || g FROM generate_series(1, 5) g`);
    const d = doc('seq', 'id');
    await run(d);
    await q(`INSERT INTO seq VALUES (6, 'v6')`);
    await run(d);
    expect(await ids('seq_copy')).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('does not advance the watermark when the load is killed mid-COPY, and the next run loses and duplicates nothing', async () => {
    await q(`CREATE TABLE src_k (id int, at timestamptz)`);
    await q(`INSERT INTO src_k SELECT g, timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second' FROM generate_series(1, 3000) g`);
    await q(`CREATE TABLE src_k_copy (id int, at timestamptz)`);
    // A trigger that sleeps per row keeps the COPY running long enough to kill its session.
    await q(`CREATE OR REPLACE FUNCTION slow_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.002); RETURN NEW; END $$`);
    await q(`CREATE TRIGGER slow BEFORE INSERT ON src_k_copy FOR EACH ROW EXECUTE FUNCTION slow_row()`);
    const d = doc('src_k', 'at');
    const first = run(d);
    let pid: number | undefined;
    for (let i = 0; i < 400 && !pid; i++) {
      await new Promise((r) => setTimeout(r, 25));
      // Test files run in parallel against one server: only this file's schema counts.
      pid = (await q<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE application_name = 'caudal' AND query LIKE $1 AND state = 'active'`, [`COPY "${schema}".%FROM STDIN%`]))[0]?.pid;
    }
    expect(pid).toBeDefined();
    await q('SELECT pg_terminate_backend($1)', [pid]);
    expect((await first).status).toBe('failed');
    expect(await ids('src_k_copy')).toEqual([]);
    expect(await readNodeState(stateDir, d.name, 'src')).toBeUndefined();

    await q(`DROP TRIGGER slow ON src_k_copy`);
    await q(`INSERT INTO src_k VALUES (3001, '2024-01-01 01:00:01+00')`);
    const ok = await run(d);
    expect(ok.error).toBeUndefined();
    expect(await ids('src_k_copy')).toEqual(Array.from({ length: 3001 }, (_, i) => i + 1));
    expect((await readNodeState(stateDir, d.name, 'src'))?.state).toEqual({ column: 'at', watermark: '2024-01-01 01:00:01.000000+00' });
  });

  it('caudal state show, set and reset inspect and move the watermark of a headless run', async () => {
    await q(`CREATE TABLE cli_ev (id int, at timestamptz)`);
    await q(`INSERT INTO cli_ev SELECT g, timestamptz '2024-03-01 00:00:00+00' + g * interval '1 day' FROM generate_series(1, 6) g`);
    const project = path.join(dir, 'project');
    await mkdir(project, { recursive: true });
    const file = path.join(project, 'pipeline.json');
    await writeFile(file, JSON.stringify(doc('cli_ev', 'at', undefined, 'cli_copy'), null, 2));
    // The project's connections file sits next to the pipeline; the user's file is an empty temp folder.
    await writeFile(path.join(project, 'caudal.connections.json'), JSON.stringify({ format: 'caudal.connections/1', connections: { db: { type: 'postgres', host: PG.host, port: PG.port, database: PG.database, user: PG.user } } }));
    const env = { CAUDAL_CONFIG_DIR: path.join(dir, 'user-config'), ...pgSecretEnv('db') };
    const cliState = path.join(dir, 'cli-state');

    const r1 = await caudal(['run', file, '--state-dir', cliState, '-q'], { env });
    expect(r1.stderr).toBe('');
    expect(r1.code).toBe(0);
    expect(await ids('cli_copy')).toEqual([1, 2, 3, 4, 5, 6]);

    const shown = await caudal(['state', 'show', file, '--state-dir', cliState, '--json'], { env });
    const [state] = JSON.parse(shown.stdout) as Array<{ nodeId: string; state: { column: string; watermark: string } }>;
    expect(state).toMatchObject({ nodeId: 'src', state: { column: 'at', watermark: '2024-03-07 00:00:00.000000+00' } });

    // Replay from a point: rows after 2024-03-05 are read again.
    expect((await caudal(['state', 'set', file, '--node', 'src', '--value', '2024-03-05 00:00:00+00', '--state-dir', cliState], { env })).code).toBe(0);
    await caudal(['run', file, '--state-dir', cliState, '-q'], { env });
    expect(await ids('cli_copy')).toEqual([1, 2, 3, 4, 5, 5, 6, 6]);

    // Reset: the next run starts over (no initial value: every row).
    expect((await caudal(['state', 'reset', file, '--node', 'src', '--state-dir', cliState], { env })).code).toBe(0);
    expect(JSON.parse((await caudal(['state', 'show', file, '--state-dir', cliState, '--json'], { env })).stdout)).toEqual([]);
    const r3 = await caudal(['run', file, '--state-dir', cliState, '--json'], { env });
    const finished = r3.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; summary?: { outputs: Array<{ rows: number }> } }).find((e) => e.type === 'run_finished');
    expect(finished!.summary!.outputs[0]!.rows).toBe(6);

    const bad = await caudal(['state', 'set', file, '--node', 'dst', '--value', '1', '--state-dir', cliState], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`node 'dst' is not incremental`);
  });
});
