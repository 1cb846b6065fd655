/**
 * bench/spark: the 10M-row e-commerce reference pipeline (bench/engine/reference.js) on the DuckDB
 * engine and, exported with `caudal export spark`, on local Spark with 1 and 2 cores, in one run.
 *
 *   npm run build && node bench/spark/run.js [--orders 10000000] [--reps 1] [--python PATH]
 *
 * Needs pyspark and sqlglot (test/services/up.sh spark puts them in a venv; --python or
 * CAUDAL_SPARK_PYTHON points at its python). Prints a table with the load average, because the
 * machine is shared: compare the ratios, not the seconds, with other runs.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ensureEcommerceData } from '../shared/ecommerce-data.js';
import { referencePipeline } from '../engine/reference.js';

const { values } = parseArgs({ options: { orders: { type: 'string', default: '10000000' }, reps: { type: 'string', default: '1' }, python: { type: 'string' }, data: { type: 'string' } } });
const orders = Number(values.orders);
const reps = Number(values.reps);
const python = values.python ?? process.env.CAUDAL_SPARK_PYTHON ?? path.join(os.homedir(), '.cache/caudal-test-services/venv-spark/bin/python');
process.env.CAUDAL_SPARK_PYTHON = python;
const dataDir = values.data ?? path.join(os.tmpdir(), `caudal-bench-${orders}`);
const outDir = path.join(os.tmpdir(), 'caudal-bench-spark-out');
mkdirSync(outDir, { recursive: true });

await ensureEcommerceData(orders, { dataDir });
const csvBytes = ['orders', 'customers', 'products'].reduce((s, f) => s + statSync(path.join(dataDir, `${f}.csv`)).size, 0);
const load = () => os.loadavg().map((l) => l.toFixed(1)).join(' ');
console.log(`input: ${(csvBytes / 1e6).toFixed(0)} MB of CSV (${orders.toLocaleString('en-US')} orders), ${os.cpus().length} cores, load average ${load()}\n`);

// The job is exported once; each Spark variant runs it in a fresh process (its own JVM).
const { exportSpark } = await import('../../dist/core/src/targets/spark/export.js');
const { writeSparkJob } = await import('../../dist/core/src/targets/spark/write-job.js');
const sparkOut = path.join(outDir, 'spark.parquet');
const t0 = performance.now();
const exported = await exportSpark(referencePipeline(dataDir, sparkOut), { baseDir: process.cwd(), params: {} });
const exportMs = performance.now() - t0;
if (!exported.job) throw new Error(`export failed: ${JSON.stringify(exported.problems)}`);
const jobDir = path.join(outDir, 'job');
await writeSparkJob(exported.job, jobDir);

function duckdb() {
  const out = path.join(outDir, 'duckdb.parquet');
  rmSync(out, { force: true });
  const r = spawnSync(process.execPath, [path.join(import.meta.dirname, '..', 'engine', 'child.js'), 'caudal', dataDir, out], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`DuckDB run failed: ${r.stderr}`);
  const m = JSON.parse(r.stdout.trim().split('\n').at(-1));
  return { totalMs: m.wallMs, jobMs: m.wallMs, startMs: 0 };
}

function spark(cores) {
  rmSync(sparkOut, { recursive: true, force: true });
  const report = path.join(outDir, `report-${cores}`);
  const r = spawnSync(python, [path.join(import.meta.dirname, 'child.py'), path.join(jobDir, 'job.json'), `local[${cores}]`, report], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`Spark local[${cores}] failed: ${r.stderr.slice(-2000)}`);
  const m = JSON.parse(r.stdout.trim().split('\n').at(-1));
  if (m.status !== 'succeeded') throw new Error(`Spark local[${cores}] job failed: ${JSON.stringify(m.error)}`);
  return { totalMs: m.startMs + m.jobMs, jobMs: m.jobMs, startMs: m.startMs };
}

const variants = [
  { name: 'DuckDB engine (caudal run)', run: duckdb },
  { name: 'Spark local[1]', run: () => spark(1) },
  { name: 'Spark local[2]', run: () => spark(2) },
];
const results = new Map(variants.map((v) => [v.name, []]));
for (let rep = 0; rep < reps; rep++) {
  for (const v of rep % 2 === 0 ? variants : [...variants].reverse()) {
    const before = load();
    const m = v.run();
    results.get(v.name).push(m);
    console.log(`  rep ${rep + 1}: ${v.name.padEnd(28)} ${(m.totalMs / 1000).toFixed(1)} s (load ${before} → ${load()})`);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const med = (name, key) => median(results.get(name).map((m) => m[key]));
const duck = med('DuckDB engine (caudal run)', 'totalMs');
const s1 = med('Spark local[1]', 'jobMs');
const s2 = med('Spark local[2]', 'jobMs');
const rows = [
  ['variant', 'total s', 'session start s', 'job s', 'total vs DuckDB'],
  ...variants.map((v) => [v.name, (med(v.name, 'totalMs') / 1000).toFixed(1), (med(v.name, 'startMs') / 1000).toFixed(1), (med(v.name, 'jobMs') / 1000).toFixed(1), `${(med(v.name, 'totalMs') / duck).toFixed(2)}×`]),
];
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
console.log(`\nmedian of ${reps} rep(s); export (plan + sqlglot translation) took ${(exportMs / 1000).toFixed(1)} s`);
for (const r of rows) console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));
console.log(`\nSpark job time, 1 core / 2 cores: ${(s1 / s2).toFixed(2)}× (2.00× would be perfect scaling)`);
console.log(`Spark local[2] job / DuckDB engine: ${(s2 / duck).toFixed(2)}×; load average now ${load()}`);
