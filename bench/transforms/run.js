/**
 * bench/transforms: each transform node on the 10M-row orders data set, as a Caudal pipeline
 * (Parquet source → node(s) → Parquet sink, zstd as Caudal's default) vs the same work as one hand-written DuckDB statement,
 * in the same run, each variant in a fresh process.
 *
 *   npm run build && node bench/transforms/run.js [--orders 10000000] [--reps 3] [--case dedupe]
 *
 * Cases live in bench/transforms/cases/<node type>.js (see README.md for their shape).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { ensureEcommerceData, parquetPath } from '../shared/ecommerce-data.js';

const { values } = parseArgs({
  options: {
    orders: { type: 'string', default: '10000000' },
    reps: { type: 'string', default: '3' },
    case: { type: 'string' },
  },
});
const orders = Number(values.orders);
const reps = Number(values.reps);
const dataDir = path.join(os.tmpdir(), `caudal-bench-${orders}`);
const work = path.join(os.tmpdir(), 'caudal-bench-transforms');
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const q = (s) => "'" + String(s).replaceAll("'", "''") + "'";
const SOURCES = ['orders', 'customers', 'products'];

// Data: the generated CSVs, converted once to Parquet so each case measures the node, not CSV parsing.
await ensureEcommerceData(orders, { dataDir, parquet: SOURCES });
const parquet = (name) => parquetPath(dataDir, name);

// Cases.
const casesDir = path.join(import.meta.dirname, 'cases');
const cases = [];
for (const file of readdirSync(casesDir).filter((f) => f.endsWith('.js')).sort()) {
  const mod = await import(path.join(casesDir, file));
  for (const c of mod.default) if (!values.case || c.name.includes(values.case) || file.includes(values.case)) cases.push(c);
}
console.log(`${cases.length} cases, ${orders.toLocaleString('en-US')} orders (Parquet in), ${os.cpus().length} cores, node ${process.version}\n`);

const endpoint = (e, port) => (e.includes(':') ? e : `${e}:${port}`);
function caudalPipeline(c, outFile) {
  const used = SOURCES.filter((s) => c.edges.some(([from]) => from.split(':')[0] === s));
  return {
    format: 'caudal.pipeline/1',
    name: `bench: ${c.name}`,
    params: {},
    connections: {},
    nodes: [
      ...used.map((s) => ({ id: s, type: 'source.parquet', params: { path: parquet(s) } })),
      ...c.nodes,
      { id: 'bench_out', type: 'sink.parquet', params: { path: outFile, if_exists: 'overwrite' } },
    ],
    edges: [
      ...c.edges.map(([from, to]) => ({ from: endpoint(from, 'out'), to: endpoint(to, 'in') })),
      { from: endpoint(c.output, 'out'), to: 'bench_out:in' },
    ],
  };
}
function handWritten(c, outFile) {
  const ctes = SOURCES.map((s) => `${s} AS (SELECT * FROM read_parquet(${q(parquet(s))}))`).join(',\n  ');
  return `COPY (\n  WITH ${ctes}\n  SELECT * FROM (\n${c.sql}\n  )\n) TO ${q(outFile)} (FORMAT parquet, COMPRESSION zstd)`;
}
function measure(mode, spec) {
  const specFile = path.join(work, 'spec.json');
  writeFileSync(specFile, JSON.stringify(spec));
  const r = spawnSync(process.execPath, [path.join(import.meta.dirname, 'child.js'), mode, specFile], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${mode} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1));
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

// Fixed cost: Caudal starts an engine worker, loads the node registry and plans before any data
// moves (~0.15 s). Measured on a one-row case, it is subtracted for the "node" ratio below, which
// compares the work each case adds; the "total" ratio keeps it in.
const startup = { name: 'start-up (one row)', nodes: [{ id: 'one', type: 'transform.sql', params: { query: 'SELECT * FROM orders LIMIT 1' } }], edges: [['orders', 'one']], output: 'one', sql: 'SELECT * FROM orders LIMIT 1' };
let fixedMs = 0;
{
  const out = path.join(work, 'startup.parquet');
  const diffs = [];
  for (let rep = 0; rep < Math.max(3, reps); rep++) {
    const h = measure('handwritten', { sql: handWritten(startup, out) });
    const c = measure('caudal', { pipeline: caudalPipeline(startup, out) });
    diffs.push(c.wallMs - h.wallMs);
  }
  fixedMs = Math.max(0, median(diffs));
  console.log(`fixed start-up cost of a Caudal run: ${fixedMs.toFixed(0)} ms (median Caudal − hand-written on a one-row case)\n`);
}

const db = await DuckDBInstance.create(':memory:');
const conn = await db.connect();
const table = [];
for (const [i, c] of cases.entries()) {
  const outCaudal = path.join(work, `case${i}-caudal.parquet`);
  const outHand = path.join(work, `case${i}-hand.parquet`);
  const variants = [
    ['hand', 'handwritten', { sql: handWritten(c, outHand) }],
    ['caudal', 'caudal', { pipeline: caudalPipeline(c, outCaudal) }],
  ];
  const res = { hand: [], caudal: [] };
  try {
    for (let rep = 0; rep < reps; rep++) {
      // Alternate the order so drift in the machine's speed favours neither side.
      for (const [key, mode, spec] of rep % 2 === 0 ? variants : [...variants].reverse()) res[key].push(measure(mode, spec));
    }
  } catch (e) {
    console.log(`  ${c.name}: FAILED ${String(e.message).slice(0, 300)}`);
    table.push({ name: c.name, failed: true });
    continue;
  }
  // Same answer? Rows present in one output and not the other (multiset difference, both ways).
  const [diff] = (
    await conn.runAndReadAll(
      `SELECT (SELECT count(*) FROM (FROM read_parquet(${q(outHand)}) EXCEPT ALL FROM read_parquet(${q(outCaudal)})))
            + (SELECT count(*) FROM (FROM read_parquet(${q(outCaudal)}) EXCEPT ALL FROM read_parquet(${q(outHand)}))) AS d`,
    )
  ).getRows();
  const ratios = res.caudal.map((r, k) => r.wallMs / res.hand[k].wallMs);
  const row = {
    name: c.name,
    rows: res.caudal[0].rows,
    hand: median(res.hand.map((r) => r.wallMs)) / 1000,
    caudal: median(res.caudal.map((r) => r.wallMs)) / 1000,
    ratio: median(ratios),
    nodeRatio: median(res.caudal.map((r, k) => (r.wallMs - fixedMs) / res.hand[k].wallMs)),
    cpuRatio: median(res.caudal.map((r, k) => r.cpuMs / res.hand[k].cpuMs)),
    differing: Number(diff[0]),
  };
  table.push(row);
  console.log(`  ${c.name.padEnd(48)} hand ${row.hand.toFixed(2)} s  caudal ${row.caudal.toFixed(2)} s  total ${row.ratio.toFixed(3)}  node ${row.nodeRatio.toFixed(3)}  differing rows ${row.differing}`);
}
conn.closeSync();
db.closeSync();

console.log(`\nresults (median of ${reps}; ratios are medians of per-repetition Caudal / hand-written wall time;`);
console.log(`node = after subtracting the fixed start-up cost of ${fixedMs.toFixed(0)} ms; CPU = total CPU time ratio):`);
console.log(`${'case'.padEnd(48)} ${'rows out'.padStart(11)} ${'hand s'.padStart(7)} ${'caudal s'.padStart(9)} ${'total'.padStart(6)} ${'node'.padStart(6)} ${'CPU'.padStart(6)} ${'diff'.padStart(5)}`);
for (const r of table) {
  if (r.failed) console.log(`${r.name.padEnd(48)} FAILED`);
  else
    console.log(
      `${r.name.padEnd(48)} ${r.rows.toLocaleString('en-US').padStart(11)} ${r.hand.toFixed(2).padStart(7)} ${r.caudal.toFixed(2).padStart(9)} ${r.ratio.toFixed(3).padStart(6)} ${r.nodeRatio.toFixed(3).padStart(6)} ${r.cpuRatio.toFixed(3).padStart(6)} ${String(r.differing).padStart(5)}`,
    );
}
console.log('\ntarget: every node ratio <= 1.10; diff = rows in one output but not the other (0 expected, except where a case says why)');
if (table.some((r) => r.failed)) process.exitCode = 1;
