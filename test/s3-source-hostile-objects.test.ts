import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { runPipeline } from '../core/src/engine/engine.js';
import { s3Client } from '../core/src/connectors/s3/client.js';
import { listObjects } from '../core/src/connectors/s3/objects.js';
import type { ResolvedConnection } from '../core/src/nodes/define.js';
import { afterFile } from './support/cleanup.js';
import { pipeline, tempDir } from './support/pipeline.js';
import { hostileS3, type Misbehaviour } from './support/s3-hostile-server.js';
import { connectTo, SERVICES } from './support/services.js';

/**
 * source.s3 against objects a user or another writer makes hostile, on moto itself: objects deleted
 * or replaced between the listing and the download (a proxy in front of moto does it at the moment
 * of the GET), empty objects, and objects that are not what their name says.
 */
const real = { region: 'us-east-1', endpoint: SERVICES.motoUrl, force_path_style: true, access_key_id: 'caudal-test', secret_access_key: 'caudal-objects-secret' };
const client = s3Client(real);
afterFile(() => client.destroy());
const bucket = `caudal-src-hostile-${Date.now().toString(36)}`;
await connectTo('moto', SERVICES.motoUrl, () => client.send(new CreateBucketCommand({ Bucket: bucket })));
afterFile(async () => {
  for (const o of await listObjects(client, bucket, '')) await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: o.key }));
  await client.send(new DeleteBucketCommand({ Bucket: bucket }));
});
const dir = await tempDir('caudal-s3-source-hostile-');
process.env.CAUDAL_CACHE_DIR = path.join(dir, 'cache');

const put = (key: string, body: string) => client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
const connections = (endpoint = SERVICES.motoUrl): Record<string, ResolvedConnection> => ({ lake: { name: 'lake', type: 's3', config: { ...real, endpoint } } });

/** Runs source.s3 -> sink.json; the rows written, or undefined when nothing was written. */
async function read(url: string, opts: { endpoint?: string; params?: object } = {}) {
  const out = path.join(dir, `out-${Math.random().toString(36).slice(2)}.json`);
  const doc = pipeline(
    [
      { id: 'src', type: 'source.s3', params: { connection: 'lake', url, ...opts.params } },
      { id: 'dst', type: 'sink.json', params: { path: out, format: 'array' } },
    ],
    ['src -> dst'],
    { connections: { lake: { type: 's3' } } },
  );
  const warnings: string[] = [];
  const summary = await runPipeline({ pipeline: doc, baseDir: dir, connections: connections(opts.endpoint), onEvent: (e) => e.type === 'warning' && warnings.push(e.message) });
  const rows = await readFile(out, 'utf8').then((t) => JSON.parse(t) as unknown[], () => undefined);
  return { summary, rows, warnings };
}

/** A proxy in front of moto that runs `act` once, when the whole object `key` is first downloaded (not a planning range read). */
async function onDownload(key: string, act: () => Promise<unknown>) {
  let done = false;
  const misbehave: Misbehaviour = async (r) => {
    if (r.method === 'GET' && r.key === key && !r.headers.range && !done) {
      done = true;
      await act();
    }
    return false;
  };
  return (await hostileS3(SERVICES.motoUrl, misbehave)).endpoint;
}

describe('source.s3: objects that change between the listing and the download', () => {
  it('an object deleted after the listing fails the run naming that object (not only the prefix) and saying it is gone', async () => {
    await put('deleted/a.csv', 'id\n1\n');
    await put('deleted/b.csv', 'id\n2\n');
    const endpoint = await onDownload('deleted/b.csv', () => client.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'deleted/b.csv' })));
    const { summary, rows } = await read(`s3://${bucket}/deleted/`, { endpoint });
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toContain(`s3://${bucket}/deleted/b.csv`);
    expect(summary.error?.message).toMatch(/its download found no such key: it was deleted since the listing/);
    expect(summary.error?.hint).toMatch(/run again/);
    expect(rows).toBeUndefined();
  }, 30_000);

  it('an object replaced after the listing (S3 refuses the If-Match) fails the run naming that object and saying it changed', async () => {
    await put('replaced/a.csv', 'id\n1\n');
    await put('replaced/b.csv', 'id\n2\n');
    const endpoint = await onDownload('replaced/b.csv', () => put('replaced/b.csv', 'id\n3\n4\n'));
    const { summary, rows } = await read(`s3://${bucket}/replaced/`, { endpoint });
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toContain(`s3://${bucket}/replaced/b.csv`);
    expect(summary.error?.message).toMatch(/changed since it was listed/);
    expect(rows).toBeUndefined();
  }, 30_000);
});

describe('source.s3: empty objects', () => {
  it('an empty (0-byte) first CSV object does not make the next object\'s header a row: empty objects are skipped, and the run says so', async () => {
    await put('empty-first/a.csv', '');
    await put('empty-first/b.csv', 'id\n1\n');
    const { summary, rows, warnings } = await read(`s3://${bucket}/empty-first/`);
    expect(summary.status, summary.error?.message).toBe('succeeded');
    expect(rows).toEqual([{ id: 1 }]);
    expect(warnings).toContainEqual(expect.stringContaining(`skipped 1 empty object (0 bytes, no rows): s3://${bucket}/empty-first/a.csv`));
  }, 30_000);

  it('an empty CSV object after the first holds no rows and does not fail the header check', async () => {
    await put('empty-later/a.csv', 'id\n1\n');
    await put('empty-later/b.csv', '');
    const { summary, rows } = await read(`s3://${bucket}/empty-later/`);
    expect(summary.status, summary.error?.message).toBe('succeeded');
    expect(rows).toEqual([{ id: 1 }]);
  }, 30_000);

  it('a URL whose objects are all empty is refused before the run, naming them', async () => {
    await put('all-empty/a.parquet', '');
    const { summary } = await read(`s3://${bucket}/all-empty/a.parquet`);
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toContain(`s3://${bucket}/all-empty/a.parquet is empty (0 bytes)`);
  }, 30_000);
});

describe('source.s3: objects that are not what their name says', () => {
  it('a .parquet object that is not Parquet is named by its s3:// URL, not the run\'s local temp copy', async () => {
    await put('garbage/a.parquet', 'this is text pretending to be a Parquet file');
    const { summary } = await read(`s3://${bucket}/garbage/`);
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toContain(`s3://${bucket}/garbage/a.parquet`);
    expect(summary.error?.message).not.toContain(dir);
    expect(summary.error?.message).not.toMatch(/caudal-run-|src__s3/);
  }, 30_000);

  it('a CSV problem with one of the csv options points at the option under csv (params.csv.max_line_size), where the studio shows it', async () => {
    await put('long-line/a.csv', `id,note\n1,${'x'.repeat(2000)}\n`);
    const { summary } = await read(`s3://${bucket}/long-line/a.csv`, { params: { csv: { max_line_size: 1024 } } });
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toContain(`line 2 of s3://${bucket}/long-line/a.csv is longer than max_line_size`);
    expect(summary.error?.problems?.map((p) => p.path)).toEqual(['nodes[0].params.csv.max_line_size']);
  }, 30_000);
});

describe('source.s3: object names with pattern characters', () => {
  it('a URL naming an object whose name has [ ] is told how to write it (not only "no object matches"), and the escaped URL reads it', async () => {
    await put('brackets/report[2025].csv', 'id\n1\n');
    const plain = await read(`s3://${bucket}/brackets/report[2025].csv`);
    expect(plain.summary.status).toBe('failed');
    expect(plain.summary.error?.message).toMatch(/an object has that name/);
    expect(plain.summary.error?.hint).toContain(`s3://${bucket}/brackets/report[[]2025].csv`);
    const escaped = await read(`s3://${bucket}/brackets/report[[]2025].csv`, { params: { csv: { filename_column: 'f' } } });
    expect(escaped.summary.status, escaped.summary.error?.message).toBe('succeeded');
    expect(escaped.rows).toEqual([{ id: 1, f: `s3://${bucket}/brackets/report[2025].csv` }]);
  }, 30_000);
});

describe('source.s3: a CSV object that does not read', () => {
  // Planning reads a sample of the first object into a local copy that the run's download then
  // replaces: that is how the mirror works, not an object changed under the run.
  it('a bad line deep in the only object gives DuckDB\'s own error naming the object, not "changed while the run read it"', async () => {
    // Larger than the planning sample (a few MB), so the run downloads the whole object.
    const rows = Array.from({ length: 600_000 }, (_, i) => `${i},name${i}`).join('\n');
    await put('bad-deep/big.csv', `id,name\n${rows}\n600000,x,extra\n`);
    const { summary } = await read(`s3://${bucket}/bad-deep/big.csv`);
    expect(summary.status).toBe('failed');
    expect(summary.error!.message).toContain(`s3://${bucket}/bad-deep/big.csv`);
    expect(summary.error!.message).toMatch(/Line: 600002|line 600002/i);
    expect(summary.error!.message).not.toMatch(/changed while the run read it|caudal-run-/);
  }, 30_000);

  it('a bad line in the second object is blamed on that object, not on the unchanged first one', async () => {
    await put('bad-second/a.csv', 'id,name\n1,alpha\n');
    await put('bad-second/b.csv', 'id,name\n2,beta\n3,gamma,extra\n');
    const { summary } = await read(`s3://${bucket}/bad-second/`);
    expect(summary.status).toBe('failed');
    expect(summary.error!.message).toContain(`s3://${bucket}/bad-second/b.csv`);
    expect(summary.error!.message).not.toMatch(/changed while the run read it|a\.csv|caudal-run-/);
  }, 30_000);
});
