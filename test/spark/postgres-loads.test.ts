import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { caudal, startCaudal } from '../support/cli.js';
import { tempDir } from '../support/pipeline.js';
import { tableLockKey } from '../../core/src/connectors/table-lock.js';
import { loadingRole, PG, pgClient, pgSandbox, pgSecretEnv, preparedTransactionsIn, writePgConnectionsFile } from '../support/postgres.js';
import { useSparkPython } from './support.js';

/**
 * PostgreSQL loads of `caudal run --engine spark` as a production server sees them. A Spark run's
 * load takes the server-side lock a DuckDB run's load takes on the same table (an advisory lock
 * named by database and table), so runs on other machines, on either engine, load one table one at
 * a time; the other run is played by a second session holding that lock, as a DuckDB run on
 * another machine would. Loading roles have only the privileges their work needs.
 */
const { client, schema, q } = await pgSandbox();
const root = await tempDir('caudal-spark-pg-');
useSparkPython();

/** A CSV file copied into a CSV file and loaded into a table (append by default); `login` connects as another role. */
async function project(name: string, opts: { login?: { user: string; password: string }; mode?: string } = {}) {
  const { login, mode = 'append' } = opts;
  const dir = path.join(root, name);
  await mkdir(dir, { recursive: true });
  const env = { ...pgSecretEnv('db'), ...(login ? { CAUDAL_SECRET_DB_PASSWORD: login.password } : {}), CAUDAL_RUNTIME_DIR: path.join(dir, 'runtime'), CAUDAL_CONFIG_DIR: path.join(dir, 'config') };
  await writePgConnectionsFile(dir, login?.user);
  await writeFile(path.join(dir, 'new.csv'), 'id,name\n2,row 2\n3,row 3\n');
  await q(`CREATE TABLE "${name}" (id bigint, name text)`);
  await q(`INSERT INTO "${name}" VALUES (1, 'old 1')`);
  const doc = {
    format: 'caudal.pipeline/1',
    name,
    params: {},
    connections: { db: { type: 'postgres' } },
    nodes: [
      { id: 'src', type: 'source.csv', params: { path: 'new.csv' } },
      { id: 'copy', type: 'sink.csv', params: { path: 'copy.csv' } },
      { id: 'pg', type: 'sink.postgres', params: { connection: 'db', schema, table: name, mode } },
    ],
    edges: ['copy', 'pg'].map((to) => ({ from: 'src:out', to: `${to}:in` })),
  };
  await writeFile(path.join(dir, 'pipeline.json'), JSON.stringify(doc, null, 2));
  const args = (...extra: string[]) => ['run', 'pipeline.json', '--engine', 'spark', '--master', 'local[1]', ...extra];
  return {
    dir,
    key: tableLockKey(PG.database, { schema, name }),
    run: (failpoint = '', ...extra: string[]) => caudal(args(...extra), { cwd: dir, env: { ...env, CAUDAL_SPARK_FAILPOINT: failpoint }, timeoutMs: 600_000 }),
    start: (onStderr: (text: string) => void, ...extra: string[]) => startCaudal(args(...extra), { cwd: dir, env, onStderr }),
    ids: async () => (await q<{ id: string }>(`SELECT id FROM "${name}" ORDER BY id`)).map((r) => Number(r.id)),
    stagingTables: async () =>
      (await q<{ relname: string }>(`SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND relname LIKE '%\\_\\_caudal\\_%'`, [schema])).map((r) => r.relname),
  };
}

/** Another Caudal run loading the table, as seen by the server: a session holding the table's lock. */
async function otherLoad(key: string) {
  const other = await pgClient();
  await other.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [key]);
  return { release: () => other.end() };
}

const heldByAnotherSession = async (key: string) => {
  const { rows } = await client.query<{ free: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS free', [key]);
  if (rows[0]!.free) await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [key]);
  return !rows[0]!.free;
};

describe('caudal run --engine spark: one load per PostgreSQL table across machines and engines', () => {
  it('while another run loads the table, stops at once with exit 75 naming the table, and writes nothing', { timeout: 600_000 }, async () => {
    const p = await project('busy_table');
    const other = await otherLoad(p.key);
    try {
      const r = await p.run();
      expect(r.code, r.stderr).toBe(75);
      // (The schema's name shows as *** in part: the test server's password is also its prefix.)
      expect(r.stderr).toMatch(/node 'pg': table "[^"]+"\."busy_table" \(connection 'db'\) is being loaded by another Caudal run; run again when it has finished, or pass --wait to wait for it/);
    } finally {
      await other.release();
    }
    expect(await p.ids()).toEqual([1]);
    expect(existsSync(path.join(p.dir, 'copy.csv'))).toBe(false);
    expect(await p.stagingTables()).toEqual([]);
    expect(await preparedTransactionsIn(client, schema)).toEqual([]);
  });

  it('holds the lock from the start of the job until its commit, under the name DuckDB runs take', { timeout: 600_000 }, async () => {
    const p = await project('held_table');
    let stagedSeen = false;
    // The driver pauses 10 s once every sink is staged (before publishing): the lock is held then.
    const result = p.run('pause:staged');
    for (let i = 0; i < 1200 && !stagedSeen; i++) {
      stagedSeen = (await p.stagingTables()).length > 0;
      if (!stagedSeen) await new Promise((r) => setTimeout(r, 100));
    }
    expect(stagedSeen).toBe(true);
    expect(await heldByAnotherSession(p.key)).toBe(true);
    const r = await result;
    expect(r.code, r.stderr).toBe(0);
    expect(await heldByAnotherSession(p.key)).toBe(false);
    expect(await p.ids()).toEqual([1, 2, 3]);
  });

  it("keeps the lock through a job longer than the server's idle_in_transaction_session_timeout, as a role that may not create schemas", { timeout: 600_000 }, async () => {
    // The role's sessions are ended after 1 s idle in a transaction; the job pauses 10 s after
    // staging, while the transaction that holds the lock waits to publish.
    const login = await loadingRole(q, schema, ["idle_in_transaction_session_timeout = '1s'"]);
    const p = await project('idle_table', { login });
    await q(`GRANT ALL ON "idle_table" TO "${login.user}"`);
    const r = await p.run('pause:staged');
    expect(r.code, r.stderr).toBe(0);
    expect(await p.ids()).toEqual([1, 2, 3]);
    expect(await p.stagingTables()).toEqual([]);
  });

  it('with --wait, waits for the other load to finish, then loads', { timeout: 600_000 }, async () => {
    const p = await project('waited_table');
    const other = await otherLoad(p.key);
    let stderr = '';
    const started = p.start((text) => (stderr += text), '--wait');
    try {
      for (let i = 0; i < 2400 && !stderr.includes('waiting for table'); i++) await new Promise((r) => setTimeout(r, 100));
      expect(stderr).toMatch(/node 'pg': waiting for table "[^"]+"\."waited_table" \(connection 'db'\), which another Caudal run is loading/);
      expect(await p.ids()).toEqual([1]);
    } finally {
      await other.release();
    }
    const r = await started.result;
    expect(r.code, r.stderr).toBe(0);
    expect(await p.ids()).toEqual([1, 2, 3]);
    expect(await readFile(path.join(p.dir, 'copy.csv'), 'utf8')).toBe('id,name\n2,row 2\n3,row 3\n');
  });
});

describe('caudal run --engine spark: PostgreSQL privileges', () => {
  it('a mode the role lacks a privilege for fails naming the node and what the mode needs, and changes nothing', { timeout: 600_000 }, async () => {
    const login = await loadingRole(q, schema);
    const p = await project('not_owned', { login, mode: 'replace' });
    await q(`GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON "not_owned" TO "${login.user}"`);
    const r = await p.run();
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`caudal: node 'pg' (connection 'db'): PostgreSQL said: ERROR: must be owner of table not_owned (hint: mode "replace" drops the table and creates it anew, which only its owner may do`);
    expect(await p.ids()).toEqual([1]);
    expect(existsSync(path.join(p.dir, 'copy.csv'))).toBe(false);
    expect(await p.stagingTables()).toEqual([]);
  });
});
