import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { caudal, startCaudal } from '../support/cli.js';
import { inDb } from '../support/duckdb.js';
import { afterFile } from '../support/cleanup.js';
import { tempDir } from '../support/pipeline.js';
import { Db } from '../../core/src/compiler/db.js';
import { runJournal } from '../../core/src/engine/commit/journal.js';
import { recoverRun } from '../../core/src/engine/commit/recover.js';
import { postgresJdbc } from '../../core/src/connectors/postgres/spark-jdbc.js';
import { pgConnection, pgSandbox, pgSecretEnv, preparedTransactionsIn, writePgConnectionsFile } from '../support/postgres.js';
import { useSparkPython } from './support.js';

/**
 * `caudal run --engine spark` when the Spark driver dies (kill -9, the out-of-memory killer): the
 * driver keeps the run's commit journal, so what it staged is undone, or a commit it had decided is
 * completed, as soon as spark-submit ends; when caudal died with it, by `caudal clean` (or the next
 * run). Three destinations: a CSV file, a Parquet file and a PostgreSQL table.
 */
const { client, schema, q } = await pgSandbox();
const root = await tempDir('caudal-spark-crash-');
useSparkPython();
// A test that fails before its recovery leaves its load prepared: ended before the schema is dropped
// (it would wait on its locks), so that no other test or file waits behind it.
afterFile(async () => {
  for (const gid of await preparedTransactionsIn(client, schema)) await client.query(`ROLLBACK PREPARED '${gid.replace(/'/g, "''")}'`);
});

interface Snapshot {
  csv: string;
  parquet: number[];
  pg: number[];
}

const before: Snapshot = { csv: 'id,name\n1,old 1\n', parquet: [1], pg: [1] };
const after: Snapshot = { csv: 'id,name\n1,row 1\n2,row 2\n3,row 3\n', parquet: [1, 2, 3], pg: [1, 2, 3] };

async function project(name: string) {
  const dir = path.join(root, name);
  await mkdir(path.join(dir, 'out'), { recursive: true });
  // A temp folder of its own: every run of the session's other test files sweeps the temp folders of
  // dead processes in theirs, and would take a killed run's before this file's checks look for it.
  await mkdir(path.join(dir, 'tmp'), { recursive: true });
  const env = { ...pgSecretEnv('db'), CAUDAL_RUNTIME_DIR: path.join(dir, 'runtime'), CAUDAL_CONFIG_DIR: path.join(dir, 'config'), TMPDIR: path.join(dir, 'tmp') };
  await writePgConnectionsFile(dir);
  await writeFile(path.join(dir, 'new.csv'), 'id,name\n1,row 1\n2,row 2\n3,row 3\n');
  await writeFile(path.join(dir, 'out/orders.csv'), before.csv);
  await inDb(':memory:', `COPY (SELECT 1::BIGINT AS id, 'old 1' AS name) TO '${path.join(dir, 'out/orders.parquet')}' (FORMAT parquet)`);
  await q(`CREATE TABLE "${name}" (id bigint, name text)`);
  await q(`INSERT INTO "${name}" VALUES (1, 'old 1')`);
  const doc = {
    format: 'caudal.pipeline/1',
    name,
    params: {},
    connections: { db: { type: 'postgres' } },
    nodes: [
      { id: 'src', type: 'source.csv', params: { path: 'new.csv' } },
      { id: 'csv', type: 'sink.csv', params: { path: 'out/orders.csv', if_exists: 'overwrite' } },
      { id: 'pq', type: 'sink.parquet', params: { path: 'out/orders.parquet', if_exists: 'overwrite' } },
      { id: 'pg', type: 'sink.postgres', params: { connection: 'db', schema, table: name, mode: 'replace' } },
    ],
    edges: ['csv', 'pq', 'pg'].map((to) => ({ from: 'src:out', to: `${to}:in` })),
  };
  await writeFile(path.join(dir, 'pipeline.json'), JSON.stringify(doc, null, 2));
  const args = ['run', 'pipeline.json', '--engine', 'spark', '--master', 'local[1]'];
  return {
    dir,
    env,
    run: (failpoint: string) => caudal(args, { cwd: dir, env: { ...env, CAUDAL_SPARK_FAILPOINT: failpoint }, timeoutMs: 600_000 }),
    start: (failpoint: string, opts: { env?: Record<string, string>; onStderr?: (text: string) => void } = {}) =>
      startCaudal(args, { cwd: dir, env: { ...env, CAUDAL_SPARK_FAILPOINT: failpoint, ...opts.env }, detached: true, onStderr: opts.onStderr }),
    snapshot: async (): Promise<Snapshot> => ({
      csv: await readFile(path.join(dir, 'out/orders.csv'), 'utf8'),
      parquet: (await inDb(':memory:', `SELECT id FROM '${path.join(dir, 'out/orders.parquet')}' ORDER BY id`)).map((r) => Number(r.id)),
      pg: (await q<{ id: string }>(`SELECT id FROM "${name}" ORDER BY id`)).map((r) => Number(r.id)),
    }),
    /** Staging files and tables, journals and prepared transactions the run may leave. */
    debris: async (): Promise<string[]> => {
      const found: string[] = [];
      for (const f of await readdir(path.join(dir, 'out'))) if (f.includes('.caudal-')) found.push(`file ${f}`);
      for (const f of await readdir(path.join(dir, 'runtime/runs')).catch(() => [])) found.push(`journal ${f}`);
      for (const gid of await preparedTransactionsIn(client, schema)) found.push(`prepared ${gid}`);
      for (const r of await q<{ relname: string }>(`SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND relname LIKE '%\\_\\_caudal\\_%'`, [schema])) {
        found.push(`pg table ${r.relname}`);
      }
      return found;
    },
  };
}

type Project = Awaited<ReturnType<typeof project>>;

/** A staging folder is next to a target: the driver has begun writing the sinks. */
const staged = async (p: Project) => (await readdir(path.join(p.dir, 'out'))).some((f) => f.endsWith('.tmp'));

/** Starts the run and waits until `ready()` holds; fails with the run's output if it ended first. */
async function startUntil(p: Project, failpoint: string, ready: () => Promise<boolean>) {
  const started = p.start(failpoint);
  let ended = false;
  void started.result.then(() => (ended = true));
  for (let i = 0; i < 2400 && !(await ready()) && !ended; i++) await new Promise((r) => setTimeout(r, 100));
  expect(await ready(), ended ? (await started.result).stderr : 'still running').toBe(true);
  return started;
}

describe('caudal run --engine spark: a Spark driver killed outright', () => {
  it('killed after publishing the files, before deciding the commit: every destination is put back at once', { timeout: 600_000 }, async () => {
    const p = await project('killed_before_decision');
    const r = await p.run('kill:published');
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/recovered the Spark driver of run \S+ of 'killed_before_decision', which was killed: rolled back/);
    expect(r.stderr).toMatch(/the driver was killed/);
    expect(await p.snapshot()).toEqual(before);
    expect(await p.debris()).toEqual([]);
  });

  it('killed after deciding the commit: the commit is completed, and the run counts as committed', { timeout: 600_000 }, async () => {
    const p = await project('killed_after_decision');
    const r = await p.run('kill:decided');
    expect(r.stderr).toMatch(/which was killed: rolled forward; .*orders\.csv: published; .*PostgreSQL table .*killed_after_decision: completed/);
    expect(r.stderr).toMatch(/run committed on Spark/);
    expect(r.code, r.stderr).toBe(0);
    expect(await p.snapshot()).toEqual(after);
    expect(await p.debris()).toEqual([]);
  });

  it('caudal alone killed: its driver stops at its next step and undoes what it staged', { timeout: 600_000 }, async () => {
    const p = await project('caller_killed');
    // The driver pauses once every sink is staged; caudal is killed then, its driver is not.
    const { child, result } = await startUntil(p, 'pause:staged', () => staged(p));
    const journals = path.join(p.dir, 'runtime/runs');
    child.kill('SIGKILL');
    expect((await result).signal).toBe('SIGKILL');
    // Without caudal the driver would go on and commit; it checks for it before the commit instead.
    const journalGone = async () => (await readdir(journals).catch(() => [])).filter((f) => f.endsWith('.json')).length === 0;
    for (let i = 0; i < 600 && !(await journalGone()); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await journalGone()).toBe(true);
    expect(await p.snapshot()).toEqual(before);
    expect(await p.debris()).toEqual([]);
  });

  it("caudal alone killed while a sink's write runs: the driver cancels the write within seconds and undoes what it staged", { timeout: 600_000 }, async () => {
    const p = await project('caller_killed_mid_write');
    // The CSV sink's write (the first sink) takes two minutes: each of its tasks sleeps.
    let stderr = '';
    const { child, result } = p.start('slowwrite:csv', { env: { CAUDAL_SPARK_LOG: '1' }, onStderr: (text) => (stderr += text) });
    for (let i = 0; i < 2400 && !stderr.includes('failpoint slowwrite:csv running'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(stderr).toContain('failpoint slowwrite:csv running');
    child.kill('SIGKILL');
    expect((await result).signal).toBe('SIGKILL');
    // Without the watch on caudal the write would run its two minutes before the driver noticed.
    const journals = path.join(p.dir, 'runtime/runs');
    const journalGone = async () => (await readdir(journals).catch(() => [])).filter((f) => f.endsWith('.json')).length === 0;
    for (let i = 0; i < 600 && !(await journalGone()); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await journalGone()).toBe(true);
    expect(await p.snapshot()).toEqual(before);
    expect(await p.debris()).toEqual([]);
  });

  it.each([
    ['Ctrl-C', 'SIGINT', 130],
    ['SIGTERM (systemd, Airflow, a container stopping)', 'SIGTERM', 143],
  ] as const)('%s before publishing: what the driver staged is undone before caudal exits', { timeout: 600_000 }, async (_, signal, code) => {
    const p = await project(`interrupted_${signal.toLowerCase()}`);
    const { child, result } = await startUntil(p, 'pause:staged', () => staged(p));
    child.kill(signal);
    const r = await result;
    // The driver outlives spark-submit's JVM for a moment and undoes its work, or leaves it to the
    // recovery caudal runs once it has ended: either way nothing is left when caudal exits.
    expect(r.stderr).toMatch(/caudal: cancelled; nothing was committed\n$/);
    expect(r.code, r.stderr).toBe(code);
    expect(await p.snapshot()).toEqual(before);
    expect(await p.debris()).toEqual([]);
  });

  it('caudal killed with its driver while the files were published: `caudal clean` puts everything back', { timeout: 600_000 }, async () => {
    const p = await project('killed_together');
    const journals = path.join(p.dir, 'runtime/runs');
    const phase = async () => {
      const [file] = (await readdir(journals).catch(() => [])).filter((f) => f.endsWith('.json'));
      return file ? ((JSON.parse(await readFile(path.join(journals, file), 'utf8').catch(() => '{}')) as { phase?: string }).phase ?? '') : '';
    };
    const published = async () =>
      (await readFile(path.join(p.dir, 'out/orders.csv'), 'utf8').catch(() => '')) === after.csv && (await readdir(path.join(p.dir, 'out'))).filter((f) => f.endsWith('.old')).length === 2;
    // Wait until the journal says the commit is under way and both files are published (the new CSV
    // in place, both old versions aside): the driver then hangs at the failpoint.
    const { child, result } = await startUntil(p, 'hang:published', async () => (await phase()) === 'committing' && (await published()));
    expect(await phase()).toBe('committing');
    expect(await published()).toBe(true);
    // kill -9 of the whole process group: caudal, spark-submit's JVM and the Python driver.
    process.kill(-child.pid!, 'SIGKILL');
    expect((await result).signal).toBe('SIGKILL');
    const tempFolders = (await readdir(path.join(p.dir, 'tmp'))).filter((f) => f.startsWith('caudal-run-') && f.includes(`p${child.pid}-`));
    expect(tempFolders.length).toBeGreaterThan(0);
    // Published but undecided: the new CSV is in place, the old one aside, the table in a prepared
    // transaction (which holds it locked: reading it now would wait for the recovery).
    expect(await readFile(path.join(p.dir, 'out/orders.csv'), 'utf8')).toBe(after.csv);
    expect((await p.debris()).some((d) => d.startsWith('prepared '))).toBe(true);
    // The driver's journal names the server and database of the load (never the password), so only
    // a connection to them, whatever it is called in another project, recovers it.
    const [journalFile] = (await readdir(journals)).filter((f) => f.endsWith('.json'));
    const journal = runJournal.parse(JSON.parse(await readFile(path.join(journals, journalFile!), 'utf8')));
    const load = journal.sinks.find((s) => s.kind === 'external');
    expect(load?.kind === 'external' ? load.recovery?.target : undefined).toEqual(postgresJdbc('db', pgConnection().db!.config).recoveryTarget);

    const doctor = await caudal(['doctor', 'pipeline.json'], { cwd: p.dir, env: p.env });
    expect(doctor.stdout + doctor.stderr).toMatch(/killed_together/);
    const clean = await caudal(['clean', 'pipeline.json'], { cwd: p.dir, env: p.env });
    expect(clean.code, clean.stdout + clean.stderr).toBe(0);
    expect(await p.snapshot()).toEqual(before);
    expect(await p.debris()).toEqual([]);
    for (const f of tempFolders) expect(existsSync(path.join(p.dir, 'tmp', f))).toBe(false);
  });

  it('one run at a time: a second run of the pipeline while a Spark run holds it exits 75 naming that run; so does a DuckDB run', { timeout: 600_000 }, async () => {
    const p = await project('one_at_a_time');
    const { child, result } = await startUntil(p, 'hang:staged', () => staged(p));
    try {
      const spark = await caudal(['run', 'pipeline.json', '--engine', 'spark', '--master', 'local[1]'], { cwd: p.dir, env: p.env });
      expect(spark.stderr).toMatch(/is in use by another run \S+ of pipeline 'one_at_a_time' \(pid \d+/);
      expect(spark.code).toBe(75);
      const duck = await caudal(['run', 'pipeline.json'], { cwd: p.dir, env: p.env });
      expect(duck.stderr).toMatch(/is in use by another run/);
      expect(duck.code).toBe(75);
    } finally {
      process.kill(-child.pid!, 'SIGKILL');
      await result;
    }
    const clean = await caudal(['clean', 'pipeline.json'], { cwd: p.dir, env: p.env });
    expect(clean.code, clean.stdout + clean.stderr).toBe(0);
    expect(await p.snapshot()).toEqual(before);
    expect(await p.debris()).toEqual([]);
  });

  it('recovery: a load committed before the decision (it could not be prepared) is reported as kept, and its staging table dropped', async () => {
    await q(`CREATE TABLE "plain" (id bigint)`);
    await q(`CREATE TABLE "plain__caudal_r1" (id bigint)`);
    const journal = runJournal.parse({
      format: 'caudal.journal/1',
      runId: 'r1',
      owner: { host: 'ffff', pid: 1 },
      startedAt: new Date().toISOString(),
      pipeline: 'plain',
      baseDir: root,
      phase: 'committing',
      // The driver journals the server and database of each load (postgresJdbc's recoveryTarget).
      sinks: [{ kind: 'external', nodeId: 'pg', label: 'PostgreSQL table plain', committed: true, recovery: { connection: 'db', ref: { gid: 'caudal:r1:pg', stageTable: [schema, 'plain__caudal_r1'] }, target: postgresJdbc('db', pgConnection().db!.config).recoveryTarget } }],
    });
    const db = await Db.open({ threads: 1 });
    try {
      const out = await recoverRun(journal, { db, connection: (name) => pgConnection()[name], env: { CAUDAL_RUNTIME_DIR: path.join(root, 'plain-runtime') } });
      expect(out).toMatchObject({ action: 'rolled back', pending: [], done: ['PostgreSQL table plain: committed before the process died, so it keeps the new rows (it cannot be prepared); its staging was removed'] });
    } finally {
      db.close();
    }
    expect(await q(`SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND relname LIKE 'plain%'`, [schema])).toEqual([{ relname: 'plain' }]);
  });
});
