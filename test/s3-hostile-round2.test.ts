import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AbortMultipartUploadCommand, CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, ListMultipartUploadsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { inspect, runPipeline, startRun } from '../core/src/engine/engine.js';
import { sweepStagedDestinations } from '../core/src/engine/commit/destination-sweep.js';
import { s3Client } from '../core/src/connectors/s3/client.js';
import { listObjects } from '../core/src/connectors/s3/objects.js';
import type { ResolvedConnection } from '../core/src/nodes/define.js';
import { afterFile } from './support/cleanup.js';
import { pipeline, tempDir } from './support/pipeline.js';
import { hostileS3, sendXml } from './support/s3-hostile-server.js';
import { connectTo, SERVICES } from './support/services.js';

/**
 * The second hostile probe of source.s3 and sink.s3 (and of the local file sources they delegate to),
 * against moto: later objects that planning did not see, other runs' staging, sinks writing into
 * each other, empty partitioned output, and secrets in the doctor's sweep.
 */
const real = { region: 'us-east-1', endpoint: SERVICES.motoUrl, force_path_style: true, access_key_id: 'caudal-test', secret_access_key: 'caudal-round2-secret' };
const client = s3Client(real);
afterFile(() => client.destroy());
const bucket = `caudal-round2-${Date.now().toString(36)}`;
await connectTo('moto', SERVICES.motoUrl, () => client.send(new CreateBucketCommand({ Bucket: bucket })));
const openUploads = async (prefix: string) => (await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }))).Uploads ?? [];
afterFile(async () => {
  for (const u of await openUploads('')) await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key!, UploadId: u.UploadId! }));
  for (const o of await listObjects(client, bucket, '')) await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: o.key }));
  await client.send(new DeleteBucketCommand({ Bucket: bucket }));
});
const dir = await tempDir('caudal-s3-round2-');
process.env.CAUDAL_CACHE_DIR = path.join(dir, 'cache');
const connections: Record<string, ResolvedConnection> = { lake: { name: 'lake', type: 's3', config: real } };
const declared = { connections: { lake: { type: 's3' } } };

const put = (key: string, body: string | Uint8Array) => client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
const keys = async (prefix: string) => (await listObjects(client, bucket, prefix)).map((o) => o.key);

async function duck(sql: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(':memory:');
  try {
    return (await (await db.connect()).runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    db.closeSync();
  }
}

/** A Parquet file of a query, written locally (at `file`, or a temp name) and returned as bytes. */
async function parquetOf(sql: string, file = path.join(dir, `p-${Math.random().toString(36).slice(2)}.parquet`)): Promise<Uint8Array> {
  await mkdir(path.dirname(file), { recursive: true });
  await duck(`COPY (${sql}) TO '${file}' (FORMAT parquet)`);
  return readFile(file);
}

const readInto = (src: Record<string, unknown>, out: string) =>
  pipeline(
    [
      { id: 'src', type: 'source.s3', params: { connection: 'lake', ...src } },
      { id: 'dst', type: 'sink.json', params: { path: out, format: 'array', if_exists: 'overwrite' } },
    ],
    ['src -> dst'],
    declared,
  );
const runRead = (src: Record<string, unknown>, out: string) => runPipeline({ pipeline: readInto(src, out), baseDir: dir, connections });
const rowsIn = async (file: string) => JSON.parse(await readFile(file, 'utf8')) as Array<Record<string, unknown>>;

describe('a later object holding a column named like its partition folder (defect 1)', () => {
  it('source.s3 Parquet: the run is refused naming the later object and the column, not read with the folder value', async () => {
    await put('pq3/year=2024/a.parquet', await parquetOf('SELECT 1 AS id, 10 AS v'));
    await put('pq3/year=2025/d.parquet', await parquetOf('SELECT 4 AS id, 40 AS v, 2020 AS year'));
    const out = path.join(dir, 'pq3.json');
    const s = await runRead({ url: `s3://${bucket}/pq3/` }, out);
    expect(s.status).toBe('failed');
    expect(s.error?.message).toContain(`s3://${bucket}/pq3/year=2025/d.parquet`);
    expect(s.error?.message).toMatch(/column 'year' is both in/);
    await expect(readFile(out)).rejects.toThrow(/ENOENT/);
  }, 60_000);

  it('source.s3 JSON: the same', async () => {
    await put('js3/year=2024/a.json', '{"id":1,"v":10}\n');
    await put('js3/year=2025/d.json', '{"id":4,"v":40,"year":2020}\n');
    const s = await runRead({ url: `s3://${bucket}/js3/` }, path.join(dir, 'js3.json'));
    expect(s.status).toBe('failed');
    expect(s.error?.message).toContain(`s3://${bucket}/js3/year=2025/d.json`);
    expect(s.error?.message).toMatch(/column 'year' is both in/);
  }, 60_000);

  it('source.s3 CSV combined by name: the same, where DuckDB failed with an internal error', async () => {
    // .txt: the root glob of defect 2's test (**/*.csv) must not meet these.
    await put('cs3/year=2024/a.txt', 'id,v\n1,10\n');
    await put('cs3/year=2025/d.txt', 'id,year,v\n4,2020,40\n');
    const s = await runRead({ url: `s3://${bucket}/cs3/`, csv: { union_by_name: true } }, path.join(dir, 'cs3.json'));
    expect(s.status).toBe('failed');
    expect(s.error?.message).toContain(`s3://${bucket}/cs3/year=2025/d.txt`);
    expect(s.error?.message).toMatch(/column 'year' is both in/);
  }, 60_000);

  it('local source.parquet and source.json over a glob: refused before the run, naming the later file', async () => {
    const base = path.join(dir, 'local-clash');
    await parquetOf('SELECT 1 AS id', path.join(base, 'year=2024', 'a.parquet'));
    await parquetOf('SELECT 4 AS id, 2020 AS year', path.join(base, 'year=2025', 'd.parquet'));
    await mkdir(path.join(base, 'year=2024'), { recursive: true });
    await mkdir(path.join(base, 'year=2025'), { recursive: true });
    await writeFile(path.join(base, 'year=2024', 'a.json'), '{"id":1}\n');
    await writeFile(path.join(base, 'year=2025', 'd.json'), '{"id":4,"year":2020}\n');
    for (const [type, ext] of [['source.parquet', 'parquet'], ['source.json', 'json']] as const) {
      const doc = pipeline([{ id: 'src', type, params: { path: path.join(base, '**', `*.${ext}`) } }]);
      const { problems } = await inspect({ pipeline: doc, baseDir: dir });
      expect(problems, type).toEqual([expect.objectContaining({ column: 'year' })]);
      expect(problems[0]!.message).toContain(path.join(base, 'year=2025', `d.${ext}`));
    }
  }, 60_000);
});

describe('a glob never reads Caudal staging objects (defect 2)', () => {
  it('s3://bucket/**/*.csv at the root skips .caudal-staging/ and the run folders of a custom staging prefix', async () => {
    await put('g2/data/a.csv', 'id\n1\n');
    await put('.caudal-staging/abc12345-h0a1bp4242-dst/new/object', 'id\n666\n');
    await put('.caudal-staging/abc12345-h0a1bp4242-dst/new/part.csv', 'id\n667\n');
    await put('g2/stage/abc12345-h0a1bp4343-dst/new/x.csv', 'id\n668\n');
    await put('g2/stage/abc12345-h0a1bp4343-dst/old/y.csv', 'id\n669\n');
    const out = path.join(dir, 'g2.json');
    const s = await runRead({ url: `s3://${bucket}/**/*.csv` }, out);
    expect(s.status, s.error?.message).toBe('succeeded');
    expect((await rowsIn(out)).map((r) => Number(r.id))).toEqual([1]);
    // A prefix read of a custom staging prefix (not hidden) skips it too.
    const s2 = await runRead({ url: `s3://${bucket}/g2/` }, out);
    expect(s2.status, s2.error?.message).toBe('succeeded');
    expect((await rowsIn(out)).map((r) => Number(r.id))).toEqual([1]);
  }, 60_000);
});

describe('caudal doctor / clean do not print S3 secrets when the sweep fails (defect 3)', () => {
  it('a listing error that echoes the request headers is reported without the session token or the secret', async () => {
    const token = 'SessTokZebra77Qx-round2';
    const server = await hostileS3(SERVICES.motoUrl, (r, res) =>
      sendXml(res, 400, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidRequest</Code><Message>echo: ${Object.entries(r.headers).map(([k, v]) => `${k}=${String(v)}`).join(' | ')} ${real.secret_access_key}</Message></Error>`),
    );
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: 'SELECT 1 AS id' } },
        { id: 'dst', type: 'sink.s3', params: { connection: 'lake', url: `s3://${bucket}/sweep/out.csv` } },
      ],
      ['src -> dst'],
      declared,
    );
    const conn: ResolvedConnection = { name: 'lake', type: 's3', config: { ...real, endpoint: server.endpoint, session_token: token } };
    const r = await sweepStagedDestinations(doc, async () => conn, false);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatch(/node 'dst'.*InvalidRequest/);
    expect(r.problems[0]).not.toContain(token);
    expect(r.problems[0]).not.toContain(real.secret_access_key);
  }, 60_000);
});

describe('source.s3 JSON: the run reads the columns planning saw (defect 4)', () => {
  it('a later object with another type and an extra key fails the run naming the column and the object; nothing is written', async () => {
    await put('js4/a.json', '{"id":1,"name":"x"}\n{"id":2,"name":"y"}\n');
    await put('js4/b.json', '{"id":"two","name":"z","extra":true}\n');
    const out = path.join(dir, 'js4.json');
    const s = await runRead({ url: `s3://${bucket}/js4/` }, out);
    expect(s.status).toBe('failed');
    expect(s.error?.message).toMatch(/column 'id' is BIGINT in the first object but/);
    expect(s.error?.message).toMatch(/key 'extra'/);
    expect(s.error?.message).toContain(`s3://${bucket}/js4/b.json`);
    expect(s.error?.hint).toMatch(/json\.columns/);
    await expect(readFile(out)).rejects.toThrow(/ENOENT/);
  }, 60_000);

  it('objects that agree with the first read as before', async () => {
    await put('js4ok/a.json', '{"id":1,"name":"x"}\n');
    await put('js4ok/b.json', '{"id":2,"name":"z"}\n');
    const out = path.join(dir, 'js4ok.json');
    const s = await runRead({ url: `s3://${bucket}/js4ok/` }, out);
    expect(s.status, s.error?.message).toBe('succeeded');
    expect(await rowsIn(out)).toEqual([{ id: 1, name: 'x' }, { id: 2, name: 'z' }]);
  }, 60_000);
});

describe('source.s3 partition types and keys (defects 5 and 6)', () => {
  it('a later folder value that is not a number makes the partition column VARCHAR in the plan as in the run', async () => {
    await put('hive4/year=2024/a.csv', 'id\n1\n');
    await put('hive4/year=abc/b.csv', 'id\n2\n');
    const doc = readInto({ url: `s3://${bucket}/hive4/` }, path.join(dir, 'hive4.json'));
    const { problems, nodes } = await inspect({ pipeline: doc, baseDir: dir, connections });
    expect(problems).toEqual([]);
    const year = nodes.find((n) => n.nodeId === 'src')!.outputs.find((o) => o.port === 'out')!.columns!.find((c) => c.name === 'year');
    expect(year?.type).toBe('VARCHAR');
    const s = await runPipeline({ pipeline: doc, baseDir: dir, connections });
    expect(s.status, s.error?.message).toBe('succeeded');
    expect((await rowsIn(path.join(dir, 'hive4.json'))).map((r) => r.year)).toEqual(['2024', 'abc']);
  }, 60_000);

  it('objects under different partition keys are refused before the run, naming both folders', async () => {
    await put('hive5/year=2024/a.csv', 'id\n1\n');
    await put('hive5/yr=2025/b.csv', 'id\n2\n');
    const { problems } = await inspect({ pipeline: readInto({ url: `s3://${bucket}/hive5/` }, path.join(dir, 'hive5.json')), baseDir: dir, connections });
    expect(problems).toEqual([expect.objectContaining({ path: 'nodes[0].params.url' })]);
    expect(problems[0]!.message).toContain(`s3://${bucket}/hive5/year=2024/a.csv is under 'year=2024'`);
    expect(problems[0]!.message).toContain(`s3://${bucket}/hive5/yr=2025/b.csv under 'yr=2025'`);
    // Without partitions they read together.
    const s = await runRead({ url: `s3://${bucket}/hive5/`, csv: { hive_partitioning: false } }, path.join(dir, 'hive5.json'));
    expect(s.status, s.error?.message).toBe('succeeded');
  }, 60_000);
});

describe('partitioned sinks and no rows (defect 7)', () => {
  const empty = (sink: { type: string; params: Record<string, unknown> }) =>
    pipeline([{ id: 'src', type: 'transform.sql', params: { query: "SELECT 1 AS id, 'ES' AS country WHERE false" } }, { id: 'dst', ...sink }], ['src -> dst'], declared);

  it('sink.s3: an overwrite with no rows succeeds and leaves the prefix empty', async () => {
    await put('empty7/country=FR/data_0.parquet', await parquetOf("SELECT 9 AS id"));
    const s = await runPipeline({ pipeline: empty({ type: 'sink.s3', params: { connection: 'lake', url: `s3://${bucket}/empty7/`, partition_by: ['country'], if_exists: 'overwrite' } }), baseDir: dir, connections });
    expect(s.status, s.error?.message).toBe('succeeded');
    expect(await keys('empty7/')).toEqual([]);
  }, 60_000);

  it('sink.parquet: the same, an empty folder', async () => {
    const target = path.join(dir, 'empty7-local');
    const s = await runPipeline({ pipeline: empty({ type: 'sink.parquet', params: { path: target, partition_by: ['country'], if_exists: 'overwrite' } }), baseDir: dir });
    expect(s.status, s.error?.message).toBe('succeeded');
  }, 60_000);
});

describe('sinks writing into each other (defects 8 and 9)', () => {
  it('an object inside another sink.s3\'s partitioned prefix is refused before the run', async () => {
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: "SELECT 1 AS id, 'ES' AS country" } },
        { id: 'lake_out', type: 'sink.s3', params: { connection: 'lake', url: `s3://${bucket}/ov8/`, partition_by: ['country'], if_exists: 'overwrite' } },
        { id: 'extra_out', type: 'sink.s3', params: { connection: 'lake', url: `s3://${bucket}/ov8/extra.csv`, if_exists: 'overwrite' } },
      ],
      ['src -> lake_out', 'src -> extra_out'],
      declared,
    );
    const { problems } = await inspect({ pipeline: doc, baseDir: dir, connections });
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toMatch(/ov8\/extra\.csv.*inside.*ov8\//);
    expect(problems[0]!.message).toMatch(/lake_out|extra_out/);
  }, 60_000);

  it('a staging prefix inside the sink\'s own partitioned prefix is refused before the run', async () => {
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: "SELECT 1 AS id, 'ES' AS country" } },
        { id: 'dst', type: 'sink.s3', params: { connection: 'lake', url: `s3://${bucket}/st9/`, partition_by: ['country'], if_exists: 'overwrite', staging_prefix: 'st9/_staging/' } },
      ],
      ['src -> dst'],
      declared,
    );
    const { problems } = await inspect({ pipeline: doc, baseDir: dir, connections });
    expect(problems).toEqual([expect.objectContaining({ path: 'nodes[1].params.staging_prefix' })]);
    expect(problems[0]!.message).toMatch(/staging prefix st9\/_staging\/ and the target prefix st9\//);
  }, 60_000);
});

describe('a cancelled multipart upload (defect 10)', () => {
  it('a run cancelled while sink.s3 uploads in parts leaves no multipart upload open', async () => {
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: 'SELECT range AS id, md5(range::VARCHAR) AS h, md5((range * 7)::VARCHAR) AS g FROM range(2500000)' } },
        { id: 'dst', type: 'sink.s3', params: { connection: 'lake', url: `s3://${bucket}/mpu10/big.csv`, part_size_mb: 5, staging_prefix: 'mpu10-staging/' } },
      ],
      ['src -> dst'],
      declared,
    );
    const run = startRun({ pipeline: doc, baseDir: dir, connections });
    const deadline = Date.now() + 60_000;
    while ((await openUploads('mpu10-staging/')).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    run.cancel();
    const s = await run.done;
    expect(s.status).toBe('cancelled');
    expect(await openUploads('mpu10-staging/')).toEqual([]);
    expect(await keys('mpu10')).toEqual([]);
  }, 120_000);
});

describe('staging removed under a live run', () => {
  // What a sweep by a process that took this run for dead does (another container with this host
  // name), or a bucket lifecycle rule: S3's answer to the HEAD carries no body ("UnknownError").
  it('sink.s3 says its staged object is gone and that the target is unchanged, not "UnknownError"', async () => {
    await put('gone/out.csv', 'id\n0\n');
    let removed = false;
    const server = await hostileS3(SERVICES.motoUrl, async (r) => {
      if (r.method === 'HEAD' && r.key.includes('.caudal-staging') && r.key.endsWith('/new/object') && !removed) {
        removed = true;
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: r.key }));
      }
      return false;
    });
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: 'SELECT 1 AS id' } },
        { id: 'dst', type: 'sink.s3', params: { connection: 'lake', url: `s3://${bucket}/gone/out.csv`, format: 'csv', if_exists: 'overwrite' } },
      ],
      ['src -> dst'],
      declared,
    );
    const s = await runPipeline({ pipeline: doc, baseDir: dir, connections: { lake: { name: 'lake', type: 's3', config: { ...real, endpoint: server.endpoint } } } });
    expect(removed).toBe(true);
    expect(s.status).toBe('failed');
    expect(s.error!.message).toMatch(/the staged object s3:\/\/.*\/\.caudal-staging\/.* is gone: something removed the run's staging while it ran; s3:\/\/.*\/gone\/out\.csv is unchanged/);
    expect(s.error!.message).not.toMatch(/UnknownError/);
    const obj = await client.send(new (await import('@aws-sdk/client-s3')).GetObjectCommand({ Bucket: bucket, Key: 'gone/out.csv' }));
    expect(await obj.Body!.transformToString()).toBe('id\n0\n');
  }, 60_000);
});
