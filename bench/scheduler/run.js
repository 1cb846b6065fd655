// Scheduler figures (bench/README.md): per-job start overhead beyond the run itself, side by side
// with the hand-written equivalent (starting `caudal run` directly, as cron would), in a project of
// 1,000 jobs; and the memory of an idle `caudal schedule` with 1,000 jobs.
//
//   npm run build && node bench/scheduler/run.js [--runs 15] [--jobs 1000]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dist = (p) => import(path.join(root, 'dist/core/src', p));
const { values } = parseArgs({ options: { runs: { type: 'string', default: '15' }, jobs: { type: 'string', default: '1000' } } });
const RUNS = Number(values.runs);
const JOBS = Number(values.jobs);
const bin = path.join(root, 'bin', 'caudal.js');

const { parseProject } = await dist('scheduler/load-project.js');
const { Scheduler } = await dist('scheduler/scheduler.js');
const { ProcessRunner } = await dist('scheduler/process-runner.js');

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (x) => `${x.toFixed(1)} ms`;

function makeProject(jobs) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'caudal-bench-sched-'));
  writeFileSync(
    path.join(dir, 'tiny.json'),
    JSON.stringify({
      format: 'caudal.pipeline/1',
      name: 'tiny',
      nodes: [
        { id: 'src', type: 'transform.sql', params: { query: 'SELECT range AS id FROM range(1000)' } },
        { id: 'out', type: 'sink.csv', params: { path: 'out/tiny.csv', if_exists: 'overwrite' } },
      ],
      edges: [{ from: 'src:out', to: 'out:in' }],
    }),
  );
  const all = {};
  // Daily jobs spread over the day, none due during the bench (22:00–23:59 UTC is left free).
  for (let i = 0; i < jobs; i++) all[`job_${String(i).padStart(4, '0')}`] = { pipeline: 'tiny.json', schedule: `${i % 60} ${Math.floor(i / 60) % 22} * * *` };
  const doc = { format: 'caudal.project/1', name: 'bench', timezone: 'UTC', max_parallel_runs: 1, jobs: all };
  const file = path.join(dir, 'caudal.project.json');
  writeFileSync(file, JSON.stringify(doc));
  return { dir, file, doc };
}

function runDirect(cwd) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [bin, 'run', 'tiny.json', '--quiet'], { cwd, stdio: 'ignore' });
    child.on('exit', (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`caudal run exited ${code}`))));
  });
}

/**
 * A scheduler over the big project whose runs are started on request; for each run it measures its
 * own time around the process: request → process started (state written before and after the
 * spawn), and the run's outcome read → state written and the next tick done.
 */
async function scheduledRunner(project) {
  let current;
  const inner = new ProcessRunner();
  const runner = {
    start(req) {
      const handle = inner.start(req);
      current.spawned = performance.now();
      return { ...handle, done: handle.done.then((o) => ((current.ended = performance.now()), o)) };
    },
    reattach: (r, q) => inner.reattach(r, q),
  };
  let finished;
  const scheduler = new Scheduler({ project, runner, log: (e) => e.event === 'run_finished' && finished?.() });
  await scheduler.start();
  return {
    async runOnce() {
      current = { requested: performance.now() };
      const done = new Promise((r) => (finished = r));
      await scheduler.runNow('job_0000');
      await done;
      await scheduler.idle();
      const recorded = performance.now();
      return { startOverhead: current.spawned - current.requested, finishOverhead: recorded - current.ended, total: recorded - current.requested };
    },
    stop: () => scheduler.stop(),
  };
}

function rssOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
}

async function idleMemory(file, settleMs = 8000) {
  const child = spawn(process.execPath, [bin, 'schedule', file, '--quiet'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const t0 = performance.now();
  await sleep(settleMs);
  const mem = rssOf(child.pid);
  child.kill('SIGTERM');
  await new Promise((r) => child.on('exit', r));
  return { ...mem, seconds: (performance.now() - t0) / 1000 };
}

console.log(`scheduler bench: ${JOBS} jobs in the project, ${RUNS} runs of a 1,000-row pipeline each way (node ${process.version}, ${os.cpus().length} cores)\n`);

const big = makeProject(JOBS);
const project = parseProject(JSON.stringify(big.doc), big.file);
const t0 = performance.now();
parseProject(JSON.stringify(big.doc), big.file);
console.log(`loading and checking the ${JOBS}-job project: ${ms(performance.now() - t0)}`);

// Alternate the two ways run by run so drift in this shared machine's speed favours neither.
const direct = [];
const scheduled = [];
const viaScheduler = await scheduledRunner(project);
await runDirect(big.dir); // warm the file cache
for (let i = 0; i < RUNS; i++) {
  if (i % 2 === 0) {
    direct.push(await runDirect(big.dir));
    scheduled.push(await viaScheduler.runOnce());
  } else {
    scheduled.push(await viaScheduler.runOnce());
    direct.push(await runDirect(big.dir));
  }
}
await viaScheduler.stop();
const sched = scheduled;

const startO = sched.map((t) => t.startOverhead);
const finishO = sched.map((t) => t.finishOverhead);
console.log('\nper job start (median of', RUNS, 'runs):');
console.log(`  caudal run started by hand (the run itself):   ${ms(median(direct))}`);
console.log(`  the same run started by the scheduler:         ${ms(median(scheduled.map((t) => t.total)))}`);
console.log(`  scheduler overhead before the process starts:  ${ms(median(startO))} (max ${ms(Math.max(...startO))}): state written, process spawned`);
console.log(`  scheduler overhead after the process ended:    ${ms(median(finishO))} (max ${ms(Math.max(...finishO))}): state written, next tick (from the outcome read)`);
console.log(`  total overhead beyond the run:                 ${ms(median(startO.map((x, i) => x + finishO[i])))}  (target < 50 ms)`);

const small = makeProject(1);
const idleSmall = await idleMemory(small.file);
const idleBig = await idleMemory(big.file);
console.log('\nidle `caudal schedule` (RSS after 8 s, nothing due):');
console.log(`  1 job:      ${idleSmall.rssMb.toFixed(1)} MB (peak ${idleSmall.hwmMb.toFixed(1)} MB)`);
console.log(`  ${JOBS} jobs: ${idleBig.rssMb.toFixed(1)} MB (peak ${idleBig.hwmMb.toFixed(1)} MB)`);
