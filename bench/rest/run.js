/* global fetch */
/**
 * bench/rest: rows/s reading a 200k-record paginated API on loopback (the local test API server,
 * offset pagination, 1000 records a page) through source.rest into a Parquet file, side by side with
 * a hand-written loop doing the same pages (fetch, JSON.parse, NDJSON file, DuckDB read_json → Parquet)
 * in the same process, alternating, median of --reps.
 *
 *   npm run build && node bench/rest/run.js [--records 200000] [--page 1000] [--reps 3] [--concurrency 1]
 */
import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { startApi } from '../../test/services/http-api/server.js';
import { runPipeline } from '../../dist/core/src/engine/engine.js';

const { values } = parseArgs({ options: { records: { type: 'string', default: '200000' }, page: { type: 'string', default: '1000' }, reps: { type: 'string', default: '3' }, concurrency: { type: 'string', default: '1' } } });
const records = Number(values.records);
const page = Number(values.page);
const reps = Number(values.reps);
const work = path.join(os.tmpdir(), 'caudal-bench-rest');
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const api = await startApi({ records, pageSize: page });

async function caudal(i) {
  const out = path.join(work, `caudal-${i}.parquet`);
  const doc = {
    format: 'caudal.pipeline/1',
    name: 'bench rest',
    params: {},
    connections: {},
    nodes: [
      { id: 'src', type: 'source.rest', params: { url: `${api.url}/items/offset`, records_path: 'data', pagination: { type: 'offset', limit: page, total_path: 'meta.total' }, concurrency: Number(values.concurrency) } },
      { id: 'dst', type: 'sink.parquet', params: { path: out } },
    ],
    edges: [{ from: 'src:out', to: 'dst:in' }],
  };
  const t0 = performance.now();
  const s = await runPipeline({ pipeline: doc, baseDir: work });
  if (s.status !== 'succeeded') throw new Error(JSON.stringify(s.error));
  return { s: (performance.now() - t0) / 1000, rows: s.outputs[0].rows };
}

/** What one would write by hand: the same requests in a loop, the records to NDJSON, DuckDB to Parquet. */
async function handWritten(i) {
  const ndjson = path.join(work, `hand-${i}.ndjson`);
  const out = path.join(work, `hand-${i}.parquet`);
  const t0 = performance.now();
  const file = createWriteStream(ndjson);
  let rows = 0;
  for (let offset = 0; ; offset += page) {
    const res = await fetch(`${api.url}/items/offset?offset=${offset}&limit=${page}`);
    const body = await res.json();
    if (body.data.length === 0) break;
    let chunk = '';
    for (const r of body.data) chunk += JSON.stringify(r) + '\n';
    if (!file.write(chunk)) await once(file, 'drain');
    rows += body.data.length;
    if (offset + page >= body.meta.total) break;
  }
  file.end();
  await once(file, 'finish');
  const db = await DuckDBInstance.create(':memory:');
  try {
    await (await db.connect()).run(`COPY (SELECT * FROM read_json('${ndjson}', format = 'newline_delimited')) TO '${out}' (FORMAT parquet)`);
  } finally {
    db.closeSync();
  }
  return { s: (performance.now() - t0) / 1000, rows };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const a = [];
const b = [];
await caudal('warm');
for (let i = 0; i < reps; i++) {
  a.push(await caudal(i));
  b.push(await handWritten(i));
}
await api.close();
const ca = median(a.map((x) => x.s));
const hw = median(b.map((x) => x.s));
console.log(`records ${records}, ${Math.ceil(records / page)} pages of ${page}, concurrency ${values.concurrency}, median of ${reps}`);
console.log(`  caudal source.rest → Parquet: ${ca.toFixed(2)} s, ${Math.round(records / ca).toLocaleString('en')} rows/s (${a.map((x) => x.s.toFixed(2)).join(', ')})`);
console.log(`  hand-written fetch loop → Parquet: ${hw.toFixed(2)} s, ${Math.round(records / hw).toLocaleString('en')} rows/s (${b.map((x) => x.s.toFixed(2)).join(', ')})`);
console.log(`  ratio (caudal rows/s ÷ hand-written rows/s): ${(hw / ca).toFixed(2)}`);
rmSync(work, { recursive: true, force: true });
