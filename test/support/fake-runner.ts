import type { JobRunner, JobRunRequest, RunningJob, RunOutcome } from '../../core/src/scheduler/runner.js';
import type { LogEntry } from '../../core/src/scheduler/log.js';
import { StateStore, type SchedulerState } from '../../core/src/scheduler/state.js';

/**
 * A stand-in for run processes in the scheduler's fake-clock tests: each run is a "process" the
 * test ends when it likes. Processes outlive a scheduler instance (like the detached `caudal run`
 * children), so a restarted scheduler can find them again. It fails the test if two runs of one
 * job ever overlap.
 */
export interface FakeProcess {
  pid: number;
  request: JobRunRequest;
  alive: boolean;
  outcome?: RunOutcome;
  /** Set when the scheduler asked it to stop. */
  terminated: boolean;
  killed: boolean;
  /** What it does when asked to stop: end as cancelled (default) or ignore it. */
  onTerminate: 'cancel' | 'ignore';
  /** The run's own measure of its time, as its record gives it (which leaves out its process's start-up). */
  ownElapsedMs?: number;
  startedAt: number;
  finish(outcome?: Partial<RunOutcome>): void;
  waiters: Array<(o: RunOutcome) => void>;
}

export const ok: RunOutcome = { status: 'succeeded', exitCode: 0, rows: 10, qualityScore: null };
export const failed: RunOutcome = { status: 'failed', exitCode: 1, rows: null, qualityScore: null, error: { kind: 'execution', message: 'boom' } };

export class FakeRunner implements JobRunner {
  readonly processes: FakeProcess[] = [];
  /** Ends every new run at once with this outcome (or with the result of the function). */
  autoFinish: ((req: JobRunRequest) => Partial<RunOutcome> | undefined) | undefined;
  overlaps: string[] = [];
  /** What the scheduler noted in run records (noteOutcome). */
  readonly notes: Array<{ dir: string; error: { kind: string; message: string }; timing?: { startedAt: string; elapsedMs: number } }> = [];
  private nextPid = 1000;

  constructor(private readonly now: () => number) {}

  start(request: JobRunRequest): RunningJob {
    if (this.processes.some((p) => p.alive && p.request.job.name === request.job.name)) this.overlaps.push(request.job.name);
    const p: FakeProcess = {
      pid: this.nextPid++,
      request,
      alive: true,
      terminated: false,
      killed: false,
      onTerminate: 'cancel',
      startedAt: this.now(),
      waiters: [],
      finish: (o = {}) => {
        if (!p.alive) return;
        p.alive = false;
        p.outcome = { ...ok, ...o };
        for (const w of p.waiters) w(p.outcome);
      },
    };
    this.processes.push(p);
    const handle = this.handle(p);
    const auto = this.autoFinish?.(request);
    if (auto) queueMicrotask(() => p.finish(auto));
    return handle;
  }

  async reattach(run: { runId: string; pid: number | null }): Promise<RunningJob | { outcome: RunOutcome } | { notStarted: true }> {
    const p = this.processes.find((x) => x.request.runId === run.runId);
    if (!p) return { notStarted: true };
    if (p.alive) return this.handle(p);
    return { outcome: p.outcome! };
  }

  async noteOutcome(dir: string, error: { kind: string; message: string }, timing?: { startedAt: string; elapsedMs: number }): Promise<void> {
    this.notes.push({ dir, error, ...(timing ? { timing } : {}) });
  }

  /** The runs of a job, in start order. */
  runs(job: string): FakeProcess[] {
    return this.processes.filter((p) => p.request.job.name === job);
  }

  running(): FakeProcess[] {
    return this.processes.filter((p) => p.alive);
  }

  private handle(p: FakeProcess): RunningJob {
    return {
      pid: p.pid,
      done: new Promise((resolve) => (p.alive ? p.waiters.push(resolve) : resolve(p.outcome!))),
      terminate: () => {
        p.terminated = true;
        if (p.onTerminate === 'cancel') p.finish({ status: 'cancelled', exitCode: 143, error: { kind: 'cancelled', message: 'cancelled' }, ...(p.ownElapsedMs !== undefined ? { elapsedMs: p.ownElapsedMs } : {}) });
      },
      kill: () => {
        p.killed = true;
        p.finish({ status: 'interrupted', exitCode: null, error: { kind: 'execution', message: 'killed' } });
      },
    };
  }
}

/** A state store that stops writing once "killed", like a scheduler process after kill -9. */
export class KillableStore extends StateStore {
  dead = false;
  override async save(state: SchedulerState): Promise<void> {
    if (!this.dead) await super.save(state);
  }
  override saveSync(state: SchedulerState): void {
    if (!this.dead) super.saveSync(state);
  }
}

export function collectLog(): { entries: LogEntry[]; sink: (e: LogEntry) => void; events(name: string, job?: string): LogEntry[] } {
  const entries: LogEntry[] = [];
  return { entries, sink: (e) => entries.push(e), events: (name, job) => entries.filter((e) => e.event === name && (job === undefined || e.job === job)) };
}
