/**
 * One measured variant of one case, in its own process so CPU time and peak RSS are its own.
 * Usage: node child.js caudal|handwritten <spec.json>
 * spec: { pipeline } for caudal, { sql } for handwritten (a complete COPY statement).
 * Prints one JSON line: { wallMs, cpuMs, peakRssMb, rows }.
 */
import { readFileSync } from 'node:fs';

const [mode, specFile] = process.argv.slice(2);
const spec = JSON.parse(readFileSync(specFile, 'utf8'));
const t0 = performance.now();
let rows;
if (mode === 'caudal') {
  const { runPipeline } = await import('../../dist/core/src/engine/engine.js');
  const summary = await runPipeline({ pipeline: spec.pipeline, baseDir: process.cwd() });
  if (summary.status !== 'succeeded') {
    console.error(JSON.stringify(summary.error));
    process.exit(1);
  }
  rows = summary.outputs[0]?.rows ?? null;
} else {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  const reader = await conn.runAndReadAll(spec.sql);
  rows = Number(reader.getRows()[0][0]);
  conn.closeSync();
  instance.closeSync();
}
const wallMs = performance.now() - t0;
const usage = process.resourceUsage();
console.log(JSON.stringify({ wallMs, cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000, peakRssMb: usage.maxRSS / 1024, rows }));
