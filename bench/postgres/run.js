/**
 * bench/postgres: loading the 10M-row orders table of the e-commerce reference data into
 * PostgreSQL through sink.postgres vs raw `COPY ... FROM STDIN` of the same rows (same CSV text,
 * streamed with pg-copy-streams), in the same run; then reading it back through source.postgres
 * vs a raw `COPY ... TO STDOUT`.
 *
 *   npm run build && node bench/postgres/run.js [--orders 10000000] [--reps 2] [--database test]
 */
import { createReadStream, createWriteStream, existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline as pipe } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { ensureEcommerceData, parquetPath } from '../shared/ecommerce-data.js';
import { runPipeline } from '../../dist/core/src/engine/engine.js';

const { values } = parseArgs({
  options: {
    orders: { type: 'string', default: '10000000' },
    reps: { type: 'string', default: '2' },
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '5432' },
    database: { type: 'string', default: 'test' },
    user: { type: 'string', default: 'postgres' },
  },
});
const orders = Number(values.orders);
const reps = Number(values.reps);
const dataDir = path.join(os.tmpdir(), `caudal-bench-${orders}`);
const workDir = path.join(os.tmpdir(), 'caudal-bench-pg');
mkdirSync(workDir, { recursive: true });
// The test services' PostgreSQL (test/services/up.sh) uses scram: CAUDAL_TEST_PG_PASSWORD, default 'caudal'.
const PG = { host: values.host, port: Number(values.port), database: values.database, user: values.user, password: process.env.CAUDAL_TEST_PG_PASSWORD ?? 'caudal' };

await ensureEcommerceData(orders, { dataDir, parquet: ['orders'] });
const parquet = parquetPath(dataDir, 'orders');

// The raw baseline sends exactly the text the sink sends: DuckDB's CSV of the same rows, made once, untimed.
const csv = path.join(workDir, `orders-${orders}.csv`);
if (!existsSync(csv)) {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  await conn.run(`COPY (SELECT * FROM read_parquet('${parquet}')) TO '${csv}' (FORMAT csv, HEADER false)`);
  conn.closeSync();
  db.closeSync();
}

const client = new pg.Client(PG);
await client.connect();
const server = (await client.query("SELECT current_setting('server_version') AS v")).rows[0].v;
const COLUMNS = 'order_id bigint, customer_id bigint, product_id bigint, quantity bigint, order_date date, status text, discount double precision, channel text';
console.log(`${orders.toLocaleString('en-US')} rows (8 columns), PostgreSQL ${server}, ${os.cpus().length} cores, node ${process.version}\n`);

async function rawLoad() {
  await client.query('DROP TABLE IF EXISTS bench_raw');
  const t0 = performance.now();
  await client.query('BEGIN');
  await client.query(`CREATE TABLE bench_raw (${COLUMNS})`);
  const copy = client.query(copyStreams.from('COPY bench_raw FROM STDIN WITH (FORMAT csv)'));
  await pipe(createReadStream(csv, { highWaterMark: 1 << 20 }), copy);
  await client.query('COMMIT');
  return { ms: performance.now() - t0, rows: copy.rowCount };
}

const connections = { db: { name: 'db', type: 'postgres', config: { ...PG, ssl: 'disable', connect_timeout_s: 10 } } };
const doc = (nodes, edges) => ({ format: 'caudal.pipeline/1', name: 'bench postgres', params: {}, connections: { db: { type: 'postgres' } }, nodes, edges });

async function caudalLoad() {
  await client.query('DROP TABLE IF EXISTS bench_sink');
  const t0 = performance.now();
  const s = await runPipeline({
    pipeline: doc(
      [
        { id: 'orders', type: 'source.parquet', params: { path: parquet } },
        { id: 'load', type: 'sink.postgres', params: { connection: 'db', schema: 'public', table: 'bench_sink', mode: 'replace' } },
      ],
      [{ from: 'orders:out', to: 'load:in' }],
    ),
    baseDir: workDir,
    connections,
    stateDir: path.join(workDir, 'state'),
  });
  if (s.status !== 'succeeded') throw new Error(JSON.stringify(s.error));
  return { ms: performance.now() - t0, rows: s.outputs[0].rows };
}

async function rawRead() {
  const t0 = performance.now();
  const out = client.query(copyStreams.to('COPY (SELECT * FROM bench_sink) TO STDOUT WITH (FORMAT csv)'));
  await pipe(out, createWriteStream(path.join(workDir, 'read.csv')));
  return { ms: performance.now() - t0, rows: out.rowCount };
}

async function caudalRead() {
  const t0 = performance.now();
  const s = await runPipeline({
    pipeline: doc(
      [
        { id: 'orders', type: 'source.postgres', params: { connection: 'db', schema: 'public', table: 'bench_sink' } },
        { id: 'out', type: 'sink.parquet', params: { path: path.join(workDir, 'read.parquet'), if_exists: 'overwrite' } },
      ],
      [{ from: 'orders:out', to: 'out:in' }],
    ),
    baseDir: workDir,
    connections,
  });
  if (s.status !== 'succeeded') throw new Error(JSON.stringify(s.error));
  return { ms: performance.now() - t0, rows: s.outputs[0].rows };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const rate = (r) => `${((r.rows / r.ms) * 1000 / 1e6).toFixed(2)} M rows/s`;

async function compare(title, baseName, base, oursName, ours) {
  const b = [];
  const o = [];
  for (let i = 0; i < reps; i++) {
    // Alternate the order so drift in the machine's speed favours neither side.
    const pair = i % 2 === 0 ? [await base(), await ours()] : (([x, y]) => [y, x])([await ours(), await base()]);
    b.push(pair[0]);
    o.push(pair[1]);
    console.log(`  rep ${i + 1}: ${baseName} ${(pair[0].ms / 1000).toFixed(2)} s (${rate(pair[0])}), ${oursName} ${(pair[1].ms / 1000).toFixed(2)} s (${rate(pair[1])})`);
    if (pair[0].rows !== pair[1].rows) throw new Error(`row counts differ: ${pair[0].rows} vs ${pair[1].rows}`);
  }
  const bm = median(b.map((r) => r.ms));
  const om = median(o.map((r) => r.ms));
  // Each pair runs back to back, so the per-pair ratio cancels most of the drift of a shared machine.
  const pairRatio = median(b.map((r, i) => r.ms / o[i].ms));
  console.log(
    `${title}: medians ${baseName} ${(bm / 1000).toFixed(2)} s, ${oursName} ${(om / 1000).toFixed(2)} s (ratio ${(bm / om).toFixed(3)}); ` +
      `median per-pair ratio ${pairRatio.toFixed(3)}: Caudal reaches that share of the raw rate\n`,
  );
}

console.log('load (write into PostgreSQL):');
await compare('load', 'raw COPY FROM STDIN', rawLoad, 'sink.postgres (replace)', caudalLoad);
const check = (await client.query('SELECT (SELECT count(*) FROM bench_sink) AS n, (SELECT count(*) FROM (SELECT * FROM bench_sink EXCEPT ALL SELECT * FROM bench_raw) d) AS diff')).rows[0];
console.log(`check: bench_sink has ${Number(check.n).toLocaleString('en-US')} rows, ${check.diff} differ from the raw load\n`);
console.log('read (PostgreSQL → DuckDB):');
await compare('read', 'raw COPY TO STDOUT (to a file)', rawRead, 'source.postgres → parquet', caudalRead);
await client.query('DROP TABLE IF EXISTS bench_raw');
await client.query('DROP TABLE IF EXISTS bench_sink');
await client.end();
