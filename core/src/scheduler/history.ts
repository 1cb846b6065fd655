import path from 'node:path';
import { defaultArtifactsDir } from '../engine/run-dirs.js';
import { listRuns, readRun, type StoredRun } from '../host/run-history.js';
import { ownerIsDead } from '../util/owner.js';
import type { Job, Project } from './project.js';
import type { LastRun, RunningEntry } from './state.js';

/** The runs folder of a pipeline file (`<its folder>/.caudal/runs`). */
export function runsDirOf(pipelineFile: string): string {
  return path.dirname(defaultArtifactsDir(path.dirname(pipelineFile), 'x'));
}

/**
 * Every recorded run of the project's pipelines (the studio's, `caudal run`'s and the scheduler's:
 * they share the run folders), newest first. A record left "running" by a process that is gone
 * reads as failed.
 */
export async function projectRuns(project: Project): Promise<StoredRun[]> {
  const pipelines = [...new Set(project.jobs.map((j) => j.pipeline))];
  const all = (await Promise.all(pipelines.map((p) => listRuns(runsDirOf(p), p, Number.MAX_SAFE_INTEGER)))).flat();
  return all.map(settle).sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.runId.localeCompare(a.runId));
}

/** Runs of one job, newest first. */
export async function jobRuns(project: Project, job: Job, limit: number): Promise<StoredRun[]> {
  const runs = await listRuns(runsDirOf(job.pipeline), job.pipeline, Number.MAX_SAFE_INTEGER);
  return runs.filter((r) => r.job === job.name).map(settle).slice(0, limit);
}

function settle(r: StoredRun): StoredRun {
  if (r.status === 'running' && r.owner && ownerIsDead(r.owner)) return { ...r, status: 'failed', error: { kind: 'interrupted', message: `the process running this run (pid ${r.owner.pid}) stopped before it finished` } };
  return r;
}

/**
 * A run's status in the scheduler's terms (its log, `jobs list`): a record says only succeeded,
 * failed or cancelled; its error kind tells a timeout (`timed_out`, which the scheduler retries and
 * alerts, unlike a cancel), a run that found its pipeline or a destination busy, and one whose
 * process died (`interrupted`).
 */
export function jobRunStatus(r: StoredRun): 'running' | 'succeeded' | 'failed' | 'cancelled' | 'timed_out' | 'busy' | 'interrupted' {
  const kind = r.error?.kind;
  if (r.status === 'succeeded' || r.status === 'running') return r.status;
  if (kind === 'timeout') return 'timed_out';
  if (kind === 'busy') return 'busy';
  if (kind === 'interrupted') return 'interrupted';
  return r.status;
}

/**
 * The outcome of a run the scheduler's state still calls running, from the run's own record, once
 * that run is over: a run that ended while no scheduler ran is recorded only in its folder until a
 * scheduler starts again. Null while the record says it runs (or there is none).
 */
export async function endedRun(entry: RunningEntry): Promise<LastRun | null> {
  const stored = await readRun(entry.dir);
  if (!stored) return null;
  const record = settle(stored);
  if (record.status === 'running') return null;
  const status = jobRunStatus(record);
  if (status === 'running') return null;
  const started = Date.parse(record.startedAt);
  const elapsedMs = record.elapsedMs ?? 0;
  return {
    runId: entry.runId,
    status,
    startedAt: record.startedAt,
    finishedAt: new Date(started + elapsedMs).toISOString(),
    elapsedMs,
    attempt: entry.attempt,
    trigger: entry.trigger,
    slot: entry.slot,
    rows: record.rows,
    qualityScore: record.qualityScore,
    ...(record.error ? { error: { kind: record.error.kind, message: record.error.message, ...(record.error.hint ? { hint: record.error.hint } : {}) } } : {}),
  };
}
