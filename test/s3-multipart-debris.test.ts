import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { s3Client } from '../core/src/connectors/s3/client.js';
import { getBytes, listObjects } from '../core/src/connectors/s3/objects.js';
import { sweepDeadStaging } from '../core/src/connectors/s3/write.js';
import { ownerTag, self } from '../core/src/util/owner.js';
import { afterFile } from './support/cleanup.js';
import { caudal, startCaudal } from './support/cli.js';
import { tempDir } from './support/pipeline.js';
import { connectTo, SERVICES } from './support/services.js';

/**
 * A run killed (kill -9) while sink.s3 uploads in parts leaves an incomplete multipart upload under
 * its staging prefix: no object listing shows it, and S3 keeps its parts until it is aborted. Against
 * moto's S3 server (`test/services/up.sh moto`), which lists multipart uploads; the in-process s3rver
 * of the other S3 suites cannot.
 */
const config = { region: 'us-east-1', endpoint: SERVICES.motoUrl, force_path_style: true, access_key_id: 'caudal-test', secret_access_key: 'caudal-test-secret' };
const client = s3Client(config);
afterFile(() => client.destroy());
const bucket = `caudal-debris-${Date.now().toString(36)}`;
await connectTo('moto', SERVICES.motoUrl, () => client.send(new CreateBucketCommand({ Bucket: bucket })));
afterFile(async () => {
  for (const u of await uploads('')) await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.key, UploadId: u.id }));
  for (const o of await listObjects(client, bucket, '')) await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: o.key }));
  await client.send(new DeleteBucketCommand({ Bucket: bucket }));
});
const root = await tempDir('caudal-s3-debris-');

async function uploads(prefix: string): Promise<Array<{ key: string; id: string }>> {
  const r = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }));
  return (r.Uploads ?? []).map((u) => ({ key: u.Key!, id: u.UploadId! })).sort((a, b) => (a.key < b.key ? -1 : 1));
}
const uploadKeys = async (prefix: string) => (await uploads(prefix)).map((u) => u.key);

/** A pid that no process has now (one that just exited), as a killed run's owner tag names it. */
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;

describe('sink.s3: incomplete multipart uploads of killed runs', () => {
  it('the staging sweep aborts the uploads of a run whose process is gone and keeps those of a live one', async () => {
    const staging = 'sweep/.caudal-staging/';
    const dead = `${staging}r1-${ownerTag({ host: self.host, pid: deadPid() })}-dst/new/object`;
    const live = `${staging}r2-${ownerTag()}-dst/new/object`;
    for (const key of [dead, live]) {
      const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
      await client.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 1, Body: 'the first part' }));
    }
    expect(await listObjects(client, bucket, staging)).toEqual([]);
    expect(await uploadKeys(staging)).toEqual([dead, live]);

    expect(await sweepDeadStaging(client, bucket, staging)).toEqual([`${dead} (incomplete multipart upload)`]);
    expect(await uploadKeys(staging)).toEqual([live]);
    for (const u of await uploads(staging)) await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.key, UploadId: u.id }));
  });

  it('kill -9 during a multipart upload: the next run aborts the upload it left and writes the object whole', async () => {
    const dir = path.join(root, 'killed');
    await mkdir(dir, { recursive: true });
    const rows = 1_200_000;
    // About 70 MB of CSV: fourteen parts of the smallest part size the sink allows (5 MB).
    const query = `SELECT i AS id, repeat('x', 50) AS pad FROM range(${rows}) t(i)`;
    await writeFile(path.join(dir, 'caudal.connections.json'), JSON.stringify({ format: 'caudal.connections/1', connections: { lake: { type: 's3', region: config.region, endpoint: config.endpoint, force_path_style: true, access_key_id: config.access_key_id } } }));
    await writeFile(
      path.join(dir, 'pipeline.json'),
      JSON.stringify({
        format: 'caudal.pipeline/1',
        name: 'killed',
        params: {},
        connections: { lake: { type: 's3' } },
        nodes: [
          { id: 'src', type: 'transform.sql', params: { query } },
          { id: 'dst', type: 'sink.s3', params: { connection: 'lake', url: `s3://${bucket}/exports/big.csv`, part_size_mb: 5 } },
        ],
        edges: [{ from: 'src:out', to: 'dst:in' }],
      }),
    );
    const env = {
      CAUDAL_RUNTIME_DIR: path.join(dir, 'runtime'),
      CAUDAL_CONFIG_DIR: path.join(dir, 'config'),
      CAUDAL_CACHE_DIR: path.join(dir, 'cache'),
      CAUDAL_SECRET_LAKE_SECRET_ACCESS_KEY: config.secret_access_key,
    };

    const killed = startCaudal(['run', 'pipeline.json', '-q'], { cwd: dir, env });
    let ended = false;
    void killed.result.then(() => (ended = true));
    while (!ended && (await uploads('.caudal-staging/')).length === 0) await new Promise((r) => setTimeout(r, 20));
    killed.child.kill('SIGKILL');
    expect((await killed.result).signal).toBe('SIGKILL');
    // The kill came while the parts were uploading: the upload stays, invisible to object listings.
    const left = await uploadKeys('.caudal-staging/');
    expect(left).toHaveLength(1);
    expect(left[0]).toMatch(/^\.caudal-staging\/[A-Za-z0-9]+-h[0-9a-f]{4}p\d+-dst\/new\/object$/);
    expect(await listObjects(client, bucket, '')).toEqual([]);

    // No journal names the upload yet: doctor lists it from the pipeline's bucket, clean aborts it.
    const doctor = await caudal(['doctor', 'pipeline.json'], { cwd: dir, env });
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toContain(`leftover  staged by a killed run: s3://${bucket}/${left[0]} (incomplete multipart upload) (node 'dst')`);
    const clean = await caudal(['clean', 'pipeline.json'], { cwd: dir, env });
    expect(clean.code, clean.stdout + clean.stderr).toBe(0);
    expect(clean.stdout).toContain(`removed   staged by a killed run: s3://${bucket}/${left[0]} (incomplete multipart upload)`);
    expect(await uploads('')).toEqual([]);

    const again = await caudal(['run', 'pipeline.json', '-q'], { cwd: dir, env });
    expect(again.code, again.stderr).toBe(0);
    expect(await uploads('')).toEqual([]);
    expect((await listObjects(client, bucket, '')).map((o) => o.key)).toEqual(['exports/big.csv']);
    const file = path.join(dir, 'big.csv');
    await writeFile(file, await getBytes(client, bucket, 'exports/big.csv'));
    expect((await client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'exports/big.csv' }))).ContentLength).toBeGreaterThan(10 * 5 * 1024 * 1024);
    const db = await DuckDBInstance.create(':memory:');
    try {
      const got = (await (await db.connect()).runAndReadAll(`SELECT count(*) AS n, sum(id) AS s, min(pad) = max(pad) AS same FROM read_csv('${file}')`)).getRowObjectsJson();
      expect(got[0]).toEqual({ n: String(rows), s: String((rows * (rows - 1)) / 2), same: true });
    } finally {
      db.closeSync();
    }
  }, 180_000);
});
