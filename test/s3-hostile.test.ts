import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { inspect, runPipeline } from '../core/src/engine/engine.js';
import { s3Client } from '../core/src/connectors/s3/client.js';
import { listObjects } from '../core/src/connectors/s3/objects.js';
import type { ResolvedConnection } from '../core/src/nodes/define.js';
import { cleanUp } from '../core/src/engine/commit/clean.js';
import { listJournals } from '../core/src/engine/commit/journal.js';
import { afterFile } from './support/cleanup.js';
import { pipeline, tempDir } from './support/pipeline.js';
import { hostileS3, listPage, sendXml, type Misbehaviour } from './support/s3-hostile-server.js';
import { connectTo, SERVICES } from './support/services.js';

/**
 * source.s3 and sink.s3 against an S3 endpoint that misbehaves on purpose: a node:http server in
 * front of moto that answers some requests itself (endless or cut listings, short or changed
 * bodies, refused copies, silence) and passes the others on.
 */
const real = { region: 'us-east-1', endpoint: SERVICES.motoUrl, force_path_style: true, access_key_id: 'caudal-test', secret_access_key: 'caudal-hostile-secret' };
const client = s3Client(real);
afterFile(() => client.destroy());
const bucket = `caudal-hostile-${Date.now().toString(36)}`;
await connectTo('moto', SERVICES.motoUrl, () => client.send(new CreateBucketCommand({ Bucket: bucket })));
afterFile(async () => {
  for (const o of await listObjects(client, bucket, '')) await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: o.key }));
  await client.send(new DeleteBucketCommand({ Bucket: bucket }));
});
const dir = await tempDir('caudal-s3-hostile-');
process.env.CAUDAL_CACHE_DIR = path.join(dir, 'cache');

const put = (key: string, body: string) => client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
const text = async (key: string) => (await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString();
const keys = async (prefix: string) => (await listObjects(client, bucket, prefix)).map((o) => o.key);

async function through(misbehave: Misbehaviour) {
  const server = await hostileS3(SERVICES.motoUrl, misbehave);
  const connections: Record<string, ResolvedConnection> = { lake: { name: 'lake', type: 's3', config: { ...real, endpoint: server.endpoint } } };
  return { ...server, connections };
}

const readInto = (url: string, out: string) =>
  pipeline(
    [
      { id: 'src', type: 'source.s3', params: { connection: 'lake', url } },
      { id: 'dst', type: 'sink.json', params: { path: out, format: 'array' } },
    ],
    ['src -> dst'],
    { connections: { lake: { type: 's3' } } },
  );

const isList = (r: { method: string; query: URLSearchParams }) => r.method === 'GET' && r.query.get('list-type') === '2';

describe('source.s3 against a hostile listing', () => {
  it('a listing that hands back the same continuation token forever stops with an error instead of listing forever', async () => {
    const s = await through((r, res) => isList(r) && sendXml(res, 200, listPage(bucket, [{ key: `loop/${r.query.get('continuation-token') ?? 'a'}.csv`, size: 10 }], { truncated: true, next: 'same-token' })));
    const { problems } = await inspect({ pipeline: readInto(`s3://${bucket}/loop/`, path.join(dir, 'loop.json')), baseDir: dir, connections: s.connections });
    expect(problems).toEqual([expect.objectContaining({ path: 'nodes[0].params.url' })]);
    expect(problems[0]!.message).toMatch(/continuation token .*same-token.* again/);
    expect(s.seen.filter(isList).length).toBeLessThan(5);
  }, 20_000);

  it('a listing that says it is truncated but gives no token to go on is an error, not a silently shorter read', async () => {
    const s = await through((r, res) => isList(r) && sendXml(res, 200, listPage(bucket, [{ key: 'cut/a.csv', size: 10 }], { truncated: true })));
    const { problems } = await inspect({ pipeline: readInto(`s3://${bucket}/cut/`, path.join(dir, 'cut.json')), baseDir: dir, connections: s.connections });
    expect(problems).toEqual([expect.objectContaining({ path: 'nodes[0].params.url' })]);
    expect(problems[0]!.message).toMatch(/truncated.*no continuation token/);
  }, 20_000);
});

describe('source.s3 against hostile object reads', () => {
  it('an object whose body ends early (a 200 with fewer bytes than listed) fails the run naming the object; no rows are lost silently', async () => {
    await put('short/a.csv', 'id\n1\n2\n');
    await put('short/b.csv', 'id\n3\n4\n5\n6\n');
    // A proxy that cuts b.csv after its first line, sending it chunked so no Content-Length gives it away.
    const s = await through((r, res) => {
      if (r.method !== 'GET' || r.key !== 'short/b.csv') return false;
      res.writeHead(200, { 'content-type': 'text/csv', etag: r.headers['if-match'] ?? '"x"', 'transfer-encoding': 'chunked' });
      res.end('id\n3\n');
      return true;
    });
    const out = path.join(dir, 'short.json');
    const summary = await runPipeline({ pipeline: readInto(`s3://${bucket}/short/`, out), baseDir: dir, connections: s.connections });
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toContain(`s3://${bucket}/short/b.csv`);
    expect(summary.error?.message).toMatch(/5 bytes of 11/);
    await expect(readFile(out)).rejects.toThrow(/ENOENT/);
  }, 30_000);

  it('an object that changed after the listing, from a server that ignores If-Match, fails the run instead of mixing versions', async () => {
    await put('changed/a.csv', 'id\n1\n');
    await put('changed/b.csv', 'id\n2\n');
    const s = await through((r, res) => {
      if (r.method !== 'GET' || r.key !== 'changed/b.csv') return false;
      const body = 'id\n9\n';
      res.writeHead(200, { 'content-type': 'text/csv', etag: '"0123456789abcdef0123456789abcdef"', 'content-length': body.length });
      res.end(body);
      return true;
    });
    const out = path.join(dir, 'changed.json');
    const summary = await runPipeline({ pipeline: readInto(`s3://${bucket}/changed/`, out), baseDir: dir, connections: s.connections });
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toContain(`s3://${bucket}/changed/b.csv`);
    expect(summary.error?.message).toMatch(/changed since it was listed/);
    await expect(readFile(out)).rejects.toThrow(/ENOENT/);
  }, 30_000);
});

describe('source.s3 over hostile object names (on moto itself)', () => {
  it("keys that one local copy would hold for both (an empty part, '//', and the name it is escaped to) fail the run naming both, instead of dropping one object's rows", async () => {
    await put('names//x.csv', 'id\n1\n');
    await put('names/%_/x.csv', 'id\n2\n');
    const out = path.join(dir, 'names.json');
    const summary = await runPipeline({ pipeline: readInto(`s3://${bucket}/names/`, out), baseDir: dir, connections: { lake: { name: 'lake', type: 's3', config: real } } });
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toContain(`s3://${bucket}/names//x.csv`);
    expect(summary.error?.message).toContain(`s3://${bucket}/names/%_/x.csv`);
    await expect(readFile(out)).rejects.toThrow(/ENOENT/);
  }, 30_000);

  it('an object that is also the folder of others is refused with both names and what to do, not a local mkdir error', async () => {
    await put('both/a.csv', 'id\n1\n');
    await put('both/a.csv/b.csv', 'id\n2\n');
    const { problems } = await inspect({ pipeline: readInto(`s3://${bucket}/both/`, path.join(dir, 'both.json')), baseDir: dir, connections: { lake: { name: 'lake', type: 's3', config: real } } });
    expect(problems).toEqual([expect.objectContaining({ path: 'nodes[0].params.url', message: `node 'src': s3://${bucket}/both/a.csv is an object and also the folder of s3://${bucket}/both/a.csv/b.csv; the two cannot be read together` })]);
    expect(problems[0]!.hint).toMatch(/narrow the URL/);
  }, 30_000);
});

describe('sink.s3 against a server that refuses copies midway through the commit', () => {
  it('when the copy into place and the restore both fail, the replaced objects are kept (not deleted with the staging) and the error says where', async () => {
    await put('lake/orders/country=ES/data_0.parquet', 'old ES');
    await put('lake/orders/country=FR/data_0.parquet', 'old FR');
    let intoTarget = 0;
    let refusing = true;
    const s = await through((r, res) => {
      // CopyObject into the target (not the staging prefix): the first passes, every later one is refused.
      if (!refusing || r.method !== 'PUT' || !r.headers['x-amz-copy-source'] || !r.key.startsWith('lake/orders/country=')) return false;
      if (intoTarget++ === 0) return false;
      return sendXml(res, 403, '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>copy refused</Message></Error>');
    });
    const input = path.join(dir, 'orders.csv');
    await writeFile(input, 'id,country\n1,ES\n2,FR\n');
    const d = pipeline(
      [
        { id: 'src', type: 'source.csv', params: { path: input } },
        { id: 'dst', type: 'sink.s3', params: { connection: 'lake', url: `s3://${bucket}/lake/orders/`, partition_by: ['country'], if_exists: 'overwrite', staging_prefix: 'lake/.staging/' } },
      ],
      ['src -> dst'],
      { connections: { lake: { type: 's3' } } },
    );
    const summary = await runPipeline({ pipeline: d, baseDir: dir, connections: s.connections });
    expect(summary.status).toBe('failed');
    const message = summary.error?.message ?? '';
    // ES was replaced and could not be put back: its old bytes must still exist somewhere the error names.
    expect(await text('lake/orders/country=FR/data_0.parquet')).toBe('old FR');
    const kept = (await keys('lake/.staging/')).filter((k) => k.includes('/old/'));
    expect(kept.map((k) => k.slice(k.indexOf('/old/')))).toEqual(['/old/country=ES/data_0.parquet', '/old/country=FR/data_0.parquet']);
    expect(await text(kept[0]!)).toBe('old ES');
    expect(message).toMatch(/could not be put back/);
    expect(message).toContain(`s3://${bucket}/${kept[0]!.slice(0, kept[0]!.indexOf('/old/') + 5)}`);
    expect(message).not.toContain(real.secret_access_key);
    expect(summary.error?.hint).toMatch(/the next run of any pipeline or `caudal clean` puts them back/);

    // The run is over, but its journal stays, marked for rollback and given up by the run: once the
    // server accepts copies again, `caudal clean` (or the next run) puts the old objects back.
    const left = (await listJournals()).flatMap((f) => (f.journal?.runId === summary.runId ? [f.journal] : []));
    expect(left).toEqual([expect.objectContaining({ abandoned: true, phase: 'committing', sinks: [expect.objectContaining({ kind: 'external', nodeId: 'dst' })] })]);
    expect(left[0]!.decision).toBeUndefined();
    // Through the same endpoint: recovery acts only through a connection to the store the write was on.
    refusing = false;
    const report = await cleanUp({ fix: true, connection: async (name) => s.connections[name], baseDir: dir });
    expect(report.recovered.filter((r) => r.runId === summary.runId)).toEqual([expect.objectContaining({ action: 'rolled back', abandoned: true, pending: [] })]);
    expect(await text('lake/orders/country=ES/data_0.parquet')).toBe('old ES');
    expect(await text('lake/orders/country=FR/data_0.parquet')).toBe('old FR');
    expect(await keys('lake/.staging/')).toEqual([]);
    expect((await listJournals()).filter((f) => f.journal?.runId === summary.runId)).toEqual([]);
  }, 60_000);
});
