import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Db } from '../core/src/compiler/db.js';
import { s3Fields } from '../core/src/connections/s3/s3.connection.js';
import { s3Client } from '../core/src/connectors/s3/client.js';
import { listObjects } from '../core/src/connectors/s3/objects.js';
import { writeS3 } from '../core/src/connectors/s3/write.js';
import type { HookIo } from '../core/src/nodes/define.js';
import { CaudalError } from '../core/src/util/errors.js';
import { afterFile } from './support/cleanup.js';
import { tempDir } from './support/pipeline.js';
import { connectTo, SERVICES } from './support/services.js';

/**
 * sink.s3 uploads a partitioned output several objects at a time, and a cancel (Ctrl-C) must stop
 * all of them. The uploads shared one AbortController, and lib-storage listens with the signal's
 * `onabort` (one handler per signal): only the last upload started heard the cancel, the others
 * went on until their answers came (or the 300 s idle timeout, on a store that stalls), and the run
 * waited for them. Here a proxy in front of the S3 service holds every staged upload unanswered.
 */
const bucket = `caudal-upcancel-${Date.now().toString(36)}`;
const direct = { region: 'us-east-1', endpoint: SERVICES.motoUrl, force_path_style: true, access_key_id: 'caudal-test', secret_access_key: 'caudal-test' };
const moto = s3Client(direct);
afterFile(() => moto.destroy());
await connectTo('moto', SERVICES.motoUrl, () => moto.send(new CreateBucketCommand({ Bucket: bucket })));
afterFile(async () => {
  for (const o of await listObjects(moto, bucket, '')) await moto.send(new DeleteObjectCommand({ Bucket: bucket, Key: o.key }));
  await moto.send(new DeleteBucketCommand({ Bucket: bucket }));
});

/** Forwards every request to the S3 service, except uploads of staged objects, which it never answers. */
const held: http.ServerResponse[] = [];
const upstream = new URL(SERVICES.motoUrl);
const proxy = http.createServer((req, res) => {
  if (req.method === 'PUT' && req.url?.includes('/new/')) {
    held.push(res);
    req.resume();
    return;
  }
  const out = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  out.on('error', () => res.destroy());
  req.pipe(out);
});
await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
afterFile(
  () =>
    new Promise<void>((resolve) => {
      proxy.closeAllConnections();
      proxy.close(() => resolve());
    }),
);
const stalling = { ...direct, endpoint: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` };

let db: Db;
beforeAll(async () => {
  db = await Db.open({ threads: 1 });
});
afterAll(() => db.close());

describe('a cancel while sink.s3 uploads several objects at once', () => {
  it('stops every upload at once, removes the staging, and says the target is unchanged', async () => {
    const local = path.join(await tempDir('caudal-s3-upload-cancel-'), 'out');
    const io: HookIo = { db, isCancelled: () => held.length >= 3, log: () => undefined, progress: () => undefined };
    const t0 = Date.now();
    const failure = await writeS3(
      s3Fields.parse(stalling),
      { bucket, target: 'parts', folder: true, replace: true, stagingRoot: '.caudal-staging/', partSizeMb: 5, uploadConcurrency: 4 },
      local,
      `COPY (SELECT i % 4 AS p, i FROM range(1000) t(i)) TO '${local}' (FORMAT csv, PARTITION_BY (p))`,
      io,
      { nodeId: 'lake', connection: 'lake', runId: '20260101T000000-upload-cancel' },
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    const seconds = (Date.now() - t0) / 1000;
    expect(failure).toBeInstanceOf(CaudalError);
    expect((failure as CaudalError).kind).toBe('cancelled');
    expect((failure as CaudalError).message).toContain(`s3://${bucket}/parts is unchanged`);
    // Four uploads were held unanswered: before the fix three of them waited out the 300 s idle timeout.
    expect(held.length).toBeGreaterThanOrEqual(3);
    expect(seconds).toBeLessThan(60);
    expect(await listObjects(moto, bucket, '')).toEqual([]);
  }, 120_000);
});
