/**
 * bench/s3: MB/s writing and reading a Parquet file of about --mb megabytes (1 GB by default)
 * against an S3-protocol server on loopback (s3rver, test/services/s3/server.js), Caudal side by
 * side with the raw SDK in the same process:
 *   write  caudal: source.parquet (local) → sink.s3 (DuckDB writes a local file, uploaded to
 *          staging, copied into place at commit)   vs  raw: lib-storage Upload of the same local file,
 *          and vs the hand-written equivalent: DuckDB COPY to a local file, then Upload
 *   read   caudal: source.s3 → aggregate (every column) → CSV   vs  raw: GetObject to a file, then
 *          the same aggregate in DuckDB
 * MB/s are the Parquet file's megabytes over the elapsed time.
 *
 *   npm run build && node bench/s3/run.js [--mb 1024] [--reps 1]
 */
import { createReadStream, createWriteStream, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { DuckDBInstance } from '@duckdb/node-api';
import { S3_CREDENTIALS, startS3 } from '../../test/services/s3/server.js';
import { runPipeline } from '../../dist/core/src/engine/engine.js';

const { values } = parseArgs({ options: { mb: { type: 'string', default: '1024' }, reps: { type: 'string', default: '1' } } });
const reps = Number(values.reps);
const work = path.join(os.tmpdir(), 'caudal-bench-s3');
mkdirSync(work, { recursive: true });
const source = path.join(work, `data-${values.mb}mb.parquet`);
// About 41 bytes per row in Parquet (an md5 text does not compress).
const rows = Math.round((Number(values.mb) * 1024 * 1024) / 41);

async function duck(sql) {
  const db = await DuckDBInstance.create(':memory:');
  try {
    return (await (await db.connect()).runAndReadAll(sql)).getRowObjectsJson();
  } finally {
    db.closeSync();
  }
}
if (!existsSync(source)) {
  console.log(`generating ${rows.toLocaleString('en')} rows…`);
  await duck(`COPY (SELECT range AS id, md5(range::VARCHAR) AS h, (range % 1000) AS k FROM range(${rows})) TO '${source}' (FORMAT parquet)`);
}
const mb = statSync(source).size / 1e6;
const s3dir = path.join(work, 's3rver');
rmSync(s3dir, { recursive: true, force: true });
const s3 = await startS3({ dir: s3dir, buckets: ['bench'] });
const client = new S3Client({ region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, credentials: S3_CREDENTIALS, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
const connections = { lake: { name: 'lake', type: 's3', config: { region: 'us-east-1', endpoint: s3.endpoint, force_path_style: true, access_key_id: S3_CREDENTIALS.accessKeyId, secret_access_key: S3_CREDENTIALS.secretAccessKey } } };
const doc = (nodes, edges) => ({ format: 'caudal.pipeline/1', name: 'bench s3', params: {}, connections: { lake: { type: 's3' } }, nodes, edges: edges.map(([from, to]) => ({ from, to })) });
const AGG = `SELECT count(*) AS n, sum(id) AS s, count(DISTINCT k) AS dk, max(h) AS mh`;

async function timed(fn) {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}
/** The sink's own account of its upload, to split the write into encode + upload + copy into place. */
const notes = [];
const caudalWrite = (i) =>
  timed(async () => {
    const s = await runPipeline({
      onEvent: (e) => {
        if (e.type === 'log' && /^(uploaded|downloaded)/.test(e.message)) notes.push(e.message);
      },
      pipeline: doc(
        [
          { id: 'src', type: 'source.parquet', params: { path: source } },
          { id: 'dst', type: 'sink.s3', params: { connection: 'lake', url: `s3://bench/caudal/${i}.parquet` } },
        ],
        [['src:out', 'dst:in']],
      ),
      baseDir: work,
      connections,
    });
    if (s.status !== 'succeeded') throw new Error(JSON.stringify(s.error));
  });
const rawWrite = (i) => timed(() => new Upload({ client, params: { Bucket: 'bench', Key: `raw/${i}.parquet`, Body: createReadStream(source) }, partSize: 16 * 1024 * 1024, queueSize: 4 }).done());
/** What one would write by hand for the same result: DuckDB writes the Parquet (zstd, as the sink does), then the SDK uploads it. */
const handWrite = (i) =>
  timed(async () => {
    const file = path.join(work, `hand-${i}.parquet`);
    await duck(`COPY (SELECT * FROM '${source}') TO '${file}' (FORMAT parquet, COMPRESSION zstd)`);
    await new Upload({ client, params: { Bucket: 'bench', Key: `hand/${i}.parquet`, Body: createReadStream(file) }, partSize: 16 * 1024 * 1024, queueSize: 4 }).done();
    rmSync(file);
  });
const caudalRead = (i) =>
  timed(async () => {
    const s = await runPipeline({
      pipeline: doc(
        [
          { id: 'src', type: 'source.s3', params: { connection: 'lake', url: `s3://bench/raw/${i}.parquet` } },
          { id: 'agg', type: 'transform.sql', params: { query: `${AGG} FROM src` } },
          { id: 'dst', type: 'sink.csv', params: { path: path.join(work, `agg-${i}.csv`), if_exists: 'overwrite' } },
        ],
        [['src:out', 'agg:in'], ['agg:out', 'dst:in']],
      ),
      baseDir: work,
      connections,
    });
    if (s.status !== 'succeeded') throw new Error(JSON.stringify(s.error));
  });
const rawRead = (i) =>
  timed(async () => {
    const file = path.join(work, `raw-read-${i}.parquet`);
    const res = await client.send(new GetObjectCommand({ Bucket: 'bench', Key: `raw/${i}.parquet` }));
    await pipeline(res.Body, createWriteStream(file));
    await duck(`${AGG} FROM '${file}'`);
    rmSync(file);
  });

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const r = { cw: [], rw: [], hw: [], cr: [], rr: [] };
for (let i = 0; i < reps; i++) {
  r.rw.push(await rawWrite(i));
  r.cw.push(await caudalWrite(i));
  r.hw.push(await handWrite(i));
  r.rr.push(await rawRead(i));
  r.cr.push(await caudalRead(i));
}
client.destroy();
await s3.close();
rmSync(s3dir, { recursive: true, force: true });
const line = (label, xs) => `  ${label}: ${median(xs).toFixed(1)} s, ${(mb / median(xs)).toFixed(0)} MB/s (${xs.map((x) => x.toFixed(1)).join(', ')})`;
console.log(`Parquet file ${mb.toFixed(0)} MB (${rows.toLocaleString('en')} rows), s3rver on loopback, median of ${reps}`);
console.log(line('write, caudal sink.s3          ', r.cw));
console.log(line('write, raw SDK Upload          ', r.rw));
console.log(`  write ratio (caudal ÷ raw MB/s): ${(median(r.rw) / median(r.cw)).toFixed(2)}`);
console.log(line('write, DuckDB COPY then Upload ', r.hw));
console.log(`  write ratio (caudal ÷ hand-written encode + upload): ${(median(r.hw) / median(r.cw)).toFixed(2)}`);
console.log(line('read, caudal source.s3 + query ', r.cr));
console.log(line('read, raw GetObject + query    ', r.rr));
console.log(`  read ratio (caudal ÷ raw MB/s): ${(median(r.rr) / median(r.cr)).toFixed(2)}`);
for (const n of notes) console.log(`  caudal: ${n}`);
