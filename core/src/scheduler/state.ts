import { jsonSyntaxWhere } from '../model/json-syntax.js';
import { renameSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { atomicTempName, writeFileAtomic } from '../util/atomic-write.js';
import { CaudalError } from '../util/errors.js';
import { PROJECT_FILE } from './project.js';

/**
 * The scheduler's own state, persisted on every change (`.caudal/scheduler/state.json` next to the
 * project file): the last slot handled per job (catchup after downtime), what is running (found
 * again after a restart, never run twice), pending retries and queued runs, and the last outcome.
 * Only the scheduler process writes it; the studio and `caudal jobs` read it.
 */
export const STATE_FORMAT = 'caudal.scheduler-state/1';

const trigger = z.enum(['schedule', 'catchup', 'dependency', 'manual']);
const iso = z.string();

export const runningSchema = z.object({
  runId: z.string(),
  dir: z.string(),
  /** Null between writing this entry and starting the process. */
  pid: z.number().nullable(),
  /** When that process started (owner.ts, Linux): a restarted scheduler follows the pid only if it still names that process. */
  pidStarted: z.string().optional(),
  startedAt: iso,
  attempt: z.int(),
  trigger,
  slot: iso.nullable(),
  /** The expected-duration alert went out (not again after a restart). */
  durationAlerted: z.boolean().default(false),
  /** The scheduler stopped it at its timeout (a restart records a timeout, not a cancel). */
  timedOut: z.boolean().optional(),
  /** `--param` overrides of the `caudal jobs run` that asked for it (kept for its retries). */
  params: z.record(z.string(), z.string()).optional(),
});

export const lastRunSchema = z.object({
  runId: z.string(),
  status: z.enum(['succeeded', 'failed', 'cancelled', 'timed_out', 'busy', 'interrupted']),
  startedAt: iso,
  finishedAt: iso,
  elapsedMs: z.number(),
  attempt: z.int(),
  trigger,
  slot: iso.nullable(),
  rows: z.number().nullable(),
  qualityScore: z.number().nullable(),
  error: z.object({ kind: z.string(), message: z.string(), hint: z.string().optional() }).optional(),
});

const pendingSchema = z.object({
  trigger,
  slot: iso.nullable(),
  attempt: z.int(),
  since: iso,
  /** The run request it answers (`caudal jobs run` waits for the reply). */
  request: z.string().optional(),
  params: z.record(z.string(), z.string()).optional(),
});

export const jobStateSchema = z.object({
  /** The latest cron slot handled (run, skipped or missed). */
  lastSlot: iso.nullable().default(null),
  running: runningSchema.nullable().default(null),
  /** A run waiting to start: for a free place (max_parallel_runs), after an overlapping run, or a manual request. */
  queued: pendingSchema.nullable().default(null),
  /** A failed run's next attempt and when. */
  retry: pendingSchema.extend({ at: iso }).nullable().default(null),
  lastRun: lastRunSchema.nullable().default(null),
  lastSuccess: z.object({ at: iso, slot: iso.nullable() }).nullable().default(null),
  /** Per upstream job: the success this job already ran after (depends_on). */
  upstreamSeen: z.record(z.string(), iso).default({}),
});

export const stateSchema = z.object({
  format: z.literal(STATE_FORMAT),
  jobs: z.record(z.string(), jobStateSchema),
});

export type JobState = z.infer<typeof jobStateSchema>;
export type SchedulerState = z.infer<typeof stateSchema>;
export type RunningEntry = z.infer<typeof runningSchema>;
export type LastRun = z.infer<typeof lastRunSchema>;

/**
 * Whose scheduler: a project (its file), or a folder meaning the `caudal.project.json` in it.
 * Each project file has its own lock, state, pause file, requests and log: two project files in
 * one folder (`nightly.project.json`, `hourly.project.json`) are two schedulers, whatever their
 * jobs are called.
 */
export type SchedulerOwner = string | { file: string };

/**
 * The scheduler folder of a project file. `caudal.project.json` keeps `.caudal/scheduler/`, where
 * every version has kept it; another file name gets `.caudal/scheduler/projects/<file name>/`.
 * (A folder holding an older version's state of such a file is adopted by `adoptLegacyState`.)
 */
export function schedulerDir(owner: SchedulerOwner): string {
  if (typeof owner === 'string') return path.join(owner, '.caudal', 'scheduler');
  const shared = path.join(path.dirname(owner.file), '.caudal', 'scheduler');
  const name = path.basename(owner.file);
  return name === PROJECT_FILE ? shared : path.join(shared, 'projects', name);
}

export function emptyJobState(): JobState {
  return jobStateSchema.parse({});
}

export class StateStore {
  readonly file: string;
  constructor(owner: SchedulerOwner) {
    this.file = path.join(schedulerDir(owner), 'state.json');
  }

  /** The saved state; a missing file is a fresh start, a corrupt one an error (never silently reset). */
  async load(): Promise<SchedulerState> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { format: STATE_FORMAT, jobs: {} };
      throw e;
    }
    const hint = `move it aside (e.g. \`mv ${this.file} ${this.file}.bad\`) to start afresh: jobs then start from now, without catching up`;
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      // An empty or cut file (a full disk, a copy stopped half way): never read as an empty state.
      const what = text.trim() === '' ? 'it is empty' : `it is not valid JSON${jsonSyntaxWhere(text)}`;
      throw new CaudalError('io', `the scheduler state file ${this.file} cannot be read: ${what}`, { hint });
    }
    const parsed = stateSchema.safeParse(raw);
    if (!parsed.success) throw new CaudalError('io', `${this.file} is not a scheduler state file (${parsed.error.issues[0]?.message})`, { hint });
    return parsed.data;
  }

  save(state: SchedulerState): Promise<void> {
    return writeFileAtomic(this.file, JSON.stringify(state) + '\n');
  }

  /** For the moment right after a process starts: no await between the start and the record of its pid. */
  saveSync(state: SchedulerState): void {
    const tmp = atomicTempName(this.file);
    writeFileSync(tmp, JSON.stringify(state) + '\n');
    renameSync(tmp, this.file);
  }
}
