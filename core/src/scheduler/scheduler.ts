import os from 'node:os';
import path from 'node:path';
import { defaultArtifactsDir } from '../engine/run-dirs.js';
import { newRunId } from '../host/run-recorder.js';
import { processStarted } from '../util/owner.js';
import { errorMessage } from '../util/errors.js';
import type { Alert, AlertNotifier } from './alert-types.js';
import { type Clock, systemClock, type Timer } from './clock.js';
import { Controls, type RunReply } from './controls.js';
import { CronSchedule } from './cron.js';
import type { LogEntry, LogLevel, LogSink } from './log.js';
import { expandParams } from './params.js';
import type { Job, Project } from './project.js';
import { retryDelayMs } from './retry.js';
import type { JobRunner, RunningJob, RunOutcome, Trigger } from './runner.js';
import { emptyJobState, type JobState, type SchedulerState, StateStore } from './state.js';

/** A slot found this late is still run as scheduled; later ones count as missed (see `catchup`). */
export const ON_TIME_GRACE_MS = 60_000;
/** The scheduler wakes at least this often (clock jumps, suspend, pause files, requests). */
export const MAX_SLEEP_MS = 60_000;
/** After a timeout's cancel, how long a run gets to clean up before it is killed. */
export const KILL_GRACE_MS = 30_000;
/** After an error (a full disk refusing the state file), the next try: soon, but not in a busy loop. */
export const ERROR_RETRY_MS = 10_000;
/**
 * A last handled slot this far ahead of the clock means the clock was set back a long way (NTP
 * fixing a clock that ran ahead, a wrong date typed in): the schedule restarts from the corrected
 * clock, as Vixie cron does past three hours. A shorter step back keeps the slots already handled
 * (they do not run twice); slots come again once the clock passes them.
 */
export const CLOCK_BACK_REBASE_MS = 3 * 3600_000;

export interface SchedulerOptions {
  project: Project;
  runner: JobRunner;
  log: LogSink;
  clock?: Clock;
  store?: StateStore;
  controls?: Controls;
  notify?: AlertNotifier;
  /** Called after each finished run (history retention). */
  afterRun?: () => Promise<void>;
  /** Longest sleep between wakes (default MAX_SLEEP_MS; fake-clock tests stretch it). */
  maxSleepMs?: number;
}

interface Tracked {
  handle: RunningJob;
  timers: Timer[];
  timedOut: boolean;
  settled: Promise<void>;
}

type Pending = { trigger: Trigger; slot: string | null; attempt: number; since: string; request?: string; params?: Record<string, string> };

const iso = (t: number) => new Date(t).toISOString();

/**
 * A job's parsed schedule, made when needed and not kept: a croner object holds about 80 KB (its
 * pattern tables), which is 80 MB for 1,000 idle jobs; the scheduler keeps only each job's next
 * slot, a number, and parses again (about a millisecond) when that slot comes.
 */
function cronOf(job: Job): CronSchedule | null {
  return job.schedule ? new CronSchedule(job.schedule, job.timezone) : null;
}

/**
 * The local scheduler: starts each job's runs on its cron schedule (or after the jobs it depends
 * on), never two runs of one job at a time and at most `max_parallel_runs` in all, retries failures
 * with backoff, stops runs at their timeout, sends alerts, and catches up (or not) on slots missed
 * while it was not running. Every change of its state is written before it acts on it, so a
 * scheduler killed mid-run and started again follows the runs still going, records the ones that
 * ended, and never starts a slot twice. All work happens in one queue (`enqueue`): timers, finished
 * runs and requests never interleave.
 */
export class Scheduler {
  private state: SchedulerState = { format: 'caudal.scheduler-state/1', jobs: {} };
  private readonly clock: Clock;
  private readonly store: StateStore;
  private readonly controls: Controls;
  private readonly nextSlotCache = new Map<string, number | null>();
  private readonly tracked = new Map<string, Tracked>();
  private readonly alertsInFlight = new Set<Promise<void>>();
  private readonly jobs: Map<string, Job>;
  private paused: Record<string, unknown> = {};
  private wake: Timer | undefined;
  private chain: Promise<void> = Promise.resolve();
  private stopping = false;
  /** The saved state has been read (nothing is written before). */
  private loaded = false;
  /** Why the pause file could not be read at the last wake (logged once per cause). */
  private pauseProblem: string | null = null;

  constructor(private readonly opts: SchedulerOptions) {
    this.clock = opts.clock ?? systemClock;
    this.store = opts.store ?? new StateStore(opts.project);
    this.controls = opts.controls ?? new Controls(opts.project);
    this.jobs = new Map(opts.project.jobs.map((j) => [j.name, j]));
  }

  /**
   * Loads the saved state, finds the runs that were going when it stopped, then schedules. A state
   * file that cannot be read rejects, and the scheduler never runs on from an empty state (it would
   * run nothing it should and overwrite the file): it stays stopped and writes nothing.
   */
  start(): Promise<void> {
    const started = this.chain.then(async () => {
      this.state = await this.store.load();
      // As with the state: a pause file that cannot be read stops the start (it would run paused jobs).
      this.paused = await this.controls.paused();
      this.loaded = true;
      const now = this.clock.now();
      const firstSeen = new Set(this.opts.project.jobs.filter((j) => !this.state.jobs[j.name]).map((j) => j.name));
      for (const job of this.opts.project.jobs) {
        const s = (this.state.jobs[job.name] ??= emptyJobState());
        // A job seen for the first time starts from now: no backfill of its past.
        if (job.schedule && s.lastSlot === null) s.lastSlot = iso(now);
        // Nor does a dependent job: it waits for its upstream jobs' next success, not one of days ago.
        if (firstSeen.has(job.name))
          for (const d of job.dependsOn) {
            const up = this.state.jobs[d]?.lastSuccess;
            if (up && !firstSeen.has(d)) s.upstreamSeen[d] = up.at;
          }
      }
      this.log('info', 'scheduler_started', `scheduler started for project '${this.opts.project.name}' (${this.opts.project.jobs.length} jobs, pid ${process.pid})`);
      for (const [name, s] of Object.entries(this.state.jobs)) if (s.running) await this.reattach(name, s);
      await this.tick();
    });
    this.chain = started.catch((e: unknown) => {
      if (this.loaded) {
        // The state is read: a later step failed; scheduling goes on from it, as after any error.
        this.log('error', 'scheduler_error', `scheduler error: ${errorMessage(e)}`);
        if (!this.stopping) this.armWakeAfterError();
      } else this.stopping = true;
    });
    // Only a failed load rejects: later errors are logged above, as in any tick.
    return started.catch((e: unknown) => {
      if (!this.loaded) throw e;
    });
  }

  /**
   * Stops scheduling. Running jobs finish first (SIGTERM semantics); with `cancelRuns` they are
   * cancelled (destinations stay as they were). Queued runs and retries stay in the state for the
   * next start.
   */
  async stop(opts: { cancelRuns?: boolean } = {}): Promise<void> {
    this.stopping = true;
    this.wake?.cancel();
    if (opts.cancelRuns) this.cancelRuns();
    await Promise.all([...this.tracked.values()].map((t) => t.settled));
    await this.chain;
    await Promise.all([...this.alertsInFlight]);
    if (!this.loaded) return;
    // Every change was written when it was made; a last write refused (a full disk) loses nothing
    // and must not turn a clean stop into a crash that leaves the lock behind.
    await this.store.save(this.state).catch((e: unknown) => this.log('warn', 'state_write_failed', `could not write the scheduler state on stop: ${errorMessage(e)}`));
    this.log('info', 'scheduler_stopped', 'scheduler stopped');
  }

  /** Cancels every running run (a second SIGTERM). */
  cancelRuns(): void {
    for (const [job, t] of this.tracked) {
      this.log('warn', 'run_cancelling', `cancelling run ${this.state.jobs[job]?.running?.runId}`, { job });
      t.handle.terminate();
    }
  }

  get runningCount(): number {
    return this.tracked.size;
  }

  /** A copy of the state (tests, the studio through the file). */
  snapshot(): SchedulerState {
    return structuredClone(this.state);
  }

  /** Resolves when queued work and sent alerts are done (tests). */
  async idle(): Promise<void> {
    for (;;) {
      const chain = this.chain;
      await chain;
      await Promise.all([...this.alertsInFlight]);
      await new Promise((r) => setImmediate(r));
      if (chain === this.chain) return;
    }
  }

  /** Asks for a run now (the same as a request file). */
  runNow(jobName: string): Promise<void> {
    return this.enqueue(async () => {
      await this.request(jobName, this.clock.now());
      await this.tick();
    });
  }

  /** Re-reads the pause file and the requests folder now (their watcher calls this). */
  poke(): Promise<void> {
    return this.enqueue(() => this.tick());
  }

  private enqueue(fn: () => Promise<void>): Promise<void> {
    const next = this.chain.then(fn).catch((e: unknown) => {
      this.log('error', 'scheduler_error', `scheduler error: ${errorMessage(e)}`);
      if (!this.stopping) this.armWakeAfterError();
    });
    this.chain = next;
    return next;
  }

  private async tick(): Promise<void> {
    if (this.stopping) return;
    const now = this.clock.now();
    this.paused = await this.readPaused();
    for (const r of await this.controls.takeRequests()) await this.request(r.job, now, r);
    for (const job of this.opts.project.jobs) {
      this.noticeClockSetBack(job, now);
      this.considerSlots(job, now);
      this.considerUpstream(job, now);
      this.dropWhilePaused(job);
    }
    await this.startReady(now);
    await this.store.save(this.state);
    this.armWake(now);
  }

  /** The pause file; one that became unreadable keeps the jobs paused as they were (logged once). */
  private async readPaused(): Promise<Record<string, unknown>> {
    try {
      const paused = await this.controls.paused();
      this.pauseProblem = null;
      return paused;
    } catch (e) {
      const message = errorMessage(e);
      if (message !== this.pauseProblem) {
        const kept = Object.keys(this.paused);
        this.log('error', 'pause_file_unreadable', `${message}; ${kept.length > 0 ? `${kept.join(', ')} stay${kept.length === 1 ? 's' : ''} paused` : 'no job was paused'} until it is fixed`);
        this.pauseProblem = message;
      }
      return this.paused;
    }
  }

  private jobState(name: string): JobState {
    return (this.state.jobs[name] ??= emptyJobState());
  }

  private isPaused(job: Job): boolean {
    return job.paused || job.name in this.paused;
  }

  /**
   * A paused job starts nothing by itself: a queued scheduled, catch-up or dependency run and a
   * pending retry are dropped (not kept for after the resume, which would run a stale slot then).
   * A run someone asked for (`jobs run`, the studio's Run now) still runs.
   */
  private dropWhilePaused(job: Job): void {
    if (!this.isPaused(job)) return;
    const s = this.jobState(job.name);
    if (s.queued && s.queued.trigger !== 'manual') {
      const what = s.queued.slot ? `the ${s.queued.slot} run` : 'the queued run';
      this.log('info', 'slot_skipped', `${what} is skipped: the job is paused`, { job: job.name, reason: 'paused' });
      s.queued = null;
    }
    if (s.retry) {
      this.log('info', 'slot_skipped', `attempt ${s.retry.attempt}${s.retry.slot ? ` of the ${s.retry.slot} run` : ''} is skipped: the job is paused`, { job: job.name, reason: 'paused' });
      s.retry = null;
    }
  }

  private nextSlot(job: Job): number | null {
    if (!this.nextSlotCache.has(job.name)) {
      const last = this.jobState(job.name).lastSlot;
      this.nextSlotCache.set(job.name, last === null || !job.schedule ? null : cronOf(job)!.next(Date.parse(last)));
    }
    return this.nextSlotCache.get(job.name)!;
  }

  /**
   * The clock went back (see CLOCK_BACK_REBASE_MS): a last slot far ahead of it would hold the job
   * until the clock catches up, years for a clock that ran years ahead; a pending retry waits its
   * delay from now, not from the time the clock showed when it was set.
   */
  private noticeClockSetBack(job: Job, now: number): void {
    const s = this.jobState(job.name);
    if (s.lastSlot !== null && Date.parse(s.lastSlot) - now > CLOCK_BACK_REBASE_MS) {
      this.log('warn', 'clock_moved_back', `the clock is behind the last slot handled (${s.lastSlot}): it was set back; the schedule goes on from now (${iso(now)})`, { job: job.name, lastSlot: s.lastSlot });
      s.lastSlot = iso(now);
      this.nextSlotCache.delete(job.name);
    }
    // A retry is never set further ahead than max_delay_s: one that is was set by a clock since set back.
    if (s.retry && Date.parse(s.retry.at) - now > job.retries.max_delay_s * 1000 + ON_TIME_GRACE_MS) {
      const at = iso(now + retryDelayMs(job.retries, s.retry.attempt - 1));
      this.log('warn', 'clock_moved_back', `attempt ${s.retry.attempt} was due at ${s.retry.at}, by a clock since set back: it is due at ${at}`, { job: job.name, attempt: s.retry.attempt });
      s.retry.at = at;
    }
  }

  /** Cron slots that came due since the last one handled: run the latest if on time, else apply `catchup`. */
  private considerSlots(job: Job, now: number): void {
    const s = this.jobState(job.name);
    if (!job.schedule || s.lastSlot === null) return;
    const next = this.nextSlot(job);
    if (next === null || next > now) return;
    const cron = cronOf(job)!;
    // slotsBetween lists at most a thousand (a week off with a per-minute cron is ten thousand):
    // they count what was missed; the latest comes from the cron itself, never the thousandth.
    const { slots, more } = cron.slotsBetween(Date.parse(s.lastSlot), now);
    const found = cron.latestAtOrBefore(now);
    const latest = found !== null && found <= now ? Math.max(found, slots.at(-1)!) : slots.at(-1)!;
    s.lastSlot = iso(latest);
    this.nextSlotCache.delete(job.name);
    const onTime = now - latest <= ON_TIME_GRACE_MS;
    const missed = slots.length + (more ? 1 : 0) - (onTime ? 1 : 0);
    if (missed > 0) {
      const policy = this.isPaused(job) ? 'the job is paused: not run' : onTime ? 'the latest runs now' : job.catchup === 'run_once' ? 'catchup run_once: running once for the latest' : 'catchup skip: not run';
      this.log('warn', 'slots_missed', `${missed}${more ? '+' : ''} scheduled run${missed === 1 && !more ? '' : 's'} missed while the scheduler was not running (latest ${iso(latest)}); ${policy}`, { job: job.name, missed, latest: iso(latest) });
    }
    const trigger: Trigger | null = onTime ? 'schedule' : job.catchup === 'run_once' ? 'catchup' : null;
    if (!trigger) return;
    if (this.isPaused(job)) {
      this.log('info', 'slot_skipped', `the ${iso(latest)} run is skipped: the job is paused`, { job: job.name, reason: 'paused' });
      return;
    }
    this.want(job, { trigger, slot: iso(latest), attempt: 1, since: iso(now) });
  }

  /** depends_on: run once every upstream job has succeeded since this job last ran after them. */
  private considerUpstream(job: Job, now: number): void {
    if (job.dependsOn.length === 0) return;
    const s = this.jobState(job.name);
    const ups = job.dependsOn.map((d) => this.jobState(d).lastSuccess);
    if (ups.some((u) => u === null)) return;
    // A new success is one this job has not run after: told by its time as written, not by which
    // is later (a clock set back makes the next success look older than the last one).
    const fresh = job.dependsOn.every((d, i) => s.upstreamSeen[d] === undefined || ups[i]!.at !== s.upstreamSeen[d]);
    if (!fresh || s.running || s.retry || s.queued) return;
    job.dependsOn.forEach((d, i) => (s.upstreamSeen[d] = ups[i]!.at));
    if (this.isPaused(job)) {
      this.log('info', 'slot_skipped', `not run after ${job.dependsOn.join(', ')}: the job is paused`, { job: job.name, reason: 'paused' });
      return;
    }
    // The run is for the slot its upstream runs were for: {scheduled_date} agrees along a chain.
    const slots = ups.map((u) => u!.slot).filter((x): x is string => x !== null).sort();
    this.want(job, { trigger: 'dependency', slot: slots.at(-1) ?? null, attempt: 1, since: iso(now) });
  }

  private async request(jobName: string, now: number, from?: { id: string; params?: Record<string, string>; repeat?: boolean }): Promise<void> {
    const job = this.jobs.get(jobName);
    if (!job) {
      const message = `a run was requested for '${jobName}', which is not a job of this project`;
      this.log('warn', 'request_ignored', message);
      if (from) await this.replyTo(from.id, { status: 'skipped', message });
      return;
    }
    // A `jobs run --wait` asks again every second while a run of the job waits to start: a manual
    // request is skipped exactly then, and its first skip was logged already.
    const quiet = from?.repeat === true && this.jobState(jobName).queued !== null;
    if (!quiet) this.log('info', 'run_requested', 'run requested', { job: jobName });
    const skipped = this.want(job, { trigger: 'manual', slot: null, attempt: 1, since: iso(now), ...(from ? { request: from.id } : {}), ...(from?.params ? { params: from.params } : {}) }, { quiet });
    if (from && skipped) await this.replyTo(from.id, { status: 'skipped', message: skipped, retryable: true });
  }

  /** Answers a `caudal jobs run` waiting for its request; a failure to answer never stops scheduling. */
  private async replyTo(id: string, reply: RunReply): Promise<void> {
    await this.controls.reply(id, reply).catch((e: unknown) => this.log('warn', 'reply_failed', `could not answer run request ${id}: ${errorMessage(e)}`));
  }

  /** A run is wanted: start it when the job is free, or apply `on_overlap`. Returns why it was skipped, if it was. */
  private want(job: Job, p: Pending, opts: { quiet?: boolean } = {}): string | null {
    const s = this.jobState(job.name);
    if (!s.running && !s.retry && !s.queued) {
      s.queued = p;
      return null;
    }
    const what = p.slot ? `the ${p.slot} run` : 'the requested run';
    if (s.queued) {
      const message = `${what} is skipped: a run is already waiting to start`;
      if (!opts.quiet) this.log('info', 'slot_skipped', message, { job: job.name, reason: 'already_queued' });
      return message;
    } else if (job.onOverlap === 'queue' || p.trigger === 'manual') {
      s.queued = p;
      this.log('info', 'run_queued', `${what} waits for the current run to finish`, { job: job.name });
      return null;
    } else {
      const current = s.running ? `run ${s.running.runId} is still running` : `run ${s.lastRun?.runId} is waiting for its retry`;
      const message = `${what} is skipped: ${current} (on_overlap: skip)`;
      this.log('info', 'slot_skipped', message, { job: job.name, reason: 'overlap' });
      return message;
    }
  }

  /** Starts due retries and queued runs, oldest first, while there is room. */
  private async startReady(now: number): Promise<void> {
    const ready: Array<{ job: Job; p: Pending; from: 'retry' | 'queued' }> = [];
    for (const job of this.opts.project.jobs) {
      const s = this.jobState(job.name);
      if (s.running) continue;
      if (s.retry) {
        if (Date.parse(s.retry.at) <= now) ready.push({ job, p: s.retry, from: 'retry' });
      } else if (s.queued) ready.push({ job, p: s.queued, from: 'queued' });
    }
    ready.sort((a, b) => a.p.since.localeCompare(b.p.since));
    for (const r of ready) {
      if (this.tracked.size >= this.opts.project.maxParallelRuns) {
        this.log('info', 'run_waiting', `waiting for a free place (max_parallel_runs ${this.opts.project.maxParallelRuns})`, { job: r.job.name });
        continue;
      }
      await this.startRun(r.job, r.p, r.from, now);
    }
  }

  private async startRun(job: Job, p: Pending, from: 'retry' | 'queued', now: number): Promise<void> {
    const s = this.jobState(job.name);
    const runId = newRunId(new Date(now));
    const dir = defaultArtifactsDir(path.dirname(job.pipeline), runId);
    s[from] = null;
    s.running = { runId, dir, pid: null, startedAt: iso(now), attempt: p.attempt, trigger: p.trigger, slot: p.slot, durationAlerted: false, ...(p.params ? { params: p.params } : {}) };
    // On disk before the process exists: a restart then knows this run may have started.
    try {
      await this.store.save(this.state);
    } catch (e) {
      // Not started, and not to be left "running" (it would hold the job for ever): it waits again.
      s.running = null;
      if (from === 'retry') s.retry = p as NonNullable<JobState['retry']>;
      else s.queued = p;
      throw new Error(`run ${runId} of '${job.name}' not started, it waits: the scheduler state cannot be written (${errorMessage(e)})`, { cause: e });
    }
    // `caudal jobs run` waits for this: it then follows the run to its end in the state.
    if (p.request) await this.replyTo(p.request, { status: 'started', runId, dir });
    let handle: RunningJob;
    try {
      handle = this.opts.runner.start({ job, runId, dir, params: { ...expandParams(job.params, p.slot ? Date.parse(p.slot) : now, job.timezone), ...p.params }, trigger: p.trigger, attempt: p.attempt, slot: p.slot });
    } catch (e) {
      await this.finish(job, { status: 'failed', exitCode: null, rows: null, qualityScore: null, error: { kind: 'execution', message: `could not start the run: ${errorMessage(e)}` } }, false);
      return;
    }
    s.running.pid = handle.pid;
    s.running.pidStarted = handle.pid === null ? undefined : processStarted(handle.pid);
    // Followed before anything else can fail: a run whose end nobody awaits holds its job for ever.
    this.track(job, handle);
    const attempt = p.attempt > 1 ? `, attempt ${p.attempt} of ${job.retries.count + 1}` : '';
    this.log('info', 'run_started', `run ${runId} started (${p.trigger}${p.slot ? ` ${p.slot}` : ''}${attempt})`, { job: job.name, runId, trigger: p.trigger, slot: p.slot, attempt: p.attempt, pid: handle.pid });
    try {
      this.store.saveSync(this.state);
    } catch (e) {
      // The next write records the pid; until then a restart finds the run by its record (START_GRACE_MS).
      this.log('warn', 'state_write_failed', `could not record the process of run ${runId} in the scheduler state: ${errorMessage(e)}`, { job: job.name, runId });
    }
  }

  private async reattach(name: string, s: JobState): Promise<void> {
    const r = s.running!;
    const job = this.jobs.get(name);
    const request = job ? { job, runId: r.runId, dir: r.dir, params: { ...expandParams(job.params, r.slot ? Date.parse(r.slot) : Date.parse(r.startedAt), job.timezone), ...r.params }, trigger: r.trigger, attempt: r.attempt, slot: r.slot } : undefined;
    const found = await this.opts.runner.reattach(r, request);
    if (!job) {
      this.log('warn', 'job_removed', `job '${name}' is no longer in the project; its run ${r.runId} is left to finish on its own (see ${r.dir})`, { job: name, runId: r.runId });
      s.running = null;
      return;
    }
    if ('notStarted' in found) {
      this.log('warn', 'run_not_started', `run ${r.runId} never started (the scheduler stopped first); it is queued again`, { job: name, runId: r.runId });
      s.running = null;
      s.queued ??= { trigger: r.trigger, slot: r.slot, attempt: r.attempt, since: r.startedAt, ...(r.params ? { params: r.params } : {}) };
    } else if ('outcome' in found) {
      this.log('info', 'run_reattached', `run ${r.runId} ended while the scheduler was not running`, { job: name, runId: r.runId });
      // Stopped at its timeout by the scheduler before this one: a timeout (retried, alerted), not a cancel.
      await this.finish(job, found.outcome, r.timedOut === true);
    } else {
      this.log('info', 'run_reattached', `run ${r.runId} (pid ${found.pid}) is still running; following it`, { job: name, runId: r.runId });
      this.track(job, found);
    }
  }

  /** Timeout, expected-duration alert and the end of a run. */
  private track(job: Job, handle: RunningJob): void {
    const s = this.jobState(job.name);
    const r = s.running!;
    const started = Date.parse(r.startedAt);
    const t: Tracked = { handle, timers: [], timedOut: r.timedOut === true, settled: Promise.resolve() };
    if (job.timeoutS !== null) {
      t.timers.push(
        this.clock.at(started + job.timeoutS * 1000, () => {
          t.timedOut = true;
          this.log('warn', 'run_timed_out', `run ${r.runId} passed its timeout of ${job.timeoutS} s: cancelling it`, { job: job.name, runId: r.runId });
          handle.terminate();
          t.timers.push(this.clock.at(this.clock.now() + KILL_GRACE_MS, () => handle.kill()));
          // On disk: a scheduler killed while the run stops still records a timeout, not a cancel.
          void this.enqueue(async () => {
            if (s.running?.runId !== r.runId || s.running.timedOut) return;
            s.running.timedOut = true;
            await this.store.save(this.state);
          });
        }),
      );
    }
    const expected = job.alerts.expected_duration_s;
    if (expected !== undefined && !r.durationAlerted) {
      t.timers.push(
        this.clock.at(started + expected * 1000, () => {
          void this.enqueue(async () => {
            if (s.running?.runId !== r.runId) return;
            s.running.durationAlerted = true;
            await this.store.save(this.state);
            this.alert(job, { kind: 'duration', message: `job '${job.name}' has been running for more than its expected ${expected} s`, elapsedMs: this.clock.now() - started, expectedMs: expected * 1000 }, r);
          });
        }),
      );
    }
    this.tracked.set(job.name, t);
    t.settled = handle.done.then(
      (outcome) => this.enqueue(() => this.finish(job, outcome, t.timedOut)),
      (e: unknown) => this.enqueue(() => this.finish(job, { status: 'interrupted', exitCode: null, rows: null, qualityScore: null, error: { kind: 'execution', message: errorMessage(e) } }, t.timedOut)),
    );
  }

  /** Records a run's end, then retries, alerts and dependent jobs follow from it. */
  private async finish(job: Job, outcome: RunOutcome, timedOut: boolean): Promise<void> {
    const s = this.jobState(job.name);
    const r = s.running;
    const t = this.tracked.get(job.name);
    t?.timers.forEach((x) => x.cancel());
    this.tracked.delete(job.name);
    if (!r) return;
    const now = this.clock.now();
    const status = timedOut && outcome.status !== 'succeeded' ? 'timed_out' : outcome.status;
    const error = status === 'timed_out' ? { kind: 'timeout', message: `stopped after its timeout of ${job.timeoutS} s` } : outcome.error;
    s.running = null;
    // Watched to its end (tracked), a run lasted from its spawn until now: the clock its timeout runs
    // on; its own record leaves out its process's start-up (a run stopped at a 2 s timeout said
    // "timed out after 1.1 s"). Otherwise the run's own measure when its record has one: one that
    // ended while the scheduler was down ended long before this restart noticed it.
    const started = Date.parse(r.startedAt);
    const elapsedMs = t ? now - started : (outcome.elapsedMs ?? now - started);
    const finishedAt = t || outcome.elapsedMs === undefined ? now : Math.min(now, started + elapsedMs);
    s.lastRun = { runId: r.runId, status, startedAt: r.startedAt, finishedAt: iso(finishedAt), elapsedMs, attempt: r.attempt, trigger: r.trigger, slot: r.slot, rows: outcome.rows, qualityScore: outcome.qualityScore, error };
    const level: LogLevel = status === 'succeeded' ? 'info' : status === 'busy' ? 'warn' : 'error';
    const detail = error ? `: ${error.message}` : '';
    this.log(level, 'run_finished', `run ${r.runId} ${status.replace('_', ' ')} after ${Math.round(elapsedMs / 100) / 10} s${detail}`, { job: job.name, runId: r.runId, status, elapsedMs: s.lastRun.elapsedMs, rows: outcome.rows, qualityScore: outcome.qualityScore, exitCode: outcome.exitCode });
    if (status === 'succeeded') s.lastSuccess = { at: iso(now), slot: r.slot };
    else if (status === 'failed' || status === 'timed_out' || status === 'interrupted' || status === 'busy') {
      // A busy run did nothing (another run held its pipeline or a destination): its slot is not
      // lost but retried like a failure. A retry found while stopping stays in the state and
      // starts with the next scheduler.
      if (r.attempt <= job.retries.count) {
        const delay = retryDelayMs(job.retries, r.attempt);
        s.retry = { trigger: r.trigger, slot: r.slot, attempt: r.attempt + 1, since: iso(now), at: iso(now + delay), ...(r.params ? { params: r.params } : {}) };
        this.log('info', 'retry_scheduled', `attempt ${r.attempt + 1} of ${job.retries.count + 1} at ${iso(now + delay)} (in ${Math.round(delay / 1000)} s)`, { job: job.name, runId: r.runId, attempt: r.attempt + 1 });
      } else if (job.alerts.on_failure) {
        this.alert(job, { kind: 'failure', message: `job '${job.name}' ${status === 'timed_out' ? 'timed out' : status === 'interrupted' ? 'was interrupted' : status === 'busy' ? 'could not run (busy)' : 'failed'}${r.attempt > 1 ? ` after ${r.attempt} attempts` : ''}${detail}`, status, error }, r);
      }
    }
    const threshold = job.alerts.quality_below;
    if (threshold !== undefined && outcome.qualityScore !== null && outcome.qualityScore < threshold) {
      this.alert(job, { kind: 'quality', message: `job '${job.name}': quality score ${outcome.qualityScore} is below ${threshold}`, status, qualityScore: outcome.qualityScore, threshold }, r);
    }
    await this.store.save(this.state);
    if (status === 'timed_out' && error && this.opts.runner.noteOutcome)
      await this.opts.runner.noteOutcome(r.dir, error, { startedAt: r.startedAt, elapsedMs }).catch((e: unknown) => this.log('warn', 'record_failed', `could not note the timeout in ${r.dir}: ${errorMessage(e)}`, { job: job.name, runId: r.runId }));
    if (this.opts.afterRun) void this.opts.afterRun().catch((e: unknown) => this.log('warn', 'retention_failed', `history retention failed: ${errorMessage(e)}`));
    // Dependents, queued runs and retries may start now.
    if (!this.stopping) void this.enqueue(() => this.tick());
  }

  private alert(job: Job, a: Pick<Alert, 'kind' | 'message'> & Partial<Alert>, r: { runId: string; dir: string; attempt: number; startedAt: string }): void {
    const channels = job.alerts.channels;
    const alert: Alert = { project: this.opts.project.name, job: job.name, runId: r.runId, pipeline: job.pipeline, attempt: r.attempt, startedAt: r.startedAt, runDir: r.dir, host: os.hostname(), at: iso(this.clock.now()), ...a };
    this.log('warn', 'alert', `alert (${a.kind}): ${a.message}${channels.length === 0 ? ' (no alert channels set for this job)' : ` → ${channels.join(', ')}`}`, { job: job.name, runId: r.runId, kind: a.kind });
    if (!this.opts.notify || channels.length === 0) return;
    const sent = this.opts.notify(alert, channels).finally(() => this.alertsInFlight.delete(sent));
    this.alertsInFlight.add(sent);
  }

  /** After an error: a try again in ERROR_RETRY_MS (a run that could not start waits as queued, which no slot time wakes). */
  private armWakeAfterError(): void {
    this.wake?.cancel();
    this.wake = this.clock.at(this.clock.now() + ERROR_RETRY_MS, () => void this.enqueue(() => this.tick()));
  }

  private armWake(now: number): void {
    this.wake?.cancel();
    let at = now + (this.opts.maxSleepMs ?? MAX_SLEEP_MS);
    for (const job of this.opts.project.jobs) {
      const next = job.schedule ? this.nextSlot(job) : null;
      if (next !== null && next < at) at = next;
      // A retry already due and still pending waits for a place (startReady ran just before): the
      // end of a run wakes it, not a timer, which would fire again at once, and again.
      const retry = this.state.jobs[job.name]?.retry;
      if (retry && Date.parse(retry.at) > now && Date.parse(retry.at) < at) at = Date.parse(retry.at);
    }
    this.wake = this.clock.at(Math.max(at, now), () => void this.enqueue(() => this.tick()));
  }

  private log(level: LogLevel, event: string, message: string, fields: Partial<LogEntry> = {}): void {
    this.opts.log({ at: iso(this.clock.now()), level, event, message, ...fields });
  }
}
