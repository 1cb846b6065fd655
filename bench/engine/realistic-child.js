/**
 * One measured run of the realistic pipeline in its own process, so peak RSS is that run's alone.
 *
 *   node realistic-child.js caudal|handwritten <warn|quarantine|tiny> <dataDir> <outDir> [memoryLimit] [tempDir]
 *
 * Prints one JSON line: { wallMs, cpuMs, peakRssMb, checks: { n, f_unique, f_price, f_email }, nodes? }.
 */
import { outputs, realisticPipeline, realisticSql } from './realistic-case.js';

const [mode, variant, dataDir, outDir, memoryLimit, tempDir] = process.argv.slice(2);
const quarantine = variant === 'quarantine';
const out = outputs(outDir, `${mode}-${variant}-${memoryLimit ?? 'default'}`);
const t0 = performance.now();
let checks;
let nodes;
if (mode === 'caudal') {
  const { runPipeline } = await import('../../dist/core/src/engine/engine.js');
  nodes = [];
  let lastCpu = 0;
  // `tiny`: one row through the engine, for the process's fixed footprint (Node, worker, DuckDB).
  const tiny = {
    format: 'caudal.pipeline/1',
    name: 'bench: one row',
    params: {},
    connections: {},
    nodes: [
      { id: 'one', type: 'transform.sql', params: { query: 'SELECT 1 AS x' } },
      { id: 'q', type: 'quality.check', params: { checks: [{ name: 'x', kind: 'not_null', column: 'x', severity: 'warn' }] } },
      { id: 'out', type: 'sink.parquet', params: { path: out.fact, if_exists: 'overwrite' } },
    ],
    edges: [
      { from: 'one:out', to: 'q:in' },
      { from: 'q:out', to: 'out:in' },
    ],
  };
  const summary = await runPipeline({
    pipeline: variant === 'tiny' ? tiny : realisticPipeline(dataDir, out, { quarantine }),
    baseDir: process.cwd(),
    // A bench run keeps no history and no report next to the data.
    stateDir: `${outDir}/state`,
    artifactsDir: `${outDir}/artifacts`,
    options: { memoryLimit },
    onEvent: (e) => {
      // CPU of the whole process (all threads) between node ends: where the work went.
      const u = process.resourceUsage();
      const cpu = (u.userCPUTime + u.systemCPUTime) / 1e6;
      if (e.type === 'node_finished' && e.elapsedMs >= 50) nodes.push(`${e.nodeId} ${(e.elapsedMs / 1000).toFixed(1)}s/${(cpu - lastCpu).toFixed(1)}c`);
      if (e.type === 'node_finished' || e.type === 'plan') lastCpu = cpu;
    },
  });
  if (summary.status !== 'succeeded') {
    console.error(JSON.stringify(summary.error));
    process.exit(1);
  }
  const q = summary.quality.nodes[0];
  const failed = (name) => q.checks.find((c) => c.name === name)?.rowsFailed;
  checks = { n: q.rows, f_unique: failed('order id unique'), f_price: failed('price in range'), f_email: failed('email shape') };
} else {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const config = memoryLimit ? { memory_limit: memoryLimit, temp_directory: tempDir } : {};
  const instance = await DuckDBInstance.create(':memory:', config);
  const conn = await instance.connect();
  for (const step of realisticSql(dataDir, out, { quarantine })) {
    const reader = await conn.runAndReadAll(step.sql);
    if (step.name === 'checks') {
      const [row] = reader.getRowObjectsJson();
      checks = Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Number(v)]));
    }
  }
  conn.closeSync();
  instance.closeSync();
}
const wallMs = performance.now() - t0;
// maxRSS is in KiB and covers every thread of the process, including the engine worker.
const usage = process.resourceUsage();
const cpuMs = (usage.userCPUTime + usage.systemCPUTime) / 1000;
console.log(JSON.stringify({ wallMs, cpuMs, peakRssMb: usage.maxRSS / 1024, checks, out, ...(nodes ? { nodes } : {}) }));
