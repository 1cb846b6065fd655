import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { runPipeline } from '../core/src/engine/engine.js';
import { s3Client } from '../core/src/connectors/s3/client.js';
import { mirrorConflict, mirrorPath, renamedPartitionFolder } from '../core/src/connectors/s3/location.js';
import { listObjects } from '../core/src/connectors/s3/objects.js';
import type { ResolvedConnection } from '../core/src/nodes/define.js';
import { afterFile } from './support/cleanup.js';
import { pipeline, tempDir } from './support/pipeline.js';
import { connectTo, SERVICES } from './support/services.js';

/**
 * source.s3 against keys a local file system cannot hold as they are: a part longer than the 255
 * bytes of a file name (S3 allows 1,024 for the whole key), and empty, '.' or '..' parts. Every
 * such object is read, and the file-name and rejects columns show its real s3:// URL.
 */
const real = { region: 'us-east-1', endpoint: SERVICES.motoUrl, force_path_style: true, access_key_id: 'caudal-test', secret_access_key: 'caudal-keys-secret' };
const client = s3Client(real);
afterFile(() => client.destroy());
const bucket = `caudal-s3keys-${Date.now().toString(36)}`;
await connectTo('moto', SERVICES.motoUrl, () => client.send(new CreateBucketCommand({ Bucket: bucket })));
afterFile(async () => {
  for (const o of await listObjects(client, bucket, '')) await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: o.key }));
  await client.send(new DeleteBucketCommand({ Bucket: bucket }));
});
const dir = await tempDir('caudal-s3keys-');
process.env.CAUDAL_CACHE_DIR = path.join(dir, 'cache');

const put = (key: string, body: string) => client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
const connections: Record<string, ResolvedConnection> = { lake: { name: 'lake', type: 's3', config: real } };
const url = (key: string) => `s3://${bucket}/${key}`;

/** Runs source.s3 -> sink.json (and its rejects -> a second sink.json); the rows written, or undefined. */
async function read(objects: string, params: object = {}) {
  const out = path.join(dir, `out-${Math.random().toString(36).slice(2)}.json`);
  const bad = `${out}.rejects.json`;
  const doc = pipeline(
    [
      { id: 'src', type: 'source.s3', params: { connection: 'lake', url: objects, ...params } },
      { id: 'dst', type: 'sink.json', params: { path: out, format: 'array' } },
      { id: 'bad', type: 'sink.json', params: { path: bad, format: 'array' } },
    ],
    ['src -> dst', 'src:rejects -> bad'],
    { connections: { lake: { type: 's3' } } },
  );
  const summary = await runPipeline({ pipeline: doc, baseDir: dir, connections });
  const json = (file: string) => readFile(file, 'utf8').then((t) => JSON.parse(t) as Array<Record<string, unknown>>, () => undefined);
  return { summary, rows: await json(out), rejects: await json(bad) };
}

const byId = (rows: Array<Record<string, unknown>> | undefined) => [...(rows ?? [])].sort((a, b) => Number(a.id) - Number(b.id));

describe('source.s3: keys whose parts a local file name cannot hold', () => {
  const longName = `${'n'.repeat(300)}.csv`;
  // Two names alike in their first 250 bytes: shortened local names must still differ.
  const twinA = `${'t'.repeat(250)}-a.csv`;
  const twinB = `${'t'.repeat(250)}-b.csv`;
  const longFolder = `${'f'.repeat(300)}/part.csv`;

  it('reads an object whose file name is longer than 255 bytes, and names it by its real URL', async () => {
    await put(`long/${longName}`, 'id,v\n1,a\n');
    await put(`long/${twinA}`, 'id,v\n2,b\n');
    await put(`long/${twinB}`, 'id,v\n3,c\n');
    await put(`long/${longFolder}`, 'id,v\n4,d\n');
    const r = await read(url('long/'), { csv: { filename_column: 'object' } });
    expect(r.summary.error).toBeUndefined();
    expect(byId(r.rows)).toEqual([
      { id: 1, v: 'a', object: url(`long/${longName}`) },
      { id: 2, v: 'b', object: url(`long/${twinA}`) },
      { id: 3, v: 'c', object: url(`long/${twinB}`) },
      { id: 4, v: 'd', object: url(`long/${longFolder}`) },
    ]);
  });

  it('reads one such object named by its key, and a compressed one (its .csv.gz extension kept)', async () => {
    const { gzipSync } = await import('node:zlib');
    const key = `one/${'g'.repeat(280)}.csv.gz`;
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: gzipSync('id,v\n7,z\n') }));
    const r = await read(url(key), { csv: { filename_column: 'object' } });
    expect(r.summary.error).toBeUndefined();
    expect(r.rows).toEqual([{ id: 7, v: 'z', object: url(key) }]);
  });

  it('reads an object whose extension alone is longer than a file name (format csv): its sample in the cache gets a name the disk takes', async () => {
    const key = `ext/data.${'e'.repeat(280)}`;
    await put(key, 'id,v\n8,y\n');
    const r = await read(url(key), { format: 'csv', csv: { filename_column: 'object' } });
    expect(r.summary.error).toBeUndefined();
    expect(r.rows).toEqual([{ id: 8, v: 'y', object: url(key) }]);
  });

  it("a rejected row of such an object names the object's real URL in the rejects' file column", async () => {
    const key = `rej/${'r'.repeat(300)}.csv`;
    await put(key, 'id,v\n1,a\n2,b,extra\n3,c\n4,d\n');
    const r = await read(url(key), { csv: { on_error: 'reject', delimiter: ',', header: true } });
    expect(r.summary.error).toBeUndefined();
    expect(byId(r.rows)).toEqual([{ id: 1, v: 'a' }, { id: 3, v: 'c' }, { id: 4, v: 'd' }]);
    expect(r.rejects).toHaveLength(1);
    expect(r.rejects![0]!.file).toBe(url(key));
  });

  it("a later object's bad value or header, in a renamed copy, is named by the object's real URL", async () => {
    const bad = `counts/${'v'.repeat(300)}.csv`;
    await put('counts/a.csv', 'id\n1\n');
    await put(bad, 'id\n2.5\n');
    const value = await read(url('counts/'));
    expect(value.summary.error?.message).toContain(`column "id" of ${url(bad)}: '2.5' is not a whole number of type BIGINT`);
    expect(value.rows).toBeUndefined();
    const odd = 'people/x//b.csv';
    await put('people/a.csv', 'first,last\nAda,Lovelace\n');
    await put(odd, 'last,first\nHopper,Grace\n');
    const header = await read(url('people/**'));
    expect(header.summary.error?.message).toContain(`${url(odd)} does not have the columns of ${url('people/a.csv')}`);
  });

  it('names objects with empty parts in their keys by their real URLs, not their escaped local names', async () => {
    await put('odd/a//b.csv', 'id,v\n1,a\n');
    await put('odd/c.csv', 'id,v\n2,b\n');
    await put('odd/p/../d.csv', 'id,v\n3,c\n');
    await put('odd/./e.csv', 'id,v\n4,d\n');
    const r = await read(url('odd/**/*.csv'), { csv: { filename_column: 'object' } });
    expect(r.summary.error).toBeUndefined();
    expect(byId(r.rows)).toEqual([
      { id: 1, v: 'a', object: url('odd/a//b.csv') },
      { id: 2, v: 'b', object: url('odd/c.csv') },
      { id: 3, v: 'c', object: url('odd/p/../d.csv') },
      { id: 4, v: 'd', object: url('odd/./e.csv') },
    ]);
    const one = await read(url('odd/p/../d.csv'), { csv: { filename_column: 'object' } });
    expect(one.rows).toEqual([{ id: 3, v: 'c', object: url('odd/p/../d.csv') }]);
  });

  it('a partition folder (key=value) too long for a local name is refused naming the object and hive_partitioning; without partitions it is read', async () => {
    const key = `hive/country=${'x'.repeat(300)}/part.csv`;
    await put(key, 'id,v\n1,a\n');
    const refused = await read(url('hive/'));
    expect(refused.summary.error?.message).toContain(url(key));
    expect(refused.summary.error?.message).toContain('hive_partitioning');
    expect(JSON.stringify(refused.summary.error)).toContain('params.csv.hive_partitioning');
    expect(refused.rows).toBeUndefined();
    const plain = await read(url('hive/'), { csv: { hive_partitioning: false, filename_column: 'object' } });
    expect(plain.summary.error).toBeUndefined();
    expect(plain.rows).toEqual([{ id: 1, v: 'a', object: url(key) }]);
  });
});

describe('mirrorPath and mirrorConflict', () => {
  it('gives every part at most 200 bytes (room for a download\'s temp suffix), cut on a character, extension kept', () => {
    const key = `a/${'é'.repeat(200)}/${'ü'.repeat(200)}.parquet`;
    const parts = path.relative('/m/b', mirrorPath('/m', 'b', key)).split(path.sep);
    expect(parts[0]).toBe('a');
    for (const p of parts) expect(Buffer.byteLength(p)).toBeLessThanOrEqual(200);
    expect(parts[2]).toMatch(/\.parquet$/);
    expect(parts.join('')).not.toContain('\uFFFD');
  });

  it("on Windows, a key's backslashes, drive colons, device names and trailing dots stay inside the mirror, in one file each", () => {
    const root = 'C:\\mirror';
    for (const key of ['x/..\\..\\..\\Users\\me\\evil.csv', 'x/C:\\evil.csv', 'x/con.csv', 'x/a.', 'x/a|b?.csv']) {
      const local = mirrorPath(root, 'b', key, path.win32);
      expect(local.startsWith(`${root}\\b\\x\\`), local).toBe(true);
      expect(local.slice(`${root}\\b\\x\\`.length)).toMatch(/^[^\\:*?"<>|]+~[0-9a-f]{16}(\.csv)?$/);
    }
    expect(mirrorPath(root, 'b', 'sales/country=ES/part-0.csv', path.win32)).toBe('C:\\mirror\\b\\sales\\country=ES\\part-0.csv');
    expect(renamedPartitionFolder('t/hour=2025-01-01T10:00/p.csv', path.win32)).toBe('hour=2025-01-01T10:00');
    expect(renamedPartitionFolder('t/hour=2025-01-01T10:00/p.csv', path.posix)).toBeUndefined();
  });

  it('on a mirror that ignores letter case, two keys that differ only in case are a conflict (one copy would replace the other)', () => {
    expect(mirrorConflict('b', ['d/Sales.csv', 'd/sales.csv'])).toBeUndefined();
    expect(mirrorConflict('b', ['d/Sales.csv', 'd/sales.csv'], { ignoreCase: true })).toMatchObject({ kind: 'same' });
    expect(mirrorConflict('b', ['D/x.csv', 'd/y.csv'], { ignoreCase: true })).toBeUndefined();
    expect(mirrorConflict('b', ['D.csv', 'd.csv/y.csv'], { ignoreCase: true })).toMatchObject({ kind: 'folder' });
  });
});
