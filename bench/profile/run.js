/**
 * bench/profile: column profiling and quality checks on the 10M-row orders data set (Parquet).
 *
 *   npm run build && node bench/profile/run.js [--orders 10000000] [--reps 3] [--only profile|quality]
 *
 * 1. `profile()` of the orders source, sampled and exact (targets: ≤ 300 ms and ≤ 8 s).
 * 2. A quality.check node with 10 checks vs one hand-written DuckDB query computing the same
 *    failing-row counts (target ratio ≤ 1.15). Each variant runs in a fresh process, alternating order.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ensureEcommerceData, parquetPath } from '../shared/ecommerce-data.js';

const { values } = parseArgs({ options: { orders: { type: 'string', default: '10000000' }, reps: { type: 'string', default: '3' }, only: { type: 'string' } } });
const orders = Number(values.orders);
const reps = Number(values.reps);
const dataDir = path.join(os.tmpdir(), `caudal-bench-${orders}`);
const work = path.join(os.tmpdir(), 'caudal-bench-profile');
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const q = (s) => "'" + String(s).replaceAll("'", "''") + "'";

// Data: the shared generated CSVs (cached), converted once to Parquet like bench/transforms.
await ensureEcommerceData(orders, { dataDir, parquet: ['orders', 'customers'] });
const parquet = (name) => parquetPath(dataDir, name);

function measure(mode, spec) {
  const specFile = path.join(work, 'spec.json');
  writeFileSync(specFile, JSON.stringify(spec));
  const r = spawnSync(process.execPath, [path.join(import.meta.dirname, 'child.js'), mode, specFile], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${mode} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1));
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const doc = (name, nodes, edges = []) => ({ format: 'caudal.pipeline/1', name, params: {}, connections: {}, nodes, edges });
const ordersNode = { id: 'orders', type: 'source.parquet', params: { path: parquet('orders') } };
console.log(`${orders.toLocaleString('en-US')} orders (Parquet), ${os.cpus().length} cores, node ${process.version}, ${reps} repetitions\n`);

// ---- 1. profile --------------------------------------------------------------------------
if (values.only !== 'quality') {
const profileDoc = doc('bench: profile', [ordersNode]);
const prof = { 'profile-sample': [], 'profile-sample-warm': [], 'profile-exact': [] };
for (let rep = 0; rep < reps; rep++) {
  const modes = Object.keys(prof);
  for (const mode of rep % 2 === 0 ? modes : modes.reverse()) prof[mode].push(measure(mode, { pipeline: profileDoc, nodeId: 'orders' }));
}
const w = prof['profile-sample-warm'];
const s = prof['profile-sample'];
const e = prof['profile-exact'];
console.log('profile of orders (8 columns), wall time of the whole profile() call: engine worker start, planning, reading, statistics');
console.log(`  sampled  median ${median(s.map((r) => r.wallMs)).toFixed(0)} ms (runs: ${s.map((r) => r.wallMs.toFixed(0)).join(', ')})  ${s[0].answer.method}  [target ≤ 300 ms]`);
console.log(`  sampled, warm engine worker (as in the studio, which keeps workers warm)  median ${median(w.map((r) => r.wallMs)).toFixed(0)} ms (runs: ${w.map((r) => r.wallMs.toFixed(0)).join(', ')})`);
console.log(`  exact    median ${(median(e.map((r) => r.wallMs)) / 1000).toFixed(2)} s (runs: ${e.map((r) => (r.wallMs / 1000).toFixed(2)).join(', ')})  ${e[0].answer.method}, quantiles ${e[0].answer.quantiles}, CPU ${(median(e.map((r) => r.cpuMs)) / 1000).toFixed(2)} s, peak RSS ${median(e.map((r) => r.peakRssMb)).toFixed(0)} MB  [target ≤ 8 s]\n`);

}

// ---- 2. quality.check with 10 checks vs hand-written SQL ----------------------------------
if (values.only !== 'profile') {
const checks = [
  { name: 'order_id present', kind: 'not_null', column: 'order_id', sql: 'order_id IS NOT NULL' },
  { name: 'order_id unique', kind: 'unique', columns: ['order_id'], sql: 'order_id IS NULL OR count(*) OVER (PARTITION BY order_id) = 1' },
  { name: 'quantity 1..20', kind: 'between', column: 'quantity', min: 1, max: 20, sql: 'quantity IS NULL OR (quantity >= 1 AND quantity <= 20)' },
  { name: 'known status', kind: 'in_set', column: 'status', values: ['completed', 'shipped', 'pending', 'cancelled', 'returned'], sql: "status IS NULL OR status IN ('completed', 'shipped', 'pending', 'cancelled', 'returned')" },
  { name: 'channel lower-case', kind: 'matches_regex', column: 'channel', pattern: '[a-z]+', sql: "channel IS NULL OR regexp_full_match(channel, '[a-z]+')" },
  { name: 'status length', kind: 'length_between', column: 'status', min: 4, max: 12, sql: 'status IS NULL OR (length(status) >= 4 AND length(status) <= 12)' },
  { name: 'discount below 30%', kind: 'expression', expression: 'discount < 0.3', sql: 'discount < 0.3' },
  { name: 'customer exists', kind: 'references', column: 'customer_id', reference_column: 'customer_id', sql: 'customer_id IS NULL OR customer_id IN (SELECT customer_id FROM customers)' },
  { name: 'dates in range', kind: 'between', column: 'order_date', min: '2024-01-01', max: '2025-12-31', sql: "order_date IS NULL OR (order_date >= DATE '2024-01-01' AND order_date <= DATE '2025-12-31')" },
  { name: 'enough rows', kind: 'row_count_between', min: 1000, table: 'count(*) >= 1000' },
];
const qualityDoc = doc(
  'bench: quality',
  [
    ordersNode,
    { id: 'customers', type: 'source.parquet', params: { path: parquet('customers') } },
    { id: 'qc', type: 'quality.check', params: { checks: checks.map(({ sql: _sql, table: _table, ...c }) => ({ ...c, severity: 'warn' })) } },
  ],
  [
    { from: 'orders:out', to: 'qc:in' },
    { from: 'customers:out', to: 'qc:reference' },
  ],
);
// The same counts, written by hand: one pass, one flag per row check (the window and the lookup included).
const rowChecks = checks.filter((c) => c.sql);
const handSql = `WITH orders AS (SELECT * FROM read_parquet(${q(parquet('orders'))})),
  customers AS (SELECT * FROM read_parquet(${q(parquet('customers'))})),
  flagged AS (SELECT ${rowChecks.map((c, i) => `coalesce((${c.sql}), false) AS ok${i}`).join(', ')} FROM orders)
SELECT ${rowChecks.map((c, i) => `count(*) FILTER (WHERE NOT ok${i}) AS ${JSON.stringify(c.name)}`).join(', ')}, ${checks
  .filter((c) => c.table)
  .map((c) => `${c.table} AS ${JSON.stringify(c.name)}`)
  .join(', ')}
FROM flagged`;
const spec = { pipeline: qualityDoc, artifactsDir: path.join(work, 'artifacts'), stateDir: path.join(work, 'state') };
const res = { caudal: [], hand: [] };
for (let rep = 0; rep < reps; rep++) {
  const order = rep % 2 === 0 ? ['hand', 'caudal'] : ['caudal', 'hand'];
  for (const v of order) res[v].push(v === 'caudal' ? measure('quality-caudal', spec) : measure('quality-sql', { sql: handSql }));
}
const same = JSON.stringify(res.caudal[0].answer) === JSON.stringify(res.hand[0].answer);
const ratios = res.caudal.map((r, k) => r.wallMs / res.hand[k].wallMs);
console.log('quality.check with 10 checks (not_null, unique, 2× between, in_set, matches_regex, length_between, expression, references, row_count_between)');
console.log(`  hand-written SQL  median ${(median(res.hand.map((r) => r.wallMs)) / 1000).toFixed(2)} s (runs: ${res.hand.map((r) => (r.wallMs / 1000).toFixed(2)).join(', ')})`);
console.log(`  quality.check     median ${(median(res.caudal.map((r) => r.wallMs)) / 1000).toFixed(2)} s (runs: ${res.caudal.map((r) => (r.wallMs / 1000).toFixed(2)).join(', ')}) incl. samples of failing rows and quality.json/html`);
console.log(`  ratio (median of per-repetition ratios) ${median(ratios).toFixed(3)}  [target ≤ 1.15]; CPU ratio ${median(res.caudal.map((r, k) => r.cpuMs / res.hand[k].cpuMs)).toFixed(3)}`);
console.log(`  same failing-row counts: ${same ? 'yes' : 'NO'} ${JSON.stringify(res.caudal[0].answer)}`);
if (!same) {
  console.log(`  hand-written: ${JSON.stringify(res.hand[0].answer)}`);
  process.exitCode = 1;
}
}
