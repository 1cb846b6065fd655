import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { getBytes } from '../core/src/connectors/s3/objects.js';
import { startApi } from './services/http-api/server.js';
import { S3_CREDENTIALS } from './services/s3/server.js';
import { caudal, startCaudal } from './support/cli.js';
import { tempDir } from './support/pipeline.js';
import { s3Sandbox } from './support/s3.js';
import { afterFile } from './support/cleanup.js';

/**
 * Real crashes (SIGKILL, no cleanup) of the CLI while it writes to S3 or reads a REST API: the S3
 * target keeps no new object and is put back as it was; a REST source's incremental state does not move.
 */
const lake = await s3Sandbox(['crash']);
const root = await tempDir();

async function parquetBytes(sql: string): Promise<Uint8Array> {
  const file = path.join(root, `p-${Math.random().toString(36).slice(2)}.parquet`);
  const db = await DuckDBInstance.create(':memory:');
  try {
    await (await db.connect()).run(`COPY (${sql}) TO '${file}' (FORMAT parquet)`);
  } finally {
    db.closeSync();
  }
  return readFile(file);
}

async function idsIn(bytes: Uint8Array): Promise<number[]> {
  const file = path.join(root, `r-${Math.random().toString(36).slice(2)}.parquet`);
  await writeFile(file, bytes);
  const db = await DuckDBInstance.create(':memory:');
  try {
    const rows = (await (await db.connect()).runAndReadAll(`SELECT id FROM '${file}' ORDER BY id`)).getRowObjectsJson();
    return rows.map((r) => Number(r.id));
  } finally {
    db.closeSync();
  }
}

/** A project folder with the S3 connection (its secret in the environment) and a pipeline. */
async function project(name: string, nodes: unknown[], edges: unknown[], connections: Record<string, unknown>) {
  const dir = path.join(root, name);
  await mkdir(dir, { recursive: true });
  const env = {
    CAUDAL_RUNTIME_DIR: path.join(dir, 'runtime'),
    CAUDAL_CONFIG_DIR: path.join(dir, 'config'),
    CAUDAL_CACHE_DIR: path.join(dir, 'cache'),
    CAUDAL_SECRET_LAKE_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey,
  };
  await writeFile(path.join(dir, 'caudal.connections.json'), JSON.stringify({ format: 'caudal.connections/1', connections }));
  const decl = Object.fromEntries(Object.entries(connections).map(([k, v]) => [k, { type: (v as { type: string }).type }]));
  await writeFile(path.join(dir, 'pipeline.json'), JSON.stringify({ format: 'caudal.pipeline/1', name, params: {}, connections: decl, nodes, edges }, null, 2));
  return {
    dir,
    env,
    run: (more: NodeJS.ProcessEnv = {}) => caudal(['run', 'pipeline.json', '-q'], { cwd: dir, env: { ...env, ...more } }),
    clean: () => caudal(['clean', 'pipeline.json'], { cwd: dir, env }),
  };
}

const s3Conn = { lake: { type: 's3', region: 'us-east-1', endpoint: lake.server.endpoint, force_path_style: true, access_key_id: S3_CREDENTIALS.accessKeyId } };
const partitionKeys = async () => (await lake.keys('crash', 'orders/')).map((k) => k.replace(/data_\d+/, 'data'));

describe('sink.s3 killed mid-run', () => {
  /** orders/ holds country=ES (ids 1,2) and country=FR (id 3); the pipeline overwrites it with ES (10) and PT (11). */
  const setup = async (name: string) => {
    for (const k of await lake.keys('crash')) await lake.client.send(new (await import('@aws-sdk/client-s3')).DeleteObjectCommand({ Bucket: 'crash', Key: k }));
    await lake.put('crash', 'orders/country=ES/data_0.parquet', await parquetBytes('SELECT * FROM (VALUES (1), (2)) t(id)'));
    await lake.put('crash', 'orders/country=FR/data_0.parquet', await parquetBytes('SELECT 3 AS id'));
    return project(
      name,
      [
        { id: 'src', type: 'transform.sql', params: { query: "SELECT * FROM (VALUES (10, 'ES'), (11, 'PT')) t(id, country)" } },
        { id: 'dst', type: 'sink.s3', params: { connection: 'lake', url: 's3://crash/orders/', partition_by: ['country'], if_exists: 'overwrite' } },
      ],
      [{ from: 'src:out', to: 'dst:in' }],
      s3Conn,
    );
  };
  const old = ['orders/country=ES/data.parquet', 'orders/country=FR/data.parquet'];

  it('after staging (uploads done, nothing prepared): the target is untouched; the next run removes the staging and publishes', async () => {
    const p = await setup('after-stage');
    expect((await p.run({ CAUDAL_FAILPOINT: 'after-stage' })).signal).toBe('SIGKILL');
    expect(await partitionKeys()).toEqual(old);
    expect((await lake.keys('crash', '.caudal-staging/')).length).toBeGreaterThan(0);
    const again = await p.run();
    expect(again.code, again.stderr).toBe(0);
    expect(await partitionKeys()).toEqual(['orders/country=ES/data.parquet', 'orders/country=PT/data.parquet']);
    expect(await lake.keys('crash', '.caudal-staging/')).toEqual([]);
  });

  for (const at of ['after-prepare', 'after-reversible']) {
    it(`${at.replace('-', ' ')}: caudal clean puts every old object back, removes new ones and the staging`, async () => {
      const p = await setup(at);
      expect((await p.run({ CAUDAL_FAILPOINT: at })).signal).toBe('SIGKILL');
      if (at === 'after-reversible') expect(await partitionKeys()).toEqual(['orders/country=ES/data.parquet', 'orders/country=PT/data.parquet']);
      const clean = await p.clean();
      expect(clean.code, clean.stdout + clean.stderr).toBe(0);
      expect(clean.stdout).toContain('rolled back');
      expect(await partitionKeys()).toEqual(old);
      const es = (await lake.keys('crash', 'orders/country=ES/'))[0]!;
      expect(await idsIn(await getBytes(lake.client, 'crash', es))).toEqual([1, 2]);
      expect(await lake.keys('crash', '.caudal-staging/')).toEqual([]);
    });
  }
});

describe('source.rest killed mid-read', () => {
  it('leaves the incremental state and the sink as they were; the next run reads the same records', async () => {
    const api = await startApi({ records: 150, pageSize: 50 });
    afterFile(() => api.close());
    const p = await project(
      'rest-kill',
      [
        {
          id: 'src',
          type: 'source.rest',
          params: { connection: 'api', url: '/items/offset', records_path: 'data', pagination: { type: 'offset', limit: 50 }, incremental: { cursor_path: 'updated_at', param: 'updated_since' } },
        },
        { id: 'dst', type: 'sink.csv', params: { path: 'out/items_${run}.csv' } },
      ],
      [{ from: 'src:out', to: 'dst:in' }],
      { api: { type: 'rest', base_url: api.url } },
    );
    const doc = JSON.parse(await readFile(path.join(p.dir, 'pipeline.json'), 'utf8'));
    doc.params = { run: { type: 'string' } };
    await writeFile(path.join(p.dir, 'pipeline.json'), JSON.stringify(doc));
    const run = (n: string) => caudal(['run', 'pipeline.json', '-q', '--param', `run=${n}`], { cwd: p.dir, env: p.env });
    expect((await run('1')).code).toBe(0);
    const stateDir = path.join(p.dir, '.caudal', 'state', 'rest-kill');
    // One state file: the node's state for this request (<node>.<key>.state.json).
    const stateFiles = (await readdir(stateDir)).filter((f) => f.startsWith('src.') && f.endsWith('.state.json'));
    expect(stateFiles).toHaveLength(1);
    const stateFile = path.join(stateDir, stateFiles[0]!);
    const saved = await readFile(stateFile, 'utf8');
    expect(JSON.parse(saved).state.cursor).toBe(api.records.at(-1)!.updated_at);

    api.addRecords(120);
    // The first page answers; the second never does: the process is killed while waiting for it.
    api.fault('/items/offset', { delayMs: 0 }, { hang: true });
    const start = api.log.length;
    const child = startCaudal(['run', 'pipeline.json', '-q', '--param', 'run=2'], { cwd: p.dir, env: p.env });
    while (api.log.slice(start).filter((l) => l.path === '/items/offset').length < 2) await new Promise((r) => setTimeout(r, 20));
    child.child.kill('SIGKILL');
    expect((await child.result).signal).toBe('SIGKILL');
    expect(await readFile(stateFile, 'utf8')).toBe(saved);
    await expect(readFile(path.join(p.dir, 'out/items_2.csv'), 'utf8')).rejects.toThrow(/ENOENT/);

    expect((await run('3')).code).toBe(0);
    const lines = (await readFile(path.join(p.dir, 'out/items_3.csv'), 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(121);
    expect(JSON.parse(await readFile(stateFile, 'utf8')).state.cursor).toBe(api.records.at(-1)!.updated_at);
  });
});
