import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { caudal, startCaudal } from './support/cli.js';
import { afterFile } from './support/cleanup.js';
import { tempDir } from './support/pipeline.js';
import { PG, pgClient, pgSandbox, pgSecretEnv, preparedTransactionsIn, writePgConnectionsFile } from './support/postgres.js';

/**
 * Recovery of a killed run acts only through a connection to the server and database the run
 * used. Runs share one runtime folder (journals are the user's, not a project's), and two projects
 * both name their connection `db` while one points at another database: the other project's run or
 * `caudal clean` must leave the killed run alone (not take its missing prepared transaction for a
 * committed one), and `caudal doctor` says what is needed. A prepared transaction that is gone is
 * not taken as committed unless the server says so.
 */
const { client, schema, q } = await pgSandbox();
const root = await tempDir('caudal-cross-recovery-');
const runtime = path.join(root, 'runtime');

// "Another server": a database of its own on the same server, dropped after the file.
const otherDb = `caudal_test_db_${randomUUID().slice(0, 8)}`;
await q(`CREATE DATABASE "${otherDb}"`);
// Cleanup tasks run in order, after the sandbox's own (which closes `client`): a client of their own.
afterFile(async () => {
  const admin = await pgClient();
  try {
    // Whatever a failed assertion left prepared is rolled back first (it may hold the sandbox's tables).
    const { rows } = await admin.query<{ gid: string }>(`SELECT gid FROM pg_prepared_xacts WHERE database = current_database()`);
    for (const { gid } of rows) if (seenGids.has(gid)) await admin.query(`ROLLBACK PREPARED '${gid.replace(/'/g, "''")}'`).catch(() => undefined);
    await admin.query(`DROP DATABASE IF EXISTS "${otherDb}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
});
/** The prepared transactions this file's killed runs left (seen by `prepared()`). */
const seenGids = new Set<string>();

const envFor = (dir: string) => ({ ...pgSecretEnv('db'), CAUDAL_RUNTIME_DIR: runtime, CAUDAL_CONFIG_DIR: path.join(dir, 'config') });

/** Project A: an incremental PostgreSQL source into a CSV file and a PostgreSQL table (two-phase). */
async function projectA(name: string) {
  const dir = path.join(root, name);
  await mkdir(dir, { recursive: true });
  await writePgConnectionsFile(dir);
  await q(`CREATE TABLE "${name}" (id int)`);
  await q(`CREATE TABLE "${name}_copy" (id int)`);
  await q(`INSERT INTO "${name}" SELECT g FROM generate_series(1, 10) g`);
  const doc = {
    format: 'caudal.pipeline/1',
    name,
    params: {},
    connections: { db: { type: 'postgres' } },
    nodes: [
      { id: 'src', type: 'source.postgres', params: { connection: 'db', schema, table: name, incremental: { column: 'id' } } },
      { id: 'csv', type: 'sink.csv', params: { path: 'out/copy.csv', if_exists: 'overwrite' } },
      { id: 'pg', type: 'sink.postgres', params: { connection: 'db', schema, table: `${name}_copy`, mode: 'append' } },
    ],
    edges: [
      { from: 'src:out', to: 'csv:in' },
      { from: 'src:out', to: 'pg:in' },
    ],
  };
  const file = path.join(dir, 'pipeline.json');
  await writeFile(file, JSON.stringify(doc, null, 2));
  const env = envFor(dir);
  return {
    dir,
    file,
    env,
    run: (more: NodeJS.ProcessEnv = {}) => caudal(['run', 'pipeline.json', '-q'], { cwd: dir, env: { ...env, ...more } }),
    copied: async () => (await q<{ id: number }>(`SELECT id FROM "${name}_copy" ORDER BY id`)).map((r) => Number(r.id)),
    watermark: async () => {
      const r = await caudal(['state', 'show', 'pipeline.json', '--json'], { cwd: dir, env });
      return (JSON.parse(r.stdout) as Array<{ state: { watermark: string } }>)[0]?.state.watermark;
    },
    journals: async () => (await readdir(path.join(runtime, 'runs')).catch(() => [] as string[])).filter((f) => f.endsWith('.json')),
    prepared: async () => {
      const gids = await preparedTransactionsIn(client, schema);
      for (const g of gids) seenGids.add(g);
      return gids;
    },
  };
}

/** Project B: its connection `db` points at the other database; its pipeline loads a table there. */
async function projectB(name: string) {
  const dir = path.join(root, name);
  await mkdir(dir, { recursive: true });
  await writeFile(
    path.join(dir, 'caudal.connections.json'),
    JSON.stringify({ format: 'caudal.connections/1', connections: { db: { type: 'postgres', host: PG.host, port: PG.port, database: otherDb, user: PG.user } } }),
  );
  const doc = {
    format: 'caudal.pipeline/1',
    name,
    params: {},
    connections: { db: { type: 'postgres' } },
    nodes: [
      { id: 'one', type: 'transform.sql', params: { query: 'SELECT 1 AS x' } },
      { id: 'pg', type: 'sink.postgres', params: { connection: 'db', schema: 'public', table: name, mode: 'append' } },
    ],
    edges: [{ from: 'one:out', to: 'pg:in' }],
  };
  await writeFile(path.join(dir, 'other.json'), JSON.stringify(doc, null, 2));
  return { dir, env: envFor(dir) };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('recovery only through the connection the killed run used', () => {
  it("another project's run and clean, whose connection of the same name is another database, leave a killed run pending while its own project cannot be read; doctor names it; its own clean completes it", async () => {
    const a = await projectA('cross_a');
    const b = await projectB('cross_b');
    expect((await a.run({ CAUDAL_FAILPOINT: 'after-decision' })).signal).toBe('SIGKILL');
    expect(await a.prepared()).toHaveLength(1);
    expect(await a.journals()).toHaveLength(1);
    // The killed run's project no longer has its connections file (moved, renamed): only project
    // B's own 'db' is at hand, and it is another database.
    const own = path.join(a.dir, 'caudal.connections.json');
    await rename(own, `${own}.moved`);

    // The other project's run: it succeeds, and leaves the killed run as it is.
    const other = await caudal(['run', 'other.json'], { cwd: b.dir, env: b.env });
    expect(other.code, other.stderr).toBe(0);
    expect(other.stderr).not.toMatch(/recovered run \S+ of 'cross_a'/);
    expect(other.stderr).toMatch(/run \S+ of 'cross_a', which was killed, is left as it was: .*is on another server or database than connection 'db' here/);
    // (The run's output masks the test password, "caudal", wherever it appears.)
    expect(other.stderr).toMatch(/run `\S+ clean \S+\/cross_a\/pipeline\.json` from its project/);
    expect(await a.prepared()).toHaveLength(1);
    expect(await a.journals()).toHaveLength(1);
    expect(await a.watermark()).toBeUndefined();
    expect(await a.copied()).toEqual([]);

    // The other project's doctor and clean: reported, still pending, nothing changed.
    const doctor = await caudal(['doctor', 'other.json'], { cwd: b.dir, env: b.env });
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toContain("pipeline 'cross_a'");
    expect(doctor.stdout).toMatch(/pending: .*is on another server or database/);
    expect(doctor.stdout).toContain(`${PG.user}@${PG.host}:${PG.port}/${PG.database}`);
    const clean = await caudal(['clean', 'other.json'], { cwd: b.dir, env: b.env });
    expect(clean.code).toBe(1);
    expect(clean.stdout).toContain('still pending');
    expect(clean.stdout).toContain(`caudal clean ${a.file}`);
    expect(await a.prepared()).toHaveLength(1);
    expect(await a.journals()).toHaveLength(1);
    expect(await a.watermark()).toBeUndefined();
    // The secret never lands in the journal.
    const journal = await readFile(path.join(runtime, 'runs', (await a.journals())[0]!), 'utf8');
    // (The test password is "caudal", a word the journal holds anyway: check its fields instead.)
    expect(journal).not.toMatch(/password/i);
    const pgEntry = JSON.parse(journal).sinks.find((e: { kind: string; recovery?: unknown }) => e.kind === 'external' && e.recovery);
    expect(pgEntry.recovery.target).toEqual({ host: PG.host, port: PG.port, database: PG.database, user: PG.user });
    expect(JSON.parse(journal).pipelineFile).toBe(a.file);

    // Its own project's clean completes the commit, with its watermark.
    await rename(`${own}.moved`, own);
    const cleaned = await caudal(['clean', 'pipeline.json'], { cwd: a.dir, env: a.env });
    expect(cleaned.code, cleaned.stdout + cleaned.stderr).toBe(0);
    expect(cleaned.stdout).toContain('rolled forward');
    expect(cleaned.stdout).toContain("saved the state of node 'src'");
    expect(await a.copied()).toEqual(range(1, 10));
    expect(await a.watermark()).toBe('10');
    expect(await a.prepared()).toEqual([]);
    expect(await a.journals()).toEqual([]);
  });

  it("another project's run finishes a killed run with the killed run's own project's connection, not its own of the same name", async () => {
    const a = await projectA('own_a');
    const b = await projectB('own_b');
    expect((await a.run({ CAUDAL_FAILPOINT: 'after-decision' })).signal).toBe('SIGKILL');
    expect(await a.prepared()).toHaveLength(1);
    // Before, the prepared load held its locks on own_a_copy until project A ran again.
    const other = await caudal(['run', 'other.json'], { cwd: b.dir, env: b.env });
    expect(other.code, other.stderr).toBe(0);
    expect(other.stderr).toMatch(/recovered run \S+ of 'own_a', which was killed: rolled forward/);
    expect(await a.prepared()).toEqual([]);
    expect(await a.copied()).toEqual(range(1, 10));
    expect(await a.watermark()).toBe('10');
    expect(await a.journals()).toEqual([]);
    // B's own load went to its own database, as before.
    const otherClient = new pg.Client({ ...PG, database: otherDb });
    await otherClient.connect();
    try {
      expect((await otherClient.query('SELECT x FROM public.own_b')).rows).toEqual([{ x: 1 }]);
    } finally {
      await otherClient.end();
    }
  });

  it('caudal clean without arguments finishes a prepared load with its own project\'s connection', async () => {
    const a = await projectA('bare_a');
    expect((await a.run({ CAUDAL_FAILPOINT: 'after-pg-prepare' })).signal).toBe('SIGKILL');
    expect(await a.prepared()).toHaveLength(1);
    const b = await projectB('bare_b');
    const doctor = await caudal(['doctor'], { cwd: b.dir, env: b.env });
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toContain('killed before committing: clean will undo it');
    expect(doctor.stdout).not.toContain('pending:');
    const clean = await caudal(['clean'], { cwd: b.dir, env: b.env });
    expect(clean.code, clean.stdout + clean.stderr).toBe(0);
    expect(clean.stdout).toMatch(/rolled back\s+\S+\s+pipeline 'bare_a'/);
    expect(await a.prepared()).toEqual([]);
    expect(await a.copied()).toEqual([]);
    expect(await a.journals()).toEqual([]);
  });

  it('a decided commit whose prepared transaction was rolled back by someone else is not taken as committed: the watermark stays', async () => {
    const a = await projectA('gone_a');
    expect((await a.run({ CAUDAL_FAILPOINT: 'after-decision' })).signal).toBe('SIGKILL');
    const [gid] = await a.prepared();
    await q(`ROLLBACK PREPARED '${gid!.replace(/'/g, "''")}'`);
    const clean = await caudal(['clean', 'pipeline.json'], { cwd: a.dir, env: a.env });
    expect(clean.code, clean.stdout + clean.stderr).toBe(0);
    expect(clean.stdout).toContain('was rolled back (not by Caudal)');
    expect(clean.stdout).toContain("kept the state of node 'src'");
    expect(await a.watermark()).toBeUndefined();
    expect(await a.journals()).toEqual([]);
    // The rows come again with the next run.
    expect((await a.run()).code).toBe(0);
    expect(await a.copied()).toEqual(range(1, 10));
  });

  it('a missing prepared transaction the journal cannot prove committed (no transaction id) stays pending', async () => {
    const a = await projectA('unknown_a');
    expect((await a.run({ CAUDAL_FAILPOINT: 'after-decision' })).signal).toBe('SIGKILL');
    const [gid] = await a.prepared();
    // A journal as an older version wrote it: no transaction id to ask the server about.
    const file = path.join(runtime, 'runs', (await a.journals())[0]!);
    const j = JSON.parse(await readFile(file, 'utf8'));
    for (const s of j.sinks) if (s.recovery) delete s.recovery.ref.xid;
    await writeFile(file, JSON.stringify(j));
    await q(`ROLLBACK PREPARED '${gid!.replace(/'/g, "''")}'`);
    const clean = await caudal(['clean', 'pipeline.json'], { cwd: a.dir, env: a.env });
    expect(clean.code).toBe(1);
    expect(clean.stdout).toMatch(/still pending: .*cannot be told whether it did/);
    expect(await a.watermark()).toBeUndefined();
    expect(await a.journals()).toHaveLength(1);
    await writeFile(file, JSON.stringify({ ...j, sinks: [] }));
    // Clean up: a journal with nothing left to do goes.
    expect((await caudal(['clean', 'pipeline.json'], { cwd: a.dir, env: a.env })).code).toBe(0);
  });

  it('caudal clean without the pipeline file, its project unreadable, names the command that finishes a prepared load', async () => {
    const a = await projectA('noarg_a');
    expect((await a.run({ CAUDAL_FAILPOINT: 'after-pg-prepare' })).signal).toBe('SIGKILL');
    const own = path.join(a.dir, 'caudal.connections.json');
    await rename(own, `${own}.moved`);
    const clean = await caudal(['clean'], { cwd: root, env: a.env });
    expect(clean.code).toBe(1);
    expect(clean.stdout).toContain(`run \`caudal clean ${a.file}\``);
    expect(await a.prepared()).toHaveLength(1);
    await rename(`${own}.moved`, own);
    const cleaned = await caudal(['clean', 'pipeline.json'], { cwd: a.dir, env: a.env });
    expect(cleaned.code, cleaned.stdout).toBe(0);
    expect(cleaned.stdout).toContain('rolled back');
    expect(await a.prepared()).toEqual([]);
    expect(await a.copied()).toEqual([]);
  });
});

describe('caudal state during a live run', () => {
  it('state reset and state set exit 75 naming the run; show still works; after the run they apply', async () => {
    const name = 'live_state';
    const dir = path.join(root, name);
    await mkdir(dir, { recursive: true });
    await writePgConnectionsFile(dir);
    await q(`CREATE TABLE "${name}" (id int)`);
    await q(`INSERT INTO "${name}" SELECT g FROM generate_series(1, 4) g`);
    // A view that takes a second per row: the run holds its pipeline lock for a few seconds.
    await q(`CREATE VIEW "${name}_slow" AS SELECT id FROM "${name}" WHERE pg_sleep(1) IS NOT NULL`);
    const doc = {
      format: 'caudal.pipeline/1',
      name,
      params: {},
      connections: { db: { type: 'postgres' } },
      nodes: [
        { id: 'src', type: 'source.postgres', params: { connection: 'db', schema, table: `${name}_slow`, incremental: { column: 'id' } } },
        { id: 'csv', type: 'sink.csv', params: { path: 'out/copy.csv', if_exists: 'overwrite' } },
      ],
      edges: [{ from: 'src:out', to: 'csv:in' }],
    };
    await writeFile(path.join(dir, 'pipeline.json'), JSON.stringify(doc));
    const env = { ...envFor(dir), CAUDAL_RUNTIME_DIR: path.join(dir, 'runtime') };
    const { result } = startCaudal(['run', 'pipeline.json', '-q'], { cwd: dir, env });
    for (let i = 0; i < 200 && (await readdir(path.join(dir, 'runtime/locks')).catch(() => [])).length === 0; i++) await new Promise((r) => setTimeout(r, 50));

    const reset = await caudal(['state', 'reset', 'pipeline.json', '--node', 'src'], { cwd: dir, env });
    const set = await caudal(['state', 'set', 'pipeline.json', '--node', 'src', '--value', '0'], { cwd: dir, env });
    const show = await caudal(['state', 'show', 'pipeline.json'], { cwd: dir, env });
    const run = await result;
    expect(run.code, run.stderr).toBe(0);
    expect(reset.code, reset.stderr).toBe(75);
    expect(reset.stderr).toMatch(/state reset: pipeline 'live_state' is being run by run \S+ of pipeline 'live_state' \(pid \d+/);
    expect(reset.stderr).not.toContain('✔');
    expect(set.code, set.stderr).toBe(75);
    expect(set.stderr).toContain('is being run by run');
    expect(show.code).toBe(0);

    // The run's watermark stands; now the commands apply.
    const after = await caudal(['state', 'show', 'pipeline.json', '--json'], { cwd: dir, env });
    expect(JSON.parse(after.stdout)).toMatchObject([{ nodeId: 'src', state: { watermark: '4' } }]);
    const set2 = await caudal(['state', 'set', 'pipeline.json', '--node', 'src', '--value', '2'], { cwd: dir, env });
    expect(set2.code, set2.stderr).toBe(0);
    const shown = await caudal(['state', 'show', 'pipeline.json', '--json'], { cwd: dir, env });
    expect(JSON.parse(shown.stdout)).toMatchObject([{ nodeId: 'src', state: { watermark: '2' } }]);
    expect(await readdir(path.join(dir, 'runtime/locks'))).toEqual([]);
  });
});
