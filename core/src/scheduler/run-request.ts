import { rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Controls } from './controls.js';
import type { Job, Project } from './project.js';
import { runningScheduler } from './scheduler-lock.js';
import { type LastRun, StateStore } from './state.js';

export type RequestedRun =
  /** The scheduler ran it; its outcome as the scheduler recorded it. */
  | { kind: 'finished'; runId: string; dir: string; lastRun: LastRun }
  /** The scheduler did not take it (a run of the job is already waiting, or no such job). */
  | { kind: 'skipped'; message: string; retryable?: boolean }
  /** The scheduler stopped first: the run is not started, or goes on without it. */
  | { kind: 'scheduler_stopped'; runId: string | null; dir: string | null };

const POLL_MS = 200;

/**
 * One run of a job through the project's running scheduler (`caudal jobs run` while `caudal
 * schedule` runs): a request file, as the studio's Run now writes, then the scheduler's reply and
 * the run's end in its state. Going through the scheduler keeps its rules: runs of one job never
 * overlap, and a scheduled slot is not lost to the manual run.
 */
export async function runThroughScheduler(
  project: Project,
  job: Job,
  params: Record<string, string> | undefined,
  opts: {
    onStarted?: (run: { runId: string; dir: string }) => void;
    schedulerRunning?: () => Promise<boolean>;
    pollMs?: number;
    /**
     * `--wait`: a request the scheduler did not take (a run of the job already waits to start) is
     * made again once that run has started, instead of answered as skipped. Called once, with why.
     */
    waitWhenSkipped?: (message: string) => void;
  } = {},
): Promise<RequestedRun> {
  for (let told = false; ; ) {
    const r = await requestOnce(project, job, params, { ...opts, repeat: told });
    if (r.kind !== 'skipped' || !r.retryable || !opts.waitWhenSkipped) return r;
    if (!told) opts.waitWhenSkipped(r.message);
    told = true;
    // The run that waits starts when the current one ends: ask again a little later.
    await sleep(Math.max(opts.pollMs ?? POLL_MS, RETRY_SKIPPED_MS));
  }
}

/** How often a `--wait` request the scheduler skipped is made again. */
const RETRY_SKIPPED_MS = 1_000;

async function requestOnce(project: Project, job: Job, params: Record<string, string> | undefined, opts: { onStarted?: (run: { runId: string; dir: string }) => void; schedulerRunning?: () => Promise<boolean>; pollMs?: number; repeat?: boolean }): Promise<RequestedRun> {
  const controls = new Controls(project);
  const store = new StateStore(project);
  const running = opts.schedulerRunning ?? (async () => (await runningScheduler(project)) !== null);
  const pollMs = opts.pollMs ?? POLL_MS;
  const id = await controls.requestRun(job.name, new Date(), params && Object.keys(params).length > 0 ? params : undefined, { repeat: opts.repeat });
  let started: { runId: string; dir: string } | null = null;
  try {
    for (;;) {
      if (!started) {
        const reply = await controls.readReply(id);
        if (reply?.status === 'skipped') return { kind: 'skipped', message: reply.message, ...(reply.retryable ? { retryable: true } : {}) };
        if (reply?.status === 'started') {
          started = { runId: reply.runId, dir: reply.dir };
          opts.onStarted?.(started);
          continue;
        }
      } else {
        const last = (await store.load().catch(() => null))?.jobs[job.name]?.lastRun;
        if (last?.runId === started.runId) return { kind: 'finished', ...started, lastRun: last };
      }
      if (!(await running())) {
        // One more look: it may have answered or finished just before it stopped.
        if (!started && (await controls.readReply(id))) continue;
        if (started) {
          const last = (await store.load().catch(() => null))?.jobs[job.name]?.lastRun;
          if (last?.runId === started.runId) return { kind: 'finished', ...started, lastRun: last };
        }
        // Not taken: no scheduler started later should run it unasked.
        if (!started) await rm(path.join(controls.requestsDir, `${id}.json`), { force: true });
        return { kind: 'scheduler_stopped', runId: started?.runId ?? null, dir: started?.dir ?? null };
      }
      await sleep(pollMs);
    }
  } finally {
    await controls.removeReply(id);
  }
}
