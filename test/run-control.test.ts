import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { caudal, shellStatus, startCaudal } from './support/cli.js';
import { tempDir } from './support/pipeline.js';
import { pgSandbox, pgSecretEnv, writePgConnectionsFile } from './support/postgres.js';

/**
 * Runs under outside control: signals (SIGTERM from systemd or CI, Ctrl-C twice), two runs of one
 * pipeline at once, two sinks aimed at one table, and names at the file system's length limit.
 */
const { schema, q } = await pgSandbox();
const root = await tempDir('caudal-run-control-');

async function project(name: string, nodes: unknown[], edges: Array<[string, string]>, withDb = true): Promise<{ dir: string; env: NodeJS.ProcessEnv }> {
  const dir = path.join(root, name);
  await mkdir(dir, { recursive: true });
  await writePgConnectionsFile(dir);
  const doc = { format: 'caudal.pipeline/1', name, params: {}, connections: withDb ? { db: { type: 'postgres' } } : {}, nodes, edges: edges.map(([from, to]) => ({ from: `${from}:out`, to: `${to}:in` })) };
  await writeFile(path.join(dir, 'pipeline.json'), JSON.stringify(doc, null, 2));
  return { dir, env: { ...pgSecretEnv('db'), CAUDAL_RUNTIME_DIR: path.join(dir, 'runtime'), CAUDAL_CONFIG_DIR: path.join(dir, 'config') } };
}

const slowRows = (n: number) => ({ id: 'src', type: 'transform.sql', params: { query: `SELECT range AS id, md5(range::VARCHAR) AS a, md5((range * 7)::VARCHAR) AS b FROM range(${n})` } });

async function until(what: string, check: () => Promise<boolean>, limitMs = 60_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const leftovers = async (dir: string, pid: number | undefined) => [
  ...(await readdir(dir, { recursive: true })).filter((f) => String(f).includes('.caudal-')),
  ...(await readdir(os.tmpdir())).filter((f) => f.startsWith('caudal-run-') && f.includes(`p${pid}-`)),
  ...(await readdir(path.join(dir, 'runtime/runs')).catch(() => [])),
];

describe('signals', () => {
  it('SIGTERM cancels like Ctrl-C: exit 143, the file unchanged, nothing left behind', async () => {
    const p = await project('sigterm', [slowRows(20_000_000), { id: 'pq', type: 'sink.parquet', params: { path: 'out.parquet', if_exists: 'overwrite' } }], [['src', 'pq']]);
    await writeFile(path.join(p.dir, 'out.parquet'), 'the old file');
    const { child, result } = startCaudal(['run', 'pipeline.json'], { cwd: p.dir, env: p.env });
    await until('the staged file', async () => (await readdir(p.dir)).some((f) => f.endsWith('.tmp')));
    child.kill('SIGTERM');
    const r = await result;
    expect(r.code).toBe(143);
    expect(r.stderr).toContain('cancelled');
    expect(await readFile(path.join(p.dir, 'out.parquet'), 'utf8')).toBe('the old file');
    expect(await leftovers(p.dir, child.pid)).toEqual([]);
  });

  it('Ctrl-C twice during a PostgreSQL COPY exits 130 at once, cleanly: no crash, table unchanged, no session, nothing left', async () => {
    await q(`CREATE TABLE twice (id bigint, a text, b text)`);
    await q(`INSERT INTO twice VALUES (1, 'kept', 'kept')`);
    const p = await project('twice', [slowRows(6_000_000), { id: 'pg', type: 'sink.postgres', params: { connection: 'db', schema, table: 'twice' } }], [['src', 'pg']]);
    const { child, result } = startCaudal(['run', 'pipeline.json'], { cwd: p.dir, env: p.env });
    await until('the COPY on the server', async () => (await q(`SELECT 1 FROM pg_stat_activity WHERE query LIKE 'COPY %twice%' AND state = 'active'`)).length > 0);
    const t0 = Date.now();
    child.kill('SIGINT');
    await sleep(20);
    child.kill('SIGINT');
    const r = await result;
    expect(shellStatus(r)).toBe(130);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(r.stderr).not.toMatch(/terminate called|Napi::Error|Aborted/);
    expect(await q(`SELECT id, a FROM twice`)).toEqual([{ id: '1', a: 'kept' }]);
    await until('the load session to end', async () => (await q(`SELECT 1 FROM pg_stat_activity WHERE query LIKE 'COPY %twice%'`)).length === 0, 10_000);
    expect(await leftovers(p.dir, child.pid)).toEqual([]);
  });
  it('a second Ctrl-C at any moment while a cancelled run winds down: status 130, no crash, nothing left', async () => {
    // The first Ctrl-C cancels within milliseconds; the second may land after the run is over but
    // before the process has exited (sockets, the worker closing). Each delay probes another moment.
    const p = await project('wind-down', [slowRows(6_000_000), { id: 'pq', type: 'sink.parquet', params: { path: 'out.parquet' } }], [['src', 'pq']], false);
    for (let delay = 0; delay <= 60; delay += 3) {
      const { child, result } = startCaudal(['run', 'pipeline.json'], { cwd: p.dir, env: p.env });
      await until('the staged file', async () => (await readdir(p.dir)).some((f) => f.endsWith('.tmp')));
      child.kill('SIGINT');
      await sleep(delay);
      child.kill('SIGINT');
      const r = await result;
      expect({ delay, status: shellStatus(r) }).toEqual({ delay, status: 130 });
      expect(r.stderr).not.toMatch(/terminate called|Napi::Error|Aborted/);
      expect(await leftovers(p.dir, child.pid)).toEqual([]);
    }
  }, 120_000);
});

describe('one run at a time per pipeline and destination', () => {
  it('a second run of the same pipeline is refused with exit 75 while the first runs; --wait queues it', async () => {
    await q(`CREATE TABLE concurrent (id bigint, a text, b text)`);
    const p = await project('concurrent', [slowRows(1_500_000), { id: 'pg', type: 'sink.postgres', params: { connection: 'db', schema, table: 'concurrent' } }], [['src', 'pg']]);
    const first = startCaudal(['run', 'pipeline.json', '-q'], { cwd: p.dir, env: p.env });
    await until('the first run to hold its locks', async () => (await readdir(path.join(p.dir, 'runtime/locks')).catch(() => [])).length > 0);
    const second = await caudal(['run', 'pipeline.json', '-q'], { cwd: p.dir, env: p.env });
    expect(second.code).toBe(75);
    expect(second.stderr).toMatch(/pipeline 'concurrent' is in use by another run \S+ of pipeline 'concurrent' \(pid \d+, since/);
    expect(second.stderr).toContain('--wait');
    const waiting = await caudal(['run', 'pipeline.json', '--wait'], { cwd: p.dir, env: p.env });
    expect((await first.result).code).toBe(0);
    expect(waiting.code, waiting.stderr).toBe(0);
    expect(waiting.stderr).toMatch(/waiting for pipeline 'concurrent'|✔/);
    expect(await q(`SELECT count(*)::int AS n FROM concurrent`)).toEqual([{ n: 3_000_000 }]);
  }, 240_000);

  it('two pipelines writing the same file take turns: the second is refused while the first writes it', async () => {
    const a = await project('writer-a', [slowRows(8_000_000), { id: 'out', type: 'sink.parquet', params: { path: '../shared.parquet', if_exists: 'overwrite' } }], [['src', 'out']], false);
    const b = await project('writer-b', [slowRows(10), { id: 'out', type: 'sink.parquet', params: { path: '../shared.parquet', if_exists: 'overwrite' } }], [['src', 'out']], false);
    const env = { ...a.env, CAUDAL_RUNTIME_DIR: path.join(root, 'shared-runtime') };
    const first = startCaudal(['run', 'pipeline.json', '-q'], { cwd: a.dir, env });
    await until('the first writer to stage', async () => (await readdir(root)).some((f) => f.startsWith('.shared.parquet.caudal-')));
    const second = await caudal(['run', 'pipeline.json', '-q'], { cwd: b.dir, env });
    expect(second.code).toBe(75);
    expect(second.stderr).toContain(`${path.join(root, 'shared.parquet')} is in use by another run`);
    expect((await first.result).code).toBe(0);
  }, 240_000);
});

describe('two sinks of one run never write the same destination', () => {
  it('two sink.postgres nodes into one table are refused by validate and by run (no hang)', async () => {
    const p = await project(
      'same-table',
      [
        slowRows(10),
        { id: 'split', type: 'transform.split', params: { routes: [{ when: 'id < 5' }] } },
        { id: 'one', type: 'sink.postgres', params: { connection: 'db', schema, table: 'same' } },
        { id: 'two', type: 'sink.postgres', params: { connection: 'db', schema, table: 'same', mode: 'replace' } },
      ],
      [],
    );
    const doc = JSON.parse(await readFile(path.join(p.dir, 'pipeline.json'), 'utf8'));
    doc.edges = [
      { from: 'src:out', to: 'split:in' },
      { from: 'split:out_1', to: 'one:in' },
      { from: 'split:else', to: 'two:in' },
    ];
    await writeFile(path.join(p.dir, 'pipeline.json'), JSON.stringify(doc, null, 2));
    const validate = await caudal(['validate', 'pipeline.json'], { cwd: p.dir, env: p.env });
    expect(validate.code).toBe(2);
    expect(validate.stderr).toMatch(/nodes 'one' and 'two' both write PostgreSQL table "[^"]+"\."same" \(connection 'db'\); a run writes each destination once/);
    const run = await caudal(['run', 'pipeline.json'], { cwd: p.dir, env: p.env });
    expect(run.code).toBe(2);
    expect(await q(`SELECT to_regclass('same') AS t`)).toEqual([{ t: null }]);
  });
});

describe('names at the file system limit', () => {
  it('writes an output whose name is 230 characters (the temp name is shortened, not the output)', async () => {
    const name = `${'x'.repeat(226)}.csv`;
    const p = await project('long-name', [slowRows(3), { id: 'out', type: 'sink.csv', params: { path: name } }], [['src', 'out']]);
    const r = await caudal(['run', 'pipeline.json', '-q'], { cwd: p.dir, env: p.env });
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(path.join(p.dir, name))).toBe(true);
    expect((await readdir(p.dir)).filter((f) => f.includes('.caudal-'))).toEqual([]);
  });
});
