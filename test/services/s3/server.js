/**
 * A local S3-protocol server for tests, benches and the example pipelines: s3rver (from npm) on
 * 127.0.0.1 with objects in a folder, behind a request log (method, bucket/key path, Range).
 * Clients need path-style URLs and checksums only when required (see connectors/s3/client.ts).
 *
 *   node test/services/s3/server.js [--port 4811] [--dir ~/.cache/caudal-s3rver] [--bucket caudal-demo]
 * Credentials: any access key id with secret "S3RVER" (s3rver's default); the examples use
 * access key id "S3RVER".
 */
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { mkdir, rm } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import S3rver from 's3rver';

export const S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/**
 * Starts s3rver in `dir` with `buckets` created; returns { endpoint, port, log, close() }. Without
 * `dir` the objects go to a new temp folder, which close() removes.
 */
export async function startS3({ dir, port = 0, buckets = [] } = {}) {
  const folder = dir ?? path.join(os.tmpdir(), `caudal-s3rver-${process.pid}-${Date.now()}`);
  await mkdir(folder, { recursive: true });
  const s3 = new S3rver({ directory: folder, silent: true, configureBuckets: buckets.map((name) => ({ name })) });
  await s3.configureBuckets();
  const handle = s3.getMiddleware();
  const log = [];
  const server = http.createServer((req, res) => {
    log.push({ method: req.method, path: decodeURIComponent(req.url.split('?')[0]), query: req.url.split('?')[1] ?? '', range: req.headers.range });
    handle(req, res);
  });
  const sockets = new Set();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  const actual = server.address().port;
  return {
    endpoint: `http://127.0.0.1:${actual}`,
    port: actual,
    directory: folder,
    log,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
      if (!dir) await rm(folder, { recursive: true, force: true });
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { port: { type: 'string', default: '4811' }, dir: { type: 'string' }, bucket: { type: 'string', multiple: true, default: ['caudal-demo'] } } });
  const dir = values.dir ?? path.join(os.homedir(), '.cache', 'caudal-s3rver');
  const s3 = await startS3({ dir, port: Number(values.port), buckets: values.bucket });
  console.log(`S3 server on ${s3.endpoint} (objects in ${dir}; buckets ${values.bucket.join(', ')}); Ctrl-C stops it`);
}
