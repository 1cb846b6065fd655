import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { inspect, previewPipeline, runPipeline } from '../core/src/engine/engine.js';
import { s3Client } from '../core/src/connectors/s3/client.js';
import { listObjects } from '../core/src/connectors/s3/objects.js';
import type { ResolvedConnection } from '../core/src/nodes/define.js';
import { afterFile } from './support/cleanup.js';
import { pipeline, tempDir } from './support/pipeline.js';
import { connectTo, SERVICES } from './support/services.js';

/**
 * Pipeline params in S3 URLs (source.s3 and sink.s3), on moto: a value is literal key text, as in
 * the file nodes' paths. It never widens what a source reads (no glob of its own, no empty value
 * turning a key into a prefix, no other bucket) and never turns a sink's object into a folder.
 * Also: a prefix read takes keys with `.` and `..` parts, and says which hidden objects it skipped.
 */
const real = { region: 'us-east-1', endpoint: SERVICES.motoUrl, force_path_style: true, access_key_id: 'caudal-test', secret_access_key: 'caudal-params-secret' };
const client = s3Client(real);
afterFile(() => client.destroy());
const stamp = Date.now().toString(36);
const bucket = `caudal-params-${stamp}`;
const other = `caudal-params-other-${stamp}`;
for (const b of [bucket, other]) {
  await connectTo('moto', SERVICES.motoUrl, () => client.send(new CreateBucketCommand({ Bucket: b })));
  afterFile(async () => {
    for (const o of await listObjects(client, b, '')) await client.send(new DeleteObjectCommand({ Bucket: b, Key: o.key }));
    await client.send(new DeleteBucketCommand({ Bucket: b }));
  });
}
const dir = await tempDir('caudal-s3-params-');
process.env.CAUDAL_CACHE_DIR = path.join(dir, 'cache');

const put = (key: string, body: string, b = bucket) => client.send(new PutObjectCommand({ Bucket: b, Key: key, Body: body }));
const keys = async (prefix: string) => (await listObjects(client, bucket, prefix)).map((o) => o.key);
const connections: Record<string, ResolvedConnection> = { lake: { name: 'lake', type: 's3', config: real } };

await put('tenants/acme/data.csv', 'id,secret\n1,acme-row\n');
await put('tenants/globex/data.csv', 'id,secret\n2,globex-row\n');
await put('tenants/a*b/data.csv', 'id,secret\n3,star-row\n');
await put('tenants/acme/eu/data.csv', 'id,secret\n4,acme-eu-row\n');
await put('secret.csv', 'id,secret\n5,other-bucket-row\n', other);

/** A source.s3 (with the pipeline param `tenant`, or those named) into a JSON file. */
function sourceDoc(url: string, names: string[] = ['tenant'], extra: Record<string, unknown> = {}) {
  const out = path.join(dir, `out-${Math.random().toString(36).slice(2)}.json`);
  const doc = pipeline(
    [
      { id: 'src', type: 'source.s3', params: { connection: 'lake', url, ...extra } },
      { id: 'dst', type: 'sink.json', params: { path: out, format: 'array' } },
    ],
    ['src -> dst'],
    { connections: { lake: { type: 's3' } }, params: Object.fromEntries(names.map((n) => [n, { type: 'string' }])) },
  );
  return { doc, out };
}

/** Runs the source; its secrets read (sorted), the run's error and warnings. */
async function read(url: string, params: Record<string, string>, extra: Record<string, unknown> = {}) {
  const { doc, out } = sourceDoc(url, Object.keys(params), extra);
  const warnings: string[] = [];
  const summary = await runPipeline({ pipeline: doc, baseDir: dir, params, connections, onEvent: (e) => e.type === 'warning' && warnings.push(e.message) });
  const rows = await readFile(out, 'utf8').then((t) => JSON.parse(t) as Array<Record<string, unknown>>, () => undefined);
  return { status: summary.status, error: summary.error?.message ?? '', rows, secrets: rows?.map((r) => String(r.secret)).sort(), warnings };
}

/** The problems `caudal validate` reports for the source with these param values. */
async function validate(url: string, params: Record<string, string>) {
  return (await inspect({ pipeline: sourceDoc(url, Object.keys(params)).doc, baseDir: dir, params, connections })).problems;
}

describe('source.s3: a param value is literal key text', () => {
  const oneTenant = `s3://${bucket}/tenants/\${tenant}/data.csv`;

  it('a value names one tenant', async () => {
    expect((await read(oneTenant, { tenant: 'acme' })).secrets).toEqual(['acme-row']);
  });

  it('tenant=* reads no other tenant: * is a character of the key, not a wildcard', async () => {
    const r = await read(oneTenant, { tenant: '*' });
    expect(r.secrets).toBeUndefined();
    expect(r.error).toContain(`no object matches s3://${bucket}/tenants/*/data.csv`);
    expect(await validate(oneTenant, { tenant: '*' })).toEqual([expect.objectContaining({ code: 'io_error', path: 'nodes[0].params.url' })]);
  }, 30_000);

  it('a value with * reads the object whose key holds that *, and only it', async () => {
    expect((await read(oneTenant, { tenant: 'a*b' })).secrets).toEqual(['star-row']);
    // In a glob too: the URL's own * is a wildcard, the value's is not.
    expect((await read(`s3://${bucket}/tenants/\${tenant}/*.csv`, { tenant: 'a*b' })).secrets).toEqual(['star-row']);
    expect((await read(`s3://${bucket}/tenants/\${tenant}/*.csv`, { tenant: '*' })).secrets).toBeUndefined();
  }, 30_000);

  it('tenant=*/data.csv in s3://…/tenants/${tenant} reads no tenant', async () => {
    const r = await read(`s3://${bucket}/tenants/\${tenant}`, { tenant: '*/data.csv' });
    expect(r.secrets).toBeUndefined();
    expect(r.error).toContain(`no object matches s3://${bucket}/tenants/*/data.csv`);
  }, 30_000);

  it('an empty value is refused before anything is read (validate, preview and run): the key would become the prefix of every tenant', async () => {
    const url = `s3://${bucket}/tenants/\${tenant}`;
    const expected = `node 'src': param 'tenant' is empty, so the URL "${url}" would silently become another URL`;
    expect(await validate(url, { tenant: '' })).toEqual([expect.objectContaining({ code: 'invalid_param', path: 'nodes[0].params.url', message: expected })]);
    const preview = await previewPipeline({ pipeline: sourceDoc(url).doc, baseDir: dir, nodeId: 'src', params: { tenant: '' }, connections }).then(
      (p) => `previewed ${p.rows.length} rows`,
      (e: Error) => e.message,
    );
    expect(preview).toContain("param 'tenant' is empty");
    const r = await read(url, { tenant: '' });
    expect(r.status).toBe('failed');
    expect(r.rows).toBeUndefined();
  }, 30_000);

  it('a value may name several key parts, but not end the key with / (a prefix) or lead elsewhere with . or ..', async () => {
    expect((await read(`s3://${bucket}/tenants/\${tenant}/data.csv`, { tenant: 'acme/eu' })).secrets).toEqual(['acme-eu-row']);
    const prefix = await validate(`s3://${bucket}/tenants/\${tenant}`, { tenant: 'acme/' });
    expect(prefix[0]).toMatchObject({ code: 'invalid_param', message: expect.stringContaining(`param 'tenant' = "acme/" ends the key with /`) });
    const dots = await validate(oneTenant, { tenant: '../globex' });
    expect(dots[0]).toMatchObject({ code: 'invalid_param', message: expect.stringContaining(`param 'tenant' = "../globex" makes an empty, '.' or '..' part in the key`) });
  }, 30_000);

  it('the bucket: a param may be the whole bucket or part of its name; a value that reaches into the key is refused', async () => {
    expect((await read('s3://${b}/secret.csv', { b: other })).secrets).toEqual(['other-bucket-row']);
    expect(await validate(`s3://${bucket.slice(0, -2)}\${b}/tenants/acme/data.csv`, { b: bucket.slice(-2) })).toEqual([]);
    const moved = await validate(`s3://\${b}/data.csv`, { b: `${other}/x` });
    expect(moved[0]).toMatchObject({ code: 'invalid_param', message: expect.stringContaining(`param 'b' = "${other}/x" in the bucket of`) });
  }, 30_000);
});

describe('sink.s3: a param value never turns the object into a folder', () => {
  function sinkDoc(url: string, extra: Record<string, unknown> = {}) {
    return pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: "SELECT 1 AS id, 'x' AS v" } },
        { id: 'dst', type: 'sink.s3', params: { connection: 'lake', url, format: 'csv', ...extra } },
      ],
      ['src -> dst'],
      { connections: { lake: { type: 's3' } }, params: { name: { type: 'string' } } },
    );
  }
  const validate = async (url: string, name: string, extra: Record<string, unknown> = {}) => (await inspect({ pipeline: sinkDoc(url, extra), baseDir: dir, params: { name }, connections })).problems;
  const run = (url: string, name: string, extra: Record<string, unknown> = {}) => runPipeline({ pipeline: sinkDoc(url, extra), baseDir: dir, params: { name }, connections });

  it('name=again/ is refused at validate and the run writes nothing (the key would be the folder marker exports/again/)', async () => {
    const url = `s3://${bucket}/exports-a/\${name}`;
    const problems = await validate(url, 'again/');
    expect(problems).toEqual([
      expect.objectContaining({
        code: 'invalid_param',
        path: 'nodes[1].params.url',
        message: expect.stringContaining(`param 'name' = "again/" ends the key with /, which would turn the URL "${url}" from one object into the prefix s3://${bucket}/exports-a/again/`),
        hint: expect.stringContaining('a URL ending in / is a prefix, which needs partition_by'),
      }),
    ]);
    const summary = await run(url, 'again/');
    expect(summary.status).toBe('failed');
    expect(await keys('exports-a/')).toEqual([]);
  }, 30_000);

  it('an empty name is refused at validate, also for a URL that would become the bucket itself', async () => {
    for (const [url, extra] of [[`s3://${bucket}/exports-b/\${name}`, {}], [`s3://${bucket}/\${name}`, { if_exists: 'overwrite' }]] as const) {
      const problems = await validate(url, '', extra);
      expect(problems).toEqual([expect.objectContaining({ code: 'invalid_param', path: 'nodes[1].params.url', message: `node 'dst': param 'name' is empty, so the URL "${url}" would silently become another URL` })]);
      expect((await run(url, '', extra)).status).toBe('failed');
    }
    expect(await keys('exports-b')).toEqual([]);
  }, 30_000);

  it('a name with / writes that object under the folder', async () => {
    const summary = await run(`s3://${bucket}/exports-c/\${name}`, 'daily/orders.csv');
    expect(summary.status).toBe('succeeded');
    expect(await keys('exports-c/')).toEqual(['exports-c/daily/orders.csv']);
  }, 30_000);
});

describe('source.s3: keys with . and .. parts, and hidden objects, under a prefix', () => {
  it('a prefix read takes keys with a .. or . folder part, as a glob does', async () => {
    for (const k of ['odd/a.csv', 'odd/dots/../up.csv', 'odd/./here.csv']) await put(k, `id,secret\n1,${k}\n`);
    const prefix = await read(`s3://${bucket}/odd/`, {});
    const glob = await read(`s3://${bucket}/odd/**/*.csv`, {});
    expect(prefix.secrets).toEqual(['odd/./here.csv', 'odd/a.csv', 'odd/dots/../up.csv']);
    expect(glob.secrets).toEqual(prefix.secrets);
    expect(prefix.warnings).toEqual([]);
  }, 30_000);

  it('hidden objects skipped by a prefix read are named in a warning (count and examples); _SUCCESS goes unmentioned', async () => {
    for (const k of ['hid/a.csv', 'hid/_SUCCESS', 'hid/.a.csv.crc', 'hid/_temporary/0/part.csv']) await put(k, k === 'hid/_SUCCESS' ? '' : 'id,secret\n1,x\n');
    const r = await read(`s3://${bucket}/hid/`, {});
    expect(r.secrets).toEqual(['x']);
    expect(r.warnings).toEqual([
      `node 'src': skipped 2 hidden objects under s3://${bucket}/hid/, whose name or folder starts with _ or . (Hive and Spark's markers and temporary files): s3://${bucket}/hid/.a.csv.crc, s3://${bucket}/hid/_temporary/0/part.csv; a glob such as s3://${bucket}/hid/** reads them`,
    ]);
  }, 30_000);

  it('a prefix holding only hidden objects says so when nothing matches', async () => {
    await put('only-hidden/_part.csv', 'id\n1\n');
    const r = await read(`s3://${bucket}/only-hidden/`, {});
    expect(r.error).toContain(`no object matches s3://${bucket}/only-hidden/ (only 1 hidden object whose name or folder starts with _ or ., such as s3://${bucket}/only-hidden/_part.csv, which a prefix read skips)`);
  }, 30_000);
});
