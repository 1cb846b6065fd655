import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { caudal, startCaudal } from './support/cli.js';
import { tempDir } from './support/pipeline.js';
import { pgSandbox, pgSecretEnv, preparedTransactionsIn, writePgConnectionsFile } from './support/postgres.js';
import { inDb } from './support/duckdb.js';

/**
 * The commit protocol across every kind of destination: a CSV file, a Parquet file, a DuckDB table
 * and a PostgreSQL table, written by one run. A late failure changes none of them; a run killed at
 * any point of the commit is undone (before the decision) or completed (after it) by the next run
 * or `caudal clean`, and leaves nothing behind.
 */
const { client, schema, q } = await pgSandbox();
const root = await tempDir('caudal-commit-');

const OLD = 3;
const NEW = 5;

interface Project {
  dir: string;
  env: NodeJS.ProcessEnv;
  run(extra?: string[], env?: NodeJS.ProcessEnv): ReturnType<typeof caudal>;
  snapshot(): Promise<Snapshot>;
}

interface Snapshot {
  csv: string;
  parquet: number[];
  duckdb: number[];
  pg: number[];
}

/**
 * A project whose four destinations hold OLD rows; its pipeline replaces them with NEW rows.
 * `pgTable` is created first by `pgSetup` (constraints vary per test).
 */
async function project(name: string, pgTable: string, pgMode: 'replace' | 'append' = 'replace'): Promise<Project> {
  const dir = path.join(root, name);
  await mkdir(path.join(dir, 'out'), { recursive: true });
  const runtime = path.join(dir, 'runtime');
  // A temp folder of its own: runs of the session's other test files sweep dead processes' temp
  // folders in theirs (a killed run's, before this file looks for it), and doctor reports theirs.
  await mkdir(path.join(dir, 'tmp'), { recursive: true });
  const env = { ...pgSecretEnv('db'), CAUDAL_RUNTIME_DIR: runtime, CAUDAL_CONFIG_DIR: path.join(dir, 'config'), TMPDIR: path.join(dir, 'tmp') };
  await writePgConnectionsFile(dir);
  const rows = (n: number) => `SELECT range::INT AS id, 'row ' || range AS name FROM range(1, ${n + 1})`;
  const doc = {
    format: 'caudal.pipeline/1',
    name,
    params: {},
    connections: { db: { type: 'postgres' } },
    nodes: [
      { id: 'src', type: 'transform.sql', params: { query: rows(NEW) } },
      { id: 'csv', type: 'sink.csv', params: { path: 'out/orders.csv', if_exists: 'overwrite' } },
      { id: 'pq', type: 'sink.parquet', params: { path: 'out/orders.parquet', if_exists: 'overwrite' } },
      { id: 'wh', type: 'sink.duckdb', params: { database: 'out/warehouse.duckdb', table: 'orders' } },
      { id: 'pg', type: 'sink.postgres', params: { connection: 'db', schema, table: pgTable, mode: pgMode } },
    ],
    edges: ['csv', 'pq', 'wh', 'pg'].map((to) => ({ from: 'src:out', to: `${to}:in` })),
  };
  await writeFile(path.join(dir, 'pipeline.json'), JSON.stringify(doc, null, 2));
  // The destinations as they are before any run: OLD rows everywhere.
  await writeFile(path.join(dir, 'out/orders.csv'), 'id,name\n' + Array.from({ length: OLD }, (_, i) => `${i + 1},old ${i + 1}`).join('\n') + '\n');
  await inDb(':memory:', `COPY (${rows(OLD)}) TO '${path.join(dir, 'out/orders.parquet')}' (FORMAT parquet)`);
  await inDb(path.join(dir, 'out/warehouse.duckdb'), `CREATE TABLE orders AS ${rows(OLD)}; CREATE TABLE untouched AS SELECT 42 AS answer`);
  return {
    dir,
    env,
    run: (extra = [], more = {}) => caudal(['run', 'pipeline.json', '-q', ...extra], { cwd: dir, env: { ...env, ...more } }),
    snapshot: async () => ({
      csv: await readFile(path.join(dir, 'out/orders.csv'), 'utf8'),
      parquet: (await inDb(':memory:', `SELECT id FROM '${path.join(dir, 'out/orders.parquet')}' ORDER BY id`)).map((r) => Number(r.id)),
      duckdb: (await inDb(path.join(dir, 'out/warehouse.duckdb'), 'SELECT id FROM orders ORDER BY id')).map((r) => Number(r.id)),
      pg: (await q<{ id: number }>(`SELECT id FROM "${pgTable}" ORDER BY id`)).map((r) => Number(r.id)),
    }),
  };
}

const ids = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

/** Everything a run may leave behind: staging files, staging tables, journals, prepared transactions. */
async function debris(p: Project): Promise<string[]> {
  const found: string[] = [];
  for (const f of await readdir(path.join(p.dir, 'out'))) if (f.includes('.caudal-')) found.push(`file ${f}`);
  for (const r of await inDb(path.join(p.dir, 'out/warehouse.duckdb'), `SELECT table_name FROM duckdb_tables() WHERE table_name NOT IN ('orders', 'untouched')`)) found.push(`table ${String(r.table_name)}`);
  for (const f of await readdir(path.join(p.dir, 'runtime/runs')).catch(() => [])) found.push(`journal ${f}`);
  for (const gid of await preparedTransactionsIn(client, schema)) found.push(`prepared ${gid}`);
  for (const r of await q<{ relname: string }>(`SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND relname LIKE 'caudal_%'`, [schema])) {
    found.push(`pg table ${r.relname}`);
  }
  return found;
}

const before: Snapshot = { csv: 'id,name\n1,old 1\n2,old 2\n3,old 3\n', parquet: ids(OLD), duckdb: ids(OLD), pg: ids(OLD) };
const after: Snapshot = { csv: 'id,name\n' + ids(NEW).map((i) => `${i},row ${i}`).join('\n') + '\n', parquet: ids(NEW), duckdb: ids(NEW), pg: ids(NEW) };

async function pgTableWithOldRows(table: string, extra = ''): Promise<void> {
  await q(`CREATE TABLE "${table}" (id int, name text${extra})`);
  await q(`INSERT INTO "${table}" SELECT g, 'old ' || g FROM generate_series(1, ${OLD}) g`);
}

describe('commit protocol: all or nothing across files, DuckDB and PostgreSQL', () => {
  it('a PostgreSQL constraint that fails only at COMMIT (deferred) leaves all four destinations as they were', async () => {
    await pgTableWithOldRows('deferred', ', CONSTRAINT one_name UNIQUE (name) DEFERRABLE INITIALLY DEFERRED');
    const p = await project('deferred', 'deferred', 'append');
    // The new rows collide with nothing by name... until one does: make row 1 carry an old name.
    const doc = JSON.parse(await readFile(path.join(p.dir, 'pipeline.json'), 'utf8'));
    doc.nodes[0].params.query = `SELECT range::INT AS id, CASE WHEN range = 1 THEN 'old 1' ELSE 'row ' || range END AS name FROM range(1, ${NEW + 1})`;
    await writeFile(path.join(p.dir, 'pipeline.json'), JSON.stringify(doc, null, 2));

    const r = await p.run();
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/one_name/);
    expect(await p.snapshot()).toEqual(before);
    expect(await debris(p)).toEqual([]);
  });

  it('a successful run publishes all four and leaves nothing behind', async () => {
    await pgTableWithOldRows('happy');
    const p = await project('happy', 'happy');
    const r = await p.run();
    expect(r.code, r.stderr).toBe(0);
    expect(await p.snapshot()).toEqual(after);
    expect(await debris(p)).toEqual([]);
    expect(await inDb(path.join(p.dir, 'out/warehouse.duckdb'), 'SELECT answer FROM untouched')).toEqual([{ answer: 42 }]);
  });

  // A real crash (SIGKILL, no cleanup) at each step of the protocol; then recovery.
  const crashes = [
    { at: 'after-stage', expect: before, left: ['file', 'table', 'journal'] },
    // Inside prepare: the server has the prepared transaction, the journal has not heard back yet.
    { at: 'after-pg-prepare', expect: before, left: ['file', 'table', 'journal', 'prepared'] },
    { at: 'after-prepare', expect: before, left: ['file', 'table', 'journal', 'prepared'] },
    { at: 'after-reversible', expect: before, left: ['file', 'table', 'journal', 'prepared'] },
    // DuckDB's transaction (which dies with the process) commits first; the decision follows it.
    // Killed in between, the journal has no decision, but DuckDB has the new rows: recovery sees that
    // its staging table is gone (consumed by the commit) and completes the run, never undoes the rest.
    { at: 'after-unrecorded-commit', expect: after, left: ['file', 'journal', 'prepared'] },
    { at: 'after-decision', expect: after, left: ['file', 'journal', 'prepared'] },
    { at: 'after-first-commit', expect: after, left: ['file', 'journal', 'prepared'] },
  ] as const;
  for (const c of crashes) {
    it(`killed ${c.at.replace(/-/g, ' ')}: caudal doctor reports it, caudal clean ${c.expect === before ? 'undoes it' : 'completes it'}, nothing is left`, async () => {
      const table = `crash_${c.at.replace(/-/g, '_')}`;
      await pgTableWithOldRows(table);
      const p = await project(`crash-${c.at}`, table);
      const killed = await p.run([], { CAUDAL_FAILPOINT: c.at });
      expect(killed.signal).toBe('SIGKILL');
      const left = await debris(p);
      for (const kind of c.left) expect(left.some((d) => d.startsWith(kind)), `${kind} in ${left.join(', ')}`).toBe(true);

      const doctor = await caudal(['doctor', 'pipeline.json'], { cwd: p.dir, env: p.env });
      expect(doctor.code).toBe(1);
      expect(doctor.stdout).toContain(c.expect === before ? 'killed before committing: clean will undo it' : 'killed while committing: clean will complete its commit');

      const clean = await caudal(['clean', 'pipeline.json'], { cwd: p.dir, env: p.env });
      expect(clean.code, clean.stdout + clean.stderr).toBe(0);
      expect(clean.stdout).toContain(c.expect === before ? 'rolled back' : 'rolled forward');
      expect(await p.snapshot()).toEqual(c.expect);
      expect(await debris(p)).toEqual([]);
      expect(await inDb(path.join(p.dir, 'out/warehouse.duckdb'), 'SELECT answer FROM untouched')).toEqual([{ answer: 42 }]);
    });
  }

  it("a run of another project writing the same DuckDB file leaves a killed run's staging tables to its recovery, which then undoes all four", async () => {
    await pgTableWithOldRows('swept_by_other');
    const p = await project('swept-by-other', 'swept_by_other');
    expect((await p.run([], { CAUDAL_FAILPOINT: 'after-prepare' })).signal).toBe('SIGKILL');
    // Another project, without the 'db' connection, while the killed run's project cannot be read
    // (moved away): it cannot recover the killed run (its PostgreSQL load is prepared), and it
    // writes a table of its own into the same warehouse file.
    const other = path.join(root, 'swept-by-other-neighbour');
    await mkdir(other, { recursive: true });
    const neighbour = {
      format: 'caudal.pipeline/1',
      name: 'neighbour',
      params: {},
      nodes: [
        { id: 'src', type: 'transform.sql', params: { query: 'SELECT 1 AS id' } },
        { id: 'wh', type: 'sink.duckdb', params: { database: path.join(p.dir, 'out/warehouse.duckdb'), table: 'neighbour' } },
      ],
      edges: [{ from: 'src:out', to: 'wh:in' }],
    };
    await writeFile(path.join(other, 'pipeline.json'), JSON.stringify(neighbour));
    const connections = path.join(p.dir, 'caudal.connections.json');
    await rename(connections, `${connections}.moved`);
    const ran = await caudal(['run', 'pipeline.json', '-q'], { cwd: other, env: p.env });
    await rename(`${connections}.moved`, connections);
    expect(ran.code, ran.stderr).toBe(0);
    await inDb(path.join(p.dir, 'out/warehouse.duckdb'), 'DROP TABLE neighbour');
    // Its staging tables are still there, so the killed run is still one that never decided.
    const doctor = await caudal(['doctor', 'pipeline.json'], { cwd: p.dir, env: p.env });
    expect(doctor.stdout).toContain('killed before committing: clean will undo it');
    const clean = await caudal(['clean', 'pipeline.json'], { cwd: p.dir, env: p.env });
    expect(clean.code, clean.stdout + clean.stderr).toBe(0);
    expect(clean.stdout).toContain('rolled back');
    expect(await p.snapshot()).toEqual(before);
    expect(await debris(p)).toEqual([]);
  });

  it('a run waiting (--wait) for one that is then killed recovers it before writing: it neither hangs behind its prepared load nor publishes over it', { timeout: 120_000 }, async () => {
    await pgTableWithOldRows('wait_killed');
    const p = await project('wait-killed', 'wait_killed');
    // Prepared loads other tests of this file may have left (when they failed) are not this run's.
    const earlier = new Set(await preparedTransactionsIn(client, schema));
    const prepared = async () => (await preparedTransactionsIn(client, schema)).filter((gid) => !earlier.has(gid)).length;
    // The first run stops for three seconds once its PostgreSQL load is prepared.
    const first = startCaudal(['run', 'pipeline.json', '-q'], { cwd: p.dir, env: { ...p.env, CAUDAL_FAILPOINT: 'pause:after-prepare' }, timeoutMs: 60_000 });
    for (let i = 0; i < 400 && (await prepared()) === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await prepared()).toBe(1);
    const second = startCaudal(['run', 'pipeline.json', '--wait'], { cwd: p.dir, env: p.env, timeoutMs: 90_000 });
    // The second run is waiting for the pipeline's lock when the first one dies.
    await new Promise((r) => setTimeout(r, 1000));
    first.child.kill('SIGKILL');
    expect((await first.result).signal).toBe('SIGKILL');
    const r = await second.result;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/recovered run \S+ of 'wait-killed', which was killed: rolled back/);
    expect(await p.snapshot()).toEqual(after);
    expect(await debris(p)).toEqual([]);
  });

  it('the next run recovers a killed one by itself, then runs', async () => {
    await pgTableWithOldRows('next_run');
    const p = await project('next-run', 'next_run');
    expect((await p.run([], { CAUDAL_FAILPOINT: 'after-reversible' })).signal).toBe('SIGKILL');
    const r = await caudal(['run', 'pipeline.json'], { cwd: p.dir, env: p.env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/recovered run \S+ of 'next-run', which was killed: rolled back/);
    expect(await p.snapshot()).toEqual(after);
    expect(await debris(p)).toEqual([]);
  });

  it("the next run of another pipeline removes a killed run's locks too, so caudal doctor is clean", async () => {
    await pgTableWithOldRows('other_next_run');
    const p = await project('other-next-run', 'other_next_run');
    expect((await p.run([], { CAUDAL_FAILPOINT: 'after-stage' })).signal).toBe('SIGKILL');
    expect((await readdir(path.join(p.dir, 'runtime/locks'))).length).toBeGreaterThan(0);
    const other = { format: 'caudal.pipeline/1', name: 'other', params: {}, nodes: [{ id: 'one', type: 'transform.sql', params: { query: 'SELECT 1 AS x' } }, { id: 'out', type: 'sink.csv', params: { path: 'out/other.csv' } }], edges: [{ from: 'one:out', to: 'out:in' }] };
    await writeFile(path.join(p.dir, 'other.json'), JSON.stringify(other));
    const r = await caudal(['run', 'other.json'], { cwd: p.dir, env: p.env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/recovered run \S+ of 'other-next-run', which was killed: rolled back/);
    expect(await readdir(path.join(p.dir, 'runtime/locks'))).toEqual([]);
    const doctor = await caudal(['doctor', 'pipeline.json'], { cwd: p.dir, env: p.env });
    expect(doctor.code, doctor.stdout).toBe(0);
    expect(await p.snapshot()).toEqual(before);
  });

  it('a run killed while writing (no failpoint: kill -9 mid-COPY) leaves debris that the next run removes', { timeout: 240_000 }, async () => {
    await pgTableWithOldRows('mid_copy');
    const p = await project('mid-copy', 'mid_copy');
    // Enough rows that writing takes a while (the source is materialized first: four sinks read it).
    const doc = JSON.parse(await readFile(path.join(p.dir, 'pipeline.json'), 'utf8'));
    const slow = `SELECT range::INT AS id, md5(range::VARCHAR) || md5((range * 3)::VARCHAR) AS name FROM range(1, 8000001)`;
    doc.nodes[0].params.query = slow;
    await writeFile(path.join(p.dir, 'pipeline.json'), JSON.stringify(doc, null, 2));
    const { startCaudal } = await import('./support/cli.js');
    const { child, result } = startCaudal(['run', 'pipeline.json', '-q', '--threads', '1'], { cwd: p.dir, env: p.env });
    const out = path.join(p.dir, 'out');
    for (let i = 0; i < 2400 && !(await readdir(out)).some((f) => f.includes('.caudal-') && f.endsWith('.tmp')); i++) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGKILL');
    const killed = await result;
    expect(killed.signal).toBe('SIGKILL');
    const tempFolders = (await readdir(path.join(p.dir, 'tmp'))).filter((f) => f.startsWith(`caudal-run-`) && f.includes(`p${child.pid}-`));
    expect(tempFolders.length).toBe(1);
    expect((await debris(p)).some((d) => d.startsWith('file'))).toBe(true);
    expect(await p.snapshot()).toEqual(before);

    // The next run (here a small one) cleans up first.
    doc.nodes[0].params.query = `SELECT range::INT AS id, 'row ' || range AS name FROM range(1, ${NEW + 1})`;
    await writeFile(path.join(p.dir, 'pipeline.json'), JSON.stringify(doc, null, 2));
    const r = await p.run();
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(path.join(p.dir, 'tmp', tempFolders[0]!))).toBe(false);
    expect(await debris(p)).toEqual([]);
    expect(await p.snapshot()).toEqual(after);
  });
});

describe('commit protocol: a run whose destinations are all files', () => {
  it('killed while publishing a file, between keeping the old one aside and moving the new one in: the file is never missing, and recovery leaves the old one alone', async () => {
    const dir = path.join(root, 'files-aside');
    await mkdir(path.join(dir, 'out'), { recursive: true });
    await mkdir(path.join(dir, 'tmp'), { recursive: true });
    const env = { CAUDAL_RUNTIME_DIR: path.join(dir, 'runtime'), CAUDAL_CONFIG_DIR: path.join(dir, 'config'), TMPDIR: path.join(dir, 'tmp') };
    const doc = {
      format: 'caudal.pipeline/1',
      name: 'files-aside',
      params: {},
      nodes: [{ id: 'src', type: 'transform.sql', params: { query: 'SELECT 1 AS id' } }, { id: 'a', type: 'sink.csv', params: { path: 'out/a.csv', if_exists: 'overwrite' } }],
      edges: [{ from: 'src:out', to: 'a:in' }],
    };
    await writeFile(path.join(dir, 'pipeline.json'), JSON.stringify(doc));
    await writeFile(path.join(dir, 'out/a.csv'), 'id\nold\n');
    const killed = await caudal(['run', 'pipeline.json', '-q'], { cwd: dir, env: { ...env, CAUDAL_FAILPOINT: 'after-aside' } });
    expect(killed.signal).toBe('SIGKILL');
    expect(await readFile(path.join(dir, 'out/a.csv'), 'utf8')).toBe('id\nold\n');
    const clean = await caudal(['clean', 'pipeline.json'], { cwd: dir, env });
    expect(clean.code, clean.stdout + clean.stderr).toBe(0);
    expect(await readFile(path.join(dir, 'out/a.csv'), 'utf8')).toBe('id\nold\n');
    expect(await readdir(path.join(dir, 'out'))).toEqual(['a.csv']);
    expect(await readdir(path.join(dir, 'runtime/runs')).catch(() => [])).toEqual([]);
  });

  it('killed while dropping the old copies (finalize), is completed by recovery: never files of two runs', async () => {
    const dir = path.join(root, 'files-only');
    await mkdir(path.join(dir, 'out'), { recursive: true });
    await mkdir(path.join(dir, 'tmp'), { recursive: true });
    const env = { CAUDAL_RUNTIME_DIR: path.join(dir, 'runtime'), CAUDAL_CONFIG_DIR: path.join(dir, 'config'), TMPDIR: path.join(dir, 'tmp') };
    const sinks = ['a', 'b', 'c'];
    const doc = {
      format: 'caudal.pipeline/1',
      name: 'files-only',
      params: {},
      nodes: [{ id: 'src', type: 'transform.sql', params: { query: `SELECT range::INT AS id FROM range(1, ${NEW + 1})` } }, ...sinks.map((s) => ({ id: s, type: 'sink.csv', params: { path: `out/${s}.csv`, if_exists: 'overwrite' } }))],
      edges: sinks.map((s) => ({ from: 'src:out', to: `${s}:in` })),
    };
    await writeFile(path.join(dir, 'pipeline.json'), JSON.stringify(doc));
    for (const s of sinks) await writeFile(path.join(dir, `out/${s}.csv`), 'id\nold\n');
    const contents = () => Promise.all(sinks.map((s) => readFile(path.join(dir, `out/${s}.csv`), 'utf8')));

    // The first destination's old copy is dropped, the others' are still kept when the process dies.
    const killed = await caudal(['run', 'pipeline.json', '-q'], { cwd: dir, env: { ...env, CAUDAL_FAILPOINT: 'after-first-finalize' } });
    expect(killed.signal).toBe('SIGKILL');
    const clean = await caudal(['clean', 'pipeline.json'], { cwd: dir, env });
    expect(clean.code, clean.stdout + clean.stderr).toBe(0);
    expect(clean.stdout).toContain('rolled forward');
    const fresh = 'id\n' + ids(NEW).join('\n') + '\n';
    expect(await contents()).toEqual([fresh, fresh, fresh]);
    expect((await readdir(path.join(dir, 'out'))).sort()).toEqual(['a.csv', 'b.csv', 'c.csv']);
    expect(await readdir(path.join(dir, 'runtime/runs')).catch(() => [])).toEqual([]);
  });
});
