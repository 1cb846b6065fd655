/**
 * One measured variant in its own process (its own CPU time and peak RSS).
 * Usage: node child.js profile-sample|profile-exact|quality-caudal|quality-sql <spec.json>
 * Prints one JSON line: { wallMs, cpuMs, peakRssMb, answer }.
 */
import { readFileSync } from 'node:fs';

const [mode, specFile] = process.argv.slice(2);
const spec = JSON.parse(readFileSync(specFile, 'utf8'));
// The profile variants time the call a studio or script makes (the engine worker's start included),
// not this process loading the module; the quality variants include their own loading on both sides.
const { profile } = mode.startsWith('profile') ? await import('../../dist/core/src/quality/profile/index.js') : {};
// The warm variant profiles once untimed, as the studio's warm engine workers have already started.
if (mode === 'profile-sample-warm') await profile(spec.pipeline, spec.nodeId, { baseDir: process.cwd(), mode: 'sample' });
const t0 = performance.now();
let answer;
if (mode === 'profile-sample' || mode === 'profile-exact' || mode === 'profile-sample-warm') {
  const r = await profile(spec.pipeline, spec.nodeId, { baseDir: process.cwd(), mode: mode === 'profile-exact' ? 'exact' : 'sample' });
  answer = { rows: r.rows, sampled: r.sampled, method: r.method, quantiles: r.quantiles, columns: r.columns.length };
} else if (mode === 'quality-caudal') {
  const { runPipeline } = await import('../../dist/core/src/engine/engine.js');
  const summary = await runPipeline({ pipeline: spec.pipeline, baseDir: process.cwd(), artifactsDir: spec.artifactsDir, stateDir: spec.stateDir });
  if (summary.status !== 'succeeded') {
    console.error(JSON.stringify(summary.error));
    process.exit(1);
  }
  answer = Object.fromEntries(summary.quality.nodes[0].checks.map((c) => [c.name, c.rowsFailed ?? (c.passed ? 'pass' : 'fail')]));
} else {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  const reader = await conn.runAndReadAll(spec.sql);
  answer = Object.fromEntries(Object.entries(reader.getRowObjectsJson()[0]).map(([k, v]) => [k, typeof v === 'boolean' ? (v ? 'pass' : 'fail') : Number(v)]));
  conn.closeSync();
  instance.closeSync();
}
const wallMs = performance.now() - t0;
const usage = process.resourceUsage();
console.log(JSON.stringify({ wallMs, cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000, peakRssMb: usage.maxRSS / 1024, answer }));
