/**
 * bench/engine/realistic.js: the realistic two-output, quality-checked pipeline of issue 13
 * (bench/engine/realistic-case.js) through Caudal against one hand-written DuckDB SQL script doing
 * the same work, with and without a 512 MB memory limit, a variant with a quarantine check, and the
 * same pipeline in polars and pandas when Python is available (bench/peers/venv.sh installs them,
 * pinned, in a bench-only virtual environment).
 *
 *   npm run build && node bench/engine/realistic.js                      # 10M orders, 3 repetitions
 *   node bench/engine/realistic.js --orders 1000000 --reps 5
 *   node bench/engine/realistic.js --only sql,caudal,sql-512,caudal-512 --no-peers
 *
 * Each variant runs in a fresh process (its peak RSS is its own); every other repetition runs the
 * variants in reverse order. It prints medians, min–max, the median of per-repetition ratios to the
 * paired hand-written script, and checks that every variant produced the same check counts, the
 * same fact row count and the same monthly aggregate.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { ensureEcommerceData } from '../shared/ecommerce-data.js';

const { values } = parseArgs({
  options: {
    orders: { type: 'string', default: '10000000' },
    data: { type: 'string' },
    reps: { type: 'string', default: '3' },
    only: { type: 'string' },
    'no-peers': { type: 'boolean', default: false },
  },
});
const orders = Number(values.orders);
const reps = Number(values.reps);
const here = import.meta.dirname;
const outDir = path.join(os.tmpdir(), `caudal-bench-realistic-${process.pid}`);
mkdirSync(outDir, { recursive: true });
const dataDir = await ensureEcommerceData(orders, values.data ? { dataDir: values.data } : {});

/** The bench-only Python with polars and pandas, or a reason why the peer columns are skipped. */
function peerPython() {
  if (values['no-peers']) return { skip: '--no-peers' };
  const r = spawnSync(path.join(here, '../peers/venv.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) return { skip: r.status === 3 ? 'no python3 on this machine' : `bench/peers/venv.sh failed (exit ${r.status})` };
  return { python: r.stdout.trim() };
}

const node = (mode, variant, mem) => () => {
  const args = [path.join(here, 'realistic-child.js'), mode, variant, dataDir, outDir];
  if (mem) args.push(mem, path.join(outDir, `spill-${mode}`));
  return spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
};
const variants = [
  { key: 'sql', label: 'hand-written SQL script', run: node('handwritten', 'warn') },
  { key: 'caudal', label: 'Caudal', run: node('caudal', 'warn'), base: 'sql' },
  { key: 'sql-512', label: 'hand-written, memory_limit 512MB', run: node('handwritten', 'warn', '512MB') },
  { key: 'caudal-512', label: 'Caudal, --memory-limit 512MB', run: node('caudal', 'warn', '512MB'), base: 'sql-512' },
  { key: 'sql-q', label: 'quarantine: hand-written SQL', run: node('handwritten', 'quarantine') },
  { key: 'caudal-q', label: 'quarantine: Caudal', run: node('caudal', 'quarantine'), base: 'sql-q' },
];
const peers = peerPython();
if (peers.python) {
  for (const tool of ['polars', 'pandas']) {
    const script = path.join(here, `../peers/realistic_${tool}.py`);
    variants.push({ key: tool, label: tool, run: () => spawnSync(peers.python, [script, dataDir, outDir], { encoding: 'utf8', maxBuffer: 1 << 24 }), base: 'sql', peer: true });
  }
}
const only = values.only?.split(',');
const chosen = variants.filter((v) => !only || only.includes(v.key));

// The fixed part of the footprint: a one-row run through the same engine, with the 512MB limit.
const tinyRun = node('caudal', 'tiny', '512MB')();
const tiny = tinyRun.status === 0 ? JSON.parse(tinyRun.stdout.trim().split('\n').at(-1)) : undefined;

const loadStart = os.loadavg();
console.log(`data: ${dataDir} (${orders.toLocaleString('en-US')} orders); ${os.cpus().length} cores; node ${process.version}; load average ${loadStart.map((x) => x.toFixed(2)).join(' ')}`);
if (peers.skip) console.log(`peer columns skipped: ${peers.skip}`);
console.log('');

const results = new Map(chosen.map((v) => [v.key, []]));
for (let rep = 0; rep < reps; rep++) {
  for (const v of rep % 2 === 0 ? chosen : [...chosen].reverse()) {
    const r = v.run();
    let m;
    if (r.status === 0) m = JSON.parse(r.stdout.trim().split('\n').at(-1));
    else m = { failed: (r.stderr || r.stdout || `exit ${r.status}`).trim().split('\n').slice(-3).join(' ').slice(0, 300) };
    results.get(v.key).push(m);
    const what = m.failed ? `FAILED: ${m.failed}` : `${(m.wallMs / 1000).toFixed(2)} s  CPU ${(m.cpuMs / 1000).toFixed(1)} s  ${m.peakRssMb.toFixed(0)} MB${m.nodes ? `  [${m.nodes.join(', ')}]` : ''}`;
    console.log(`  rep ${rep + 1}: ${v.label.padEnd(34)} ${what}`);
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ok = (key) => (results.get(key) ?? []).filter((m) => !m.failed);
/** ours/base for each repetition both completed, pairing the runs of the same repetition. */
const pairs = (key, base, field) => {
  const a = results.get(key);
  const b = results.get(base);
  if (!a || !b) return [];
  return a.flatMap((m, i) => (m.failed || !b[i] || b[i].failed ? [] : [m[field] / b[i][field]]));
};
const paired = (key, base, field) => median(pairs(key, base, field));

console.log(`\nresults (${reps} repetitions; wall and CPU: median (min–max); RSS: the largest peak; ratios: median of per-repetition ratios to the hand-written script run next to it):`);
const head = `${'variant'.padEnd(34)} ${'wall s'.padStart(20)} ${'× script'.padStart(9)} ${'CPU s'.padStart(7)} ${'peak RSS MB'.padStart(12)} ${'× script'.padStart(9)}`;
console.log(head);
console.log('-'.repeat(head.length));
for (const v of chosen) {
  const rs = ok(v.key);
  const failed = results.get(v.key).length - rs.length;
  if (rs.length === 0) {
    console.log(`${v.label.padEnd(34)} failed in every repetition: ${results.get(v.key)[0]?.failed ?? ''}`);
    continue;
  }
  const walls = rs.map((m) => m.wallMs / 1000);
  const wall = `${median(walls).toFixed(2)} (${Math.min(...walls).toFixed(1)}–${Math.max(...walls).toFixed(1)})`;
  const base = v.base && results.has(v.base) ? v.base : undefined;
  const ratio = (field) => (base ? paired(v.key, base, field).toFixed(2) : '');
  const rss = Math.max(...rs.map((m) => m.peakRssMb));
  console.log(
    `${v.label.padEnd(34)} ${wall.padStart(20)} ${ratio('wallMs').padStart(9)} ${median(rs.map((m) => m.cpuMs / 1000)).toFixed(1).padStart(7)} ${rss.toFixed(0).padStart(12)} ${ratio('peakRssMb').padStart(9)}${failed ? `  (${failed} failed)` : ''}`,
  );
}
if (tiny) console.log(`fixed footprint: a one-row Caudal run peaks at ${tiny.peakRssMb.toFixed(0)} MB RSS (Node, the engine worker, DuckDB); the rest of a run's RSS is DuckDB's work`);
for (const peer of ['polars', 'pandas']) {
  // On a shared machine the pairs spread widely; each one is printed so a median is not read alone.
  const each = (field) => pairs(peer, 'caudal', field).map((r) => r.toFixed(2)).join(', ');
  if (results.has(peer) && results.has('caudal'))
    console.log(`Caudal is ${paired(peer, 'caudal', 'wallMs').toFixed(2)}× faster than ${peer} ${ok(peer)[0]?.version ?? ''} (median of per-repetition ratios, wall time; each repetition: ${each('wallMs')}; CPU time: ${each('cpuMs')})`);
}

// Same answers: check counts, fact rows, and the monthly aggregate (revenue within 1e-6 relative:
// parallel sums of doubles are not bit-identical).
const db = await DuckDBInstance.create(':memory:');
const conn = await db.connect();
const lit = (s) => `'${s.replaceAll("'", "''")}'`;
let differences = 0;
for (const v of chosen) {
  const m = ok(v.key)[0];
  const refKey = v.key.endsWith('-q') ? 'sql-q' : v.key.endsWith('-512') ? 'sql-512' : 'sql';
  const ref = ok(refKey)[0] ?? ok('sql')[0];
  if (!m || !ref || m === ref) continue;
  const sameChecks = JSON.stringify(m.checks) === JSON.stringify(ref.checks);
  const [[factRows, refRows, monthlyDiff]] = (
    await conn.runAndReadAll(
      `SELECT (SELECT count(*) FROM ${lit(m.out.fact)}), (SELECT count(*) FROM ${lit(ref.out.fact)}),
        (SELECT count(*) FROM ${lit(m.out.monthly)} a FULL JOIN ${lit(ref.out.monthly)} b
           ON a.country IS NOT DISTINCT FROM b.country AND a.month IS NOT DISTINCT FROM b.month AND a.category IS NOT DISTINCT FROM b.category
         WHERE a.orders IS DISTINCT FROM b.orders OR a.units IS DISTINCT FROM b.units OR abs(a.revenue - b.revenue) > 1e-6 * abs(b.revenue) + 1e-6 OR a.revenue IS NULL <> b.revenue IS NULL)`,
    )
  ).getRows();
  const same = sameChecks && factRows === refRows && Number(monthlyDiff) === 0;
  if (!same) differences++;
  console.log(`${same ? 'same result' : 'DIFFERENT  '} ${v.label} vs ${refKey}: checks ${JSON.stringify(m.checks)}${sameChecks ? '' : ` vs ${JSON.stringify(ref.checks)}`}, fact rows ${factRows}${factRows === refRows ? '' : ` vs ${refRows}`}, monthly rows differing ${monthlyDiff}`);
}
conn.closeSync();
db.closeSync();
console.log(`load average at the end: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
console.log('targets: Caudal ≤ 1.15× the script\'s wall time and ≤ 1.3× its peak RSS; completes with --memory-limit 512MB within 1.5× the limit (768 MB); ≥ 1.3× faster than polars, ≥ 8× faster than pandas');
rmSync(outDir, { recursive: true, force: true });
if (differences > 0) process.exitCode = 1;
