/**
 * One measured run in its own process, so peak RSS belongs to that run alone.
 * Usage: node child.js caudal|handwritten <dataDir> <outFile> [memoryLimit]
 * Prints one JSON line: { wallMs, cpuMs, peakRssMb, rows }.
 */
import { handWrittenSql, referencePipeline } from './reference.js';

const [mode, dataDir, outFile, memoryLimit] = process.argv.slice(2);
const t0 = performance.now();
let rows;
if (mode === 'caudal') {
  const { runPipeline } = await import('../../dist/core/src/engine/engine.js');
  const summary = await runPipeline({ pipeline: referencePipeline(dataDir, outFile), baseDir: process.cwd(), options: { memoryLimit } });
  if (summary.status !== 'succeeded') {
    console.error(JSON.stringify(summary.error));
    process.exit(1);
  }
  rows = summary.outputs[0]?.rows ?? null;
} else {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:', memoryLimit ? { memory_limit: memoryLimit } : {});
  const conn = await instance.connect();
  const reader = await conn.runAndReadAll(handWrittenSql(dataDir, outFile));
  rows = Number(reader.getRows()[0][0]);
  conn.closeSync();
  instance.closeSync();
}
const wallMs = performance.now() - t0;
// maxRSS is in KiB and covers every thread of the process, including the engine worker.
const usage = process.resourceUsage();
// CPU time (user + system, all threads) is the work done; it varies less than wall time on a busy machine.
const cpuMs = (usage.userCPUTime + usage.systemCPUTime) / 1000;
console.log(JSON.stringify({ wallMs, cpuMs, peakRssMb: usage.maxRSS / 1024, rows }));
