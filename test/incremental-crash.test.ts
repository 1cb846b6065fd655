import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { caudal } from './support/cli.js';
import { tempDir } from './support/pipeline.js';
import { pgSandbox, pgSecretEnv, writePgConnectionsFile } from './support/postgres.js';
import { inDb } from './support/duckdb.js';

/**
 * An incremental source's watermark moves with the commit, crash or no crash: a run killed after
 * its commit decision is completed by recovery (the next run or `caudal clean`), and recovery saves
 * the watermark too. Otherwise the committed rows would be read, and appended, again.
 */
const { schema, q } = await pgSandbox();
const root = await tempDir('caudal-incremental-crash-');

async function project(name: string, sink: 'duckdb' | 'postgres' = 'duckdb') {
  const dir = path.join(root, name);
  await mkdir(dir, { recursive: true });
  const env = { ...pgSecretEnv('db'), CAUDAL_RUNTIME_DIR: path.join(dir, 'runtime'), CAUDAL_CONFIG_DIR: path.join(dir, 'config') };
  await writePgConnectionsFile(dir);
  await q(`CREATE TABLE "${name}" (id int)`);
  await q(`CREATE TABLE "${name}_copy" (id int)`);
  const doc = {
    format: 'caudal.pipeline/1',
    name,
    params: {},
    connections: { db: { type: 'postgres' } },
    nodes: [
      { id: 'src', type: 'source.postgres', params: { connection: 'db', schema, table: name, incremental: { column: 'id' } } },
      sink === 'duckdb'
        ? { id: 'dst', type: 'sink.duckdb', params: { database: 'out/copy.duckdb', table: 'copy', mode: 'append' } }
        : { id: 'dst', type: 'sink.postgres', params: { connection: 'db', schema, table: `${name}_copy`, mode: 'append' } },
    ],
    // One destination at a time: no two-phase commit, so a killed run leaves no prepared
    // transaction that other test files (which count them as debris) could see.
    edges: [{ from: 'src:out', to: 'dst:in' }],
  };
  await writeFile(path.join(dir, 'pipeline.json'), JSON.stringify(doc, null, 2));
  return {
    dir,
    env,
    run: (more: NodeJS.ProcessEnv = {}) => caudal(['run', 'pipeline.json', '-q'], { cwd: dir, env: { ...env, ...more } }),
    add: (from: number, to: number) => q(`INSERT INTO "${name}" SELECT g FROM generate_series(${from}, ${to}) g`),
    copied: async () =>
      sink === 'duckdb'
        ? (await inDb(path.join(dir, 'out/copy.duckdb'), 'SELECT id FROM copy ORDER BY id')).map((r) => Number(r.id))
        : (await q<{ id: number }>(`SELECT id FROM "${name}_copy" ORDER BY id`)).map((r) => Number(r.id)),
  };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('incremental state across a crash in the commit', () => {
  for (const at of ['after-decision', 'after-first-commit'] as const) {
    it(`killed ${at.replace(/-/g, ' ')}: the next run completes the commit and its watermark, and reads only newer rows`, async () => {
      const p = await project(`inc_${at.replace(/-/g, '_')}`);
      await p.add(1, 100);
      expect((await p.run()).code).toBe(0);
      await p.add(101, 150);
      const killed = await p.run({ CAUDAL_FAILPOINT: at });
      expect(killed.signal).toBe('SIGKILL');

      await p.add(151, 160);
      const next = await caudal(['run', 'pipeline.json'], { cwd: p.dir, env: p.env });
      expect(next.code, next.stderr).toBe(0);
      expect(next.stderr).toMatch(/rolled forward/);
      // Rows 101–150 once (committed by the recovery), 151–160 by the run itself.
      expect(await p.copied()).toEqual(range(1, 160));
    });
  }

  it('one PostgreSQL load (not prepared, so lost with the process): killed before its commit the watermark stays and the rows come again; killed after it the watermark is saved and no row comes twice', async () => {
    const p = await project('inc_lost', 'postgres');
    await p.add(1, 10);
    expect((await p.run({ CAUDAL_FAILPOINT: 'after-reversible' })).signal).toBe('SIGKILL');
    const next = await caudal(['run', 'pipeline.json'], { cwd: p.dir, env: p.env });
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toMatch(/recovered run \S+ of 'inc_lost', which was killed: rolled back/);
    expect(await p.copied()).toEqual(range(1, 10));
    // The decision is recorded right after the load committed: the recovery completes the run.
    await p.add(11, 20);
    expect((await p.run({ CAUDAL_FAILPOINT: 'after-decision' })).signal).toBe('SIGKILL');
    const after = await caudal(['run', 'pipeline.json'], { cwd: p.dir, env: p.env });
    expect(after.code, after.stderr).toBe(0);
    expect(after.stderr).toContain("saved the state of node 'src'");
    expect(await p.copied()).toEqual(range(1, 20));
  });

  it('caudal clean saves the watermark of the commit it completes', async () => {
    const p = await project('inc_clean');
    await p.add(1, 10);
    expect((await p.run({ CAUDAL_FAILPOINT: 'after-decision' })).signal).toBe('SIGKILL');
    const clean = await caudal(['clean', 'pipeline.json'], { cwd: p.dir, env: p.env });
    expect(clean.code, clean.stdout + clean.stderr).toBe(0);
    expect(clean.stdout).toContain("saved the state of node 'src'");
    const state = await caudal(['state', 'show', 'pipeline.json', '--json'], { cwd: p.dir, env: p.env });
    expect(JSON.parse(state.stdout)).toMatchObject([{ nodeId: 'src', state: { column: 'id', watermark: '10' } }]);
    expect((await p.run()).code).toBe(0);
    expect(await p.copied()).toEqual(range(1, 10));
  });
});
