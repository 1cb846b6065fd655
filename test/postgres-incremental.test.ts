import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspect, previewPipeline, runPipeline } from '../core/src/engine/engine.js';
import { listStates, pipelineStateFolder } from '../core/src/engine/state.js';
import type { RunEvent } from '../core/src/engine/protocol.js';
import { caudal } from './support/cli.js';
import type { Pipeline } from '../core/src/model/schema.js';
import { pipeline, tempDir } from './support/pipeline.js';
import { PG, pgConnection, pgLoginRole, pgSandbox, pgSecretEnv, writePgConnectionsFile } from './support/postgres.js';
import { afterFile } from './support/cleanup.js';

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

  it('preview, validate and caudal sql with --state-dir show the next run: the rows after the saved watermark, and its filter', async () => {
    await q(`CREATE TABLE nextrun (id int)`);
    await q(`INSERT INTO nextrun SELECT generate_series(1, 5)`);
    const d = doc('nextrun', 'id', '2');
    const request = { pipeline: d, baseDir: dir, connections: pgConnection() };
    // Without a state folder: from the initial value.
    expect((await previewPipeline({ ...request, nodeId: 'src' })).rows.map((r) => Number(r.id))).toEqual([3, 4, 5]);
    expect((await run(d)).error).toBeUndefined();
    await q(`INSERT INTO nextrun VALUES (6)`);
    const preview = await previewPipeline({ ...request, stateDir, nodeId: 'src' });
    expect(preview.rows.map((r) => Number(r.id))).toEqual([6]);
    const planned = await inspect({ ...request, stateDir });
    expect(planned.problems).toEqual([]);
    expect((await run(d)).outputs[0]!.rows).toBe(1);
  });

  it('keeps the watermark when the run wrote the rows nowhere (run up to the source)', async () => {
    await q(`CREATE TABLE upto (id bigint)`);
    await q(`INSERT INTO upto SELECT g FROM generate_series(1, 3) g`);
    const d = doc('upto', 'id');
    const s = await runPipeline({ pipeline: d, baseDir: dir, connections: pgConnection(), stateDir, targets: ['src'] });
    expect(s.status).toBe('succeeded');
    expect(await listStates(stateDir, d.name)).toEqual([]);
    await run(d);
    expect(await ids('upto_copy')).toEqual([1, 2, 3]);
  });

  it('keeps the watermark when the run leaves out a sink that reads the source: that sink gets every row later', async () => {
    await q(`CREATE TABLE two_sinks (id bigint)`);
    await q(`INSERT INTO two_sinks SELECT g FROM generate_series(1, 4) g`);
    const d = pipeline(
      [
        { id: 'src', type: 'source.postgres', params: { connection: 'db', schema, table: 'two_sinks', incremental: { column: 'id' } } },
        { id: 'copy_a', type: 'sink.postgres', params: { connection: 'db', schema, table: 'two_sinks_a' } },
        { id: 'evens', type: 'transform.filter', params: { condition: 'id % 2 = 0' } },
        { id: 'copy_b', type: 'sink.postgres', params: { connection: 'db', schema, table: 'two_sinks_b' } },
      ],
      ['src -> copy_a', 'src -> evens', 'evens -> copy_b'],
      { connections, name: 'incremental two sinks' },
    );
    const warnings: string[] = [];
    const partial = await runPipeline({ pipeline: d, baseDir: dir, connections: pgConnection(), stateDir, targets: ['copy_a'], onEvent: (e) => void (e.type === 'warning' && warnings.push(e.message)) });
    expect(partial.status).toBe('succeeded');
    expect(await ids('two_sinks_a')).toEqual([1, 2, 3, 4]);
    expect(warnings).toEqual(["state not saved: sink 'copy_b' reads from this node but is not part of this run, so it would never receive these rows; the next run reads these rows again"]);
    expect(await listStates(stateDir, d.name)).toEqual([]);
    // The full run gives copy_b its rows (and copy_a, an append, the same rows a second time).
    expect((await runPipeline({ pipeline: d, baseDir: dir, connections: pgConnection(), stateDir })).status).toBe('succeeded');
    expect(await ids('two_sinks_b')).toEqual([2, 4]);
    expect(await ids('two_sinks_a')).toEqual([1, 1, 2, 2, 3, 3, 4, 4]);
    await q(`INSERT INTO two_sinks VALUES (5), (6)`);
    expect((await runPipeline({ pipeline: d, baseDir: dir, connections: pgConnection(), stateDir })).status).toBe('succeeded');
    expect(await ids('two_sinks_b')).toEqual([2, 4, 6]);
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

  it('warns of rows read without a watermark value: later runs would never read rows like them', async () => {
    await q(`CREATE TABLE nulls_wm (id int, at timestamptz)`);
    await q(`INSERT INTO nulls_wm VALUES (1, '2024-01-01 00:00:00+00'), (2, NULL), (3, NULL), (4, '2024-01-02 00:00:00+00')`);
    const d = doc('nulls_wm', 'at');
    const warnings: string[] = [];
    const s = await runPipeline({ pipeline: d, baseDir: dir, connections: pgConnection(), stateDir, onEvent: (e) => void (e.type === 'warning' && warnings.push(e.message)) });
    expect(s.status).toBe('succeeded');
    expect(await ids('nulls_wm_copy')).toEqual([1, 2, 3, 4]);
    expect(warnings).toEqual([
      "2 rows read have no value in the watermark column 'at': a NULL is never above the watermark, so later incremental runs will not read rows like them; give the column a value (a DEFAULT, or a trigger that sets it) or read them another way",
    ]);
    // Without NULLs, no warning.
    warnings.length = 0;
    await q(`INSERT INTO nulls_wm VALUES (5, '2024-01-03 00:00:00+00')`);
    await runPipeline({ pipeline: d, baseDir: dir, connections: pgConnection(), stateDir, onEvent: (e) => void (e.type === 'warning' && warnings.push(e.message)) });
    expect(warnings).toEqual([]);
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
    expect(await listStates(stateDir, d.name)).toEqual([]);

    await q(`DROP TRIGGER slow ON src_k_copy`);
    await q(`INSERT INTO src_k VALUES (3001, '2024-01-01 01:00:01+00')`);
    const ok = await run(d);
    expect(ok.error).toBeUndefined();
    expect(await ids('src_k_copy')).toEqual(Array.from({ length: 3001 }, (_, i) => i + 1));
    expect((await listStates(stateDir, d.name)).map((st) => st.state)).toEqual([{ column: 'at', watermark: '2024-01-01 01:00:01.000000+00', kind: 'date/time' }]);
  });

  it('caudal state show, set and reset inspect and move the watermark of a headless run', async () => {
    await q(`CREATE TABLE cli_ev (id int, at timestamptz)`);
    await q(`INSERT INTO cli_ev SELECT g, timestamptz '2024-03-01 00:00:00+00' + g * interval '1 day' FROM generate_series(1, 6) g`);
    const project = path.join(dir, 'project');
    await mkdir(project, { recursive: true });
    const file = path.join(project, 'pipeline.json');
    await writeFile(file, JSON.stringify(doc('cli_ev', 'at', undefined, 'cli_copy'), null, 2));
    // The project's connections file sits next to the pipeline; the user's file is an empty temp folder.
    await writePgConnectionsFile(project);
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

    // A value the column does not take: the run's refusal names the command that set it, not a type change.
    expect((await caudal(['state', 'set', file, '--node', 'src', '--value', 'yesterday-ish', '--state-dir', cliState], { env })).code).toBe(0);
    const refused = await caudal(['run', file, '--state-dir', cliState], { env });
    expect(refused.code).toBe(2);
    // (The test server's password is the word caudal, which every output redacts.)
    expect(refused.stderr).toMatch(/PostgreSQL refused the watermark 'yesterday-ish' \(set with `(caudal|\*\*\*) state set`\) for column 'at'/);
    expect(refused.stderr).toContain("the value set is not of the column's type");

    // A number column's watermark is refused at once when it is not a number.
    const byId = path.join(project, 'by-id.json');
    await writeFile(byId, JSON.stringify({ ...doc('cli_ev', 'id', undefined, 'cli_copy_id'), name: 'incremental cli_ev by id' }, null, 2));
    expect((await caudal(['run', byId, '--state-dir', cliState, '-q'], { env })).code).toBe(0);
    const notNumber = await caudal(['state', 'set', byId, '--node', 'src', '--value', 'abc', '--state-dir', cliState], { env });
    expect(notNumber.code).toBe(2);
    expect(notNumber.stderr).toContain("node 'src': 'abc' is not a number, and id holds numbers (the last run saved 6)");
    expect((await caudal(['state', 'set', byId, '--node', 'src', '--value', '4', '--state-dir', cliState], { env })).code).toBe(0);
  });
  /** One pipeline, the schema a pipeline param: the way users run one pipeline per tenant. */
  const tenants = async (name: string) => {
    const [a, b] = [`${schema}_${name}_a`, `${schema}_${name}_b`];
    for (const s of [a, b]) {
      await q(`CREATE SCHEMA "${s}"`);
      afterFile(() => q(`DROP SCHEMA "${s}" CASCADE`));
    }
    // Made here, so the test's login role (dropped after the file) owns nothing.
    await q(`CREATE TABLE ${name}_copy (id int, at timestamptz)`);
    const doc = pipeline(
      [
        { id: 'src', type: 'source.postgres', params: { connection: 'db', schema: '${tenant}', table: 'ev', incremental: { column: 'at' } } },
        { id: 'dst', type: 'sink.postgres', params: { connection: 'db', schema, table: `${name}_copy` } },
      ],
      ['src -> dst'],
      { connections, name: `tenants ${name}`, params: { tenant: { type: 'string', default: a } } },
    );
    return { a, b, doc };
  };
  // A login of its own, so the test can look for its password in the state files.
  const password = 'Sh0uld-n3ver-be-saved';
  const login = pgConnection();
  Object.assign(login.db!.config, { user: await pgLoginRole(password), password });
  const runFor = async (d: Pipeline, tenant: string) => {
    const events: RunEvent[] = [];
    const summary = await runPipeline({ pipeline: d, baseDir: dir, connections: login, stateDir, params: { tenant }, onEvent: (e) => events.push(e) });
    expect(summary.error).toBeUndefined();
    return { rows: summary.outputs[0]!.rows, logs: events.flatMap((e) => (e.type === 'log' ? [e.message] : [])) };
  };

  it('keeps one watermark per source: the same pipeline run for another schema reads that schema from the start', async () => {
    const { a, b, doc: d } = await tenants('per_key');
    await q(`CREATE TABLE "${a}".ev (id int, at timestamptz)`);
    await q(`CREATE TABLE "${b}".ev (id int, at timestamptz)`);
    await q(`INSERT INTO "${a}".ev SELECT g, timestamptz '2024-06-01 00:00:00+00' + g * interval '1 day' FROM generate_series(1, 5) g`);
    // Tenant b's rows are all older than tenant a's watermark.
    await q(`INSERT INTO "${b}".ev SELECT 100 + g, timestamptz '2024-01-01 00:00:00+00' + g * interval '1 day' FROM generate_series(1, 6) g`);

    expect((await runFor(d, a)).rows).toBe(5);
    expect((await runFor(d, b)).rows).toBe(6);
    expect(await ids('per_key_copy')).toEqual([1, 2, 3, 4, 5, 101, 102, 103, 104, 105, 106]);

    // Each tenant goes on from its own watermark.
    await q(`INSERT INTO "${a}".ev VALUES (6, '2024-06-07 00:00:00+00')`);
    await q(`INSERT INTO "${b}".ev VALUES (107, '2024-01-08 00:00:00+00')`);
    expect((await runFor(d, b)).rows).toBe(1);
    expect((await runFor(d, a)).rows).toBe(1);
    expect((await runFor(d, a)).rows).toBe(0);
    expect(await ids('per_key_copy')).toEqual([1, 2, 3, 4, 5, 6, 101, 102, 103, 104, 105, 106, 107]);

    const states = await listStates(stateDir, d.name);
    expect(states).toHaveLength(2);
    expect(new Set(states.map((st) => st.key)).size).toBe(2);
    const of = (t: string) => states.find((st) => st.source!.includes(`"${t}"."ev"`))!;
    expect(of(a)).toMatchObject({ nodeId: 'src', state: { column: 'at', watermark: '2024-06-07 00:00:00.000000+00' } });
    expect(of(b)).toMatchObject({ nodeId: 'src', state: { column: 'at', watermark: '2024-01-08 00:00:00.000000+00' } });
    expect(of(a).source).toBe(`postgres ${PG.host}:${PG.port}/${PG.database} (connection 'db'), table "${a}"."ev", watermark at`);
    // The key never holds a secret, nor does anything else in the state folder.
    const folder = pipelineStateFolder(stateDir, d.name);
    for (const f of await readdir(folder)) expect(await readFile(path.join(folder, f), 'utf8')).not.toContain(password);
  });

  it('adopts a state file from before keys once, for the source the next run reads, and says so', async () => {
    const { a, b, doc: d } = await tenants('legacy');
    await q(`CREATE TABLE "${a}".ev (id int, at timestamptz)`);
    await q(`CREATE TABLE "${b}".ev (id int, at timestamptz)`);
    await q(`INSERT INTO "${a}".ev SELECT g, timestamptz '2024-06-01 00:00:00+00' + g * interval '1 day' FROM generate_series(1, 5) g`);
    await q(`INSERT INTO "${b}".ev SELECT 100 + g, timestamptz '2024-01-01 00:00:00+00' + g * interval '1 day' FROM generate_series(1, 3) g`);
    // What an older Caudal wrote after loading tenant a up to 2024-06-03.
    const folder = pipelineStateFolder(stateDir, d.name);
    await mkdir(folder, { recursive: true });
    await writeFile(path.join(folder, 'src.state.json'), JSON.stringify({ pipeline: d.name, nodeId: 'src', updatedAt: '2024-06-03T00:00:00.000Z', state: { column: 'at', watermark: '2024-06-03 00:00:00.000000+00' } }));

    const first = await runFor(d, a);
    expect(first.rows).toBe(3);
    expect(first.logs.some((l) => l.includes(`the saved state had no source key (written by an older Caudal): adopted, once, for postgres ${PG.host}:${PG.port}/${PG.database} (connection 'db'), table "${a}"."ev"`))).toBe(true);
    expect(await readdir(folder)).not.toContain('src.state.json');
    // Tenant b does not inherit tenant a's watermark: it starts from its initial value.
    expect((await runFor(d, b)).rows).toBe(3);
    expect((await runFor(d, a)).rows).toBe(0);
    expect(await ids('legacy_copy')).toEqual([3, 4, 5, 101, 102, 103]);
    const adopted = (await listStates(stateDir, d.name)).find((st) => st.source!.includes(`"${a}"`))!;
    expect(adopted.state).toEqual({ column: 'at', watermark: '2024-06-06 00:00:00.000000+00', kind: 'date/time' });
  });

  it('caudal state shows each source of a node and sets or resets one of them by key', async () => {
    const { a, b, doc: d } = await tenants('cli_keys');
    await q(`CREATE TABLE "${a}".ev (id int, at timestamptz)`);
    await q(`CREATE TABLE "${b}".ev (id int, at timestamptz)`);
    await q(`INSERT INTO "${a}".ev SELECT g, timestamptz '2024-06-01 00:00:00+00' + g * interval '1 day' FROM generate_series(1, 3) g`);
    await q(`INSERT INTO "${b}".ev SELECT 100 + g, timestamptz '2024-01-01 00:00:00+00' + g * interval '1 day' FROM generate_series(1, 3) g`);
    const project = path.join(dir, 'cli-keys');
    await mkdir(project, { recursive: true });
    const file = path.join(project, 'pipeline.json');
    await writeFile(file, JSON.stringify(d, null, 2));
    await writePgConnectionsFile(project);
    const env = { CAUDAL_CONFIG_DIR: path.join(dir, 'user-config'), ...pgSecretEnv('db') };
    const sd = ['--state-dir', path.join(dir, 'cli-keys-state')];
    for (const t of [a, b]) expect((await caudal(['run', file, ...sd, '--param', `tenant=${t}`, '-q'], { env })).code).toBe(0);

    const shown = await caudal(['state', 'show', file, ...sd], { env });
    expect(shown.stdout).toContain(`table "${a}"."ev", watermark at`);
    expect(shown.stdout).toContain(`table "${b}"."ev", watermark at`);
    const states = JSON.parse((await caudal(['state', 'show', file, ...sd, '--json'], { env })).stdout) as Array<{ key: string; source: string }>;
    const keyOf = (t: string) => states.find((st) => st.source.includes(`"${t}"`))!.key;

    // Two sources: set must be told which.
    const ambiguous = await caudal(['state', 'set', file, ...sd, '--node', 'src', '--value', '2024-01-01 00:00:00+00'], { env });
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain('say which with --key');
    expect(ambiguous.stderr).toContain(keyOf(a));
    // Replay tenant b from its first day (a key prefix is enough); tenant a is untouched.
    expect((await caudal(['state', 'set', file, ...sd, '--node', 'src', '--key', keyOf(b).slice(0, 6), '--value', '2024-01-02 00:00:00+00'], { env })).code).toBe(0);
    await caudal(['run', file, ...sd, '--param', `tenant=${b}`, '-q'], { env });
    await caudal(['run', file, ...sd, '--param', `tenant=${a}`, '-q'], { env });
    expect(await ids('cli_keys_copy')).toEqual([1, 2, 3, 101, 102, 102, 103, 103]);

    // Reset one source, then every source of the node.
    expect((await caudal(['state', 'reset', file, ...sd, '--node', 'src', '--key', keyOf(a)], { env })).code).toBe(0);
    expect((JSON.parse((await caudal(['state', 'show', file, ...sd, '--json'], { env })).stdout) as unknown[]).length).toBe(1);
    const unknown = await caudal(['state', 'reset', file, ...sd, '--node', 'src', '--key', 'ffffffffffff'], { env });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(`has no saved state with key ffffffffffff`);
    expect((await caudal(['state', 'reset', file, ...sd, '--node', 'src'], { env })).code).toBe(0);
    expect(JSON.parse((await caudal(['state', 'show', file, ...sd, '--json'], { env })).stdout)).toEqual([]);
  });
});
