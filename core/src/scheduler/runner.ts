import type { Job } from './project.js';

/** How a job run was started. */
export type Trigger = 'schedule' | 'catchup' | 'dependency' | 'manual';

/**
 * A run's result as the scheduler sees it. `busy`: another run held the pipeline or a destination
 * (nothing ran); `timed_out`: stopped at the job's timeout; `interrupted`: its process died without
 * finishing (killed with the scheduler, out of memory).
 */
export type RunOutcomeStatus = 'succeeded' | 'failed' | 'cancelled' | 'timed_out' | 'busy' | 'interrupted';

export interface RunOutcome {
  status: RunOutcomeStatus;
  exitCode: number | null;
  error?: { kind: string; message: string; hint?: string };
  /** Rows written by the run's sinks. */
  rows: number | null;
  qualityScore: number | null;
  /**
   * How long the run took by its own record, when it has one. A run that ended while the scheduler
   * was down is found ended only at the restart: the time until then is not the run's.
   */
  elapsedMs?: number;
}

export interface JobRunRequest {
  job: Job;
  runId: string;
  /** The run's folder (run.json, events.jsonl, artifacts). */
  dir: string;
  params: Record<string, string>;
  trigger: Trigger;
  attempt: number;
  /** The slot (ISO) the run is for, if any. */
  slot: string | null;
}

export interface RunningJob {
  /** The run's process, when it has one. */
  pid: number | null;
  done: Promise<RunOutcome>;
  /** Ask the run to stop (a cancel: destinations stay as they were). */
  terminate(): void;
  /** Stop it now (after `terminate` was ignored). */
  kill(): void;
}

/** Starts job runs and finds runs again after a restart. */
export interface JobRunner {
  start(request: JobRunRequest): RunningJob;
  /**
   * A run the scheduler recorded as running before it stopped: its process still running (follow
   * it to the end), or gone (its outcome from its run folder; a run that never finished is
   * `interrupted`). `pid` null: the scheduler stopped right after starting it.
   */
  reattach(run: { runId: string; dir: string; pid: number | null; pidStarted?: string }, request?: JobRunRequest): Promise<RunningJob | { outcome: RunOutcome } | { notStarted: true }>;
  /**
   * Notes in the run's record what only the scheduler knows (it was stopped at its timeout), so
   * the history (`caudal jobs history`) says what the scheduler's log says, with its timing
   * (from the spawn, as the timeout counts).
   */
  noteOutcome?(dir: string, error: { kind: string; message: string }, timing?: { startedAt: string; elapsedMs: number }): Promise<void>;
}
