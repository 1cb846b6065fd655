import { runPipeline } from './dist/core/src/engine/engine.js';
import { realisticPipeline, outputs } from './bench/engine/realistic-case.js';
const t0 = performance.now();
const mark = (s) => console.log(((performance.now() - t0) / 1000).toFixed(2).padStart(6), s);
const summary = await runPipeline({
  pipeline: realisticPipeline('/tmp/caudal-bench-10000000', outputs('/tmp/rb/out', 'phase')),
  baseDir: '/tmp/rb', stateDir: '/tmp/rb/out/state', artifactsDir: '/tmp/rb/out/artifacts', options: {},
  onEvent: (e) => { if (['run_started', 'plan', 'node_started', 'node_finished', 'run_finished'].includes(e.type)) mark(`${e.type} ${e.nodeId ?? ''}`); else if (e.type === 'log' && e.level !== 'debug') mark(`log ${e.message.slice(0, 80)}`); },
});
mark(summary.status);
