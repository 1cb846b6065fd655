import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/src/scheduler/clock.js';
import { parseProject } from '../core/src/scheduler/load-project.js';
import { projectOverview } from '../core/src/scheduler/overview.js';
import { ProcessRunner } from '../core/src/scheduler/process-runner.js';
import { Scheduler } from '../core/src/scheduler/scheduler.js';
import { StateStore } from '../core/src/scheduler/state.js';
import { collectLog } from './support/fake-runner.js';
import { tempDir } from './support/pipeline.js';

/**
 * A run that ended while its scheduler was down: `caudal jobs list` shows its outcome from the
 * run's own record before any scheduler starts again, and the restarted scheduler records and logs
 * the run's own duration, not the time until it noticed the end.
 */
const STARTED = '2026-05-01T10:00:00.000Z';
const RESTART = Date.parse(STARTED) + 17_800;

async function setup() {
  const dir = await tempDir('caudal-ended-while-down-');
  await mkdir(path.join(dir, 'p'), { recursive: true });
  await writeFile(path.join(dir, 'p', 'sl.json'), '{}');
  const doc = { format: 'caudal.project/1', name: 't', timezone: 'UTC', jobs: { sl: { pipeline: 'p/sl.json' } } };
  const file = path.join(dir, 'caudal.project.json');
  await writeFile(file, JSON.stringify(doc));
  const project = parseProject(JSON.stringify(doc), file);
  const runDir = path.join(dir, 'p', '.caudal', 'runs', 'r1');
  await mkdir(runDir, { recursive: true });
  // The run finished after 8.6 s; its scheduler had been stopped meanwhile.
  await writeFile(
    path.join(runDir, 'run.json'),
    JSON.stringify({ runId: 'r1', pipeline: 'sl', pipelinePath: path.join(dir, 'p', 'sl.json'), status: 'succeeded', startedAt: STARTED, elapsedMs: 8_600, rows: 3, qualityScore: null, targets: [], params: {}, dir: runDir, job: 'sl', trigger: 'manual', attempt: 1, slot: null }),
  );
  const store = new StateStore(project);
  await store.save({ format: 'caudal.scheduler-state/1', jobs: { sl: { lastSlot: null, running: { runId: 'r1', dir: runDir, pid: null, startedAt: STARTED, attempt: 1, trigger: 'manual', slot: null, durationAlerted: false }, queued: null, retry: null, lastRun: null, lastSuccess: null, upstreamSeen: {} } } });
  return { project, store };
}

describe('a run that ended while the scheduler was down', () => {
  it('is listed with its outcome from its record, not as never run', async () => {
    const { project } = await setup();
    const o = await projectOverview(project, RESTART);
    expect(o.scheduler).toBeNull();
    expect(o.jobs[0]).toMatchObject({ running: null, lastRun: { runId: 'r1', status: 'succeeded', elapsedMs: 8_600, finishedAt: '2026-05-01T10:00:08.600Z', rows: 3 } });
  });

  it('is logged and recorded by the restarted scheduler with the run\'s own duration', async () => {
    const { project, store } = await setup();
    const log = collectLog();
    const clock = new ManualClock(RESTART);
    const sched = new Scheduler({ project, runner: new ProcessRunner(), clock, store, maxSleepMs: 24 * 3600_000, log: log.sink });
    clock.settle = () => sched.idle();
    await sched.start();
    await sched.idle();
    await sched.stop();
    expect(log.events('run_finished', 'sl')).toEqual([expect.objectContaining({ runId: 'r1', status: 'succeeded', elapsedMs: 8_600, message: expect.stringContaining('after 8.6 s') })]);
    expect((await store.load()).jobs.sl!.lastRun).toMatchObject({ elapsedMs: 8_600, finishedAt: '2026-05-01T10:00:08.600Z' });
  });
});
