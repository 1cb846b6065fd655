/**
 * bench/engine: the 10M-row e-commerce reference pipeline through Caudal's engine vs one
 * hand-written DuckDB SQL statement, in the same run, each in a fresh process.
 *
 *   npm run build && node bench/engine/run.js [--orders 10000000] [--data DIR] [--reps 2]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { ensureEcommerceData } from '../shared/ecommerce-data.js';

const { values } = parseArgs({
  options: { orders: { type: 'string', default: '10000000' }, data: { type: 'string' }, reps: { type: 'string', default: '2' } },
});
const orders = Number(values.orders);
const reps = Number(values.reps);
const dataDir = values.data ?? path.join(os.tmpdir(), `caudal-bench-${orders}`);
const outDir = path.join(os.tmpdir(), 'caudal-bench-out');
mkdirSync(outDir, { recursive: true });

await ensureEcommerceData(orders, { dataDir });
const csvBytes = ['orders', 'customers', 'products'].reduce((s, f) => s + statSync(path.join(dataDir, `${f}.csv`)).size, 0);
console.log(`input: ${(csvBytes / 1e6).toFixed(0)} MB of CSV, ${os.cpus().length} cores, node ${process.version}\n`);

function measure(mode, outFile, memoryLimit) {
  const args = [path.join(import.meta.dirname, 'child.js'), mode, dataDir, outFile];
  if (memoryLimit) args.push(memoryLimit);
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${mode} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1));
}

const variants = [
  { name: 'hand-written DuckDB SQL', mode: 'handwritten' },
  { name: 'Caudal pipeline', mode: 'caudal' },
  { name: 'hand-written, memory_limit 512MB', mode: 'handwritten', memoryLimit: '512MB' },
  { name: 'Caudal, --memory-limit 512MB', mode: 'caudal', memoryLimit: '512MB' },
];
const results = new Map(variants.map((v) => [v.name, []]));
for (let rep = 0; rep < reps; rep++) {
  // Every other repetition runs the variants in reverse order, so a machine that speeds up or slows
  // down during the benchmark (page cache, neighbours, heat) does not favour either side.
  for (const v of rep % 2 === 0 ? variants : [...variants].reverse()) {
    const out = path.join(outDir, `${v.mode}-${v.memoryLimit ?? 'default'}.parquet`);
    rmSync(out, { force: true });
    const m = measure(v.mode, out, v.memoryLimit);
    results.get(v.name).push({ ...m, out });
    console.log(`  rep ${rep + 1}: ${v.name.padEnd(34)} ${(m.wallMs / 1000).toFixed(2)} s  CPU ${(m.cpuMs / 1000).toFixed(2)} s  ${m.peakRssMb.toFixed(0)} MB`);
  }
}

// Same answer? Compare the two default outputs row by row.
const db = await DuckDBInstance.create(':memory:');
const conn = await db.connect();
const a = results.get('hand-written DuckDB SQL')[0].out.replaceAll("'", "''");
const b = results.get('Caudal pipeline')[0].out.replaceAll("'", "''");
// Sums of DOUBLEs depend on the order threads add them up: compare revenue with a tolerance.
const diff = await conn.runAndReadAll(
  `SELECT count(*) FILTER (WHERE b.orders IS NULL OR a.orders IS NULL OR a.orders <> b.orders OR a.units <> b.units OR abs(a.revenue - b.revenue) > 0.05) AS d,
          count(*) AS n
   FROM '${a}' a FULL JOIN '${b}' b USING (country, category, month)`,
);
const [d, n] = diff.getRows()[0];
conn.closeSync();
db.closeSync();

const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor((xs.length - 1) / 2)];
const row = (name) => {
  const rs = results.get(name);
  return { wall: median(rs.map((r) => r.wallMs)) / 1000, cpu: median(rs.map((r) => r.cpuMs)) / 1000, rss: Math.max(...rs.map((r) => r.peakRssMb)) };
};
console.log(`\nresults (medians of ${reps}; CPU = user + system time of all threads; max peak RSS):`);
console.log(`${'variant'.padEnd(36)} ${'wall s'.padStart(8)} ${'ratio'.padStart(7)} ${'CPU s'.padStart(8)} ${'ratio'.padStart(7)} ${'peak RSS MB'.padStart(12)}`);
const pairs = [
  ['hand-written DuckDB SQL', 'Caudal pipeline'],
  ['hand-written, memory_limit 512MB', 'Caudal, --memory-limit 512MB'],
];
// Paired ratio: each repetition runs both variants back to back, so their ratio cancels most of the
// machine's drift between repetitions; the median of those is the headline figure.
const pairedRatio = (base, ours, key) => median(results.get(ours).map((r, i) => r[key] / results.get(base)[i][key]));
const paired = [];
for (const [base, ours] of pairs) {
  const x = row(base);
  const y = row(ours);
  paired.push(`${ours}: wall ${pairedRatio(base, ours, 'wallMs').toFixed(3)}, CPU ${pairedRatio(base, ours, 'cpuMs').toFixed(3)}`);
  console.log(`${base.padEnd(36)} ${x.wall.toFixed(2).padStart(8)} ${''.padStart(7)} ${x.cpu.toFixed(2).padStart(8)} ${''.padStart(7)} ${x.rss.toFixed(0).padStart(12)}`);
  console.log(`${ours.padEnd(36)} ${y.wall.toFixed(2).padStart(8)} ${(y.wall / x.wall).toFixed(3).padStart(7)} ${y.cpu.toFixed(2).padStart(8)} ${(y.cpu / x.cpu).toFixed(3).padStart(7)} ${y.rss.toFixed(0).padStart(12)}`);
}
console.log(`\nmedian of per-repetition ratios (Caudal / hand-written):\n  ${paired.join('\n  ')}`);
console.log(`\noutputs: ${n} rows each, ${d} differing rows (must be 0)`);
console.log(`target: ratio <= 1.10; Caudal completes with --memory-limit 512MB`);
if (Number(d) !== 0) process.exitCode = 1;

