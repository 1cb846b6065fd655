import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { Alert } from '../core/src/scheduler/alert-types.js';
import { sendEmail } from '../core/src/scheduler/alerts/email.js';
import { sendWebhook } from '../core/src/scheduler/alerts/webhook.js';
import { type Clock, ManualClock, type Timer } from '../core/src/scheduler/clock.js';
import { Controls } from '../core/src/scheduler/controls.js';
import { CronSchedule } from '../core/src/scheduler/cron.js';
import { parseProject } from '../core/src/scheduler/load-project.js';
import { ProcessRunner } from '../core/src/scheduler/process-runner.js';
import { Scheduler } from '../core/src/scheduler/scheduler.js';
import { type SchedulerState, StateStore } from '../core/src/scheduler/state.js';
import { collectLog, failed, FakeRunner, KillableStore } from './support/fake-runner.js';
import { processStarted, self } from '../core/src/util/owner.js';
import { tempDir } from './support/pipeline.js';

/**
 * The scheduler under a hostile machine and bad luck: a long downtime with a frequent cron, a disk
 * that refuses one write, a scheduler killed while a timed-out run is still stopping, and a system
 * clock that goes back. Fake clock and fake run processes (test/support/fake-runner.ts); the
 * scheduler, its state file and its rules are the real ones.
 */
const t = (s: string) => Date.parse(s);

async function setup(jobs: Record<string, unknown>, start: string) {
  const dir = await tempDir('caudal-sched-hostile-');
  await mkdir(path.join(dir, 'p'), { recursive: true });
  for (const name of Object.keys(jobs)) await writeFile(path.join(dir, 'p', `${name}.json`), '{}');
  const doc = { format: 'caudal.project/1', name: 'hostile', timezone: 'Europe/Madrid', jobs: Object.fromEntries(Object.entries(jobs).map(([n, j]) => [n, { pipeline: `p/${n}.json`, ...(j as object) }])) };
  const file = path.join(dir, 'caudal.project.json');
  await writeFile(file, JSON.stringify(doc));
  const project = parseProject(JSON.stringify(doc), file);
  const clock = new ManualClock(t(start));
  const runner = new FakeRunner(() => clock.now());
  const log = collectLog();
  const make = (opts: { clock?: Clock & { settle?: () => Promise<void> }; store?: StateStore; maxSleepMs?: number } = {}) => {
    const c = opts.clock ?? clock;
    const alive = () => !(opts.store instanceof KillableStore && opts.store.dead);
    const sched = new Scheduler({ project, runner, clock: c, store: opts.store, maxSleepMs: opts.maxSleepMs ?? 24 * 3600_000, log: (e) => alive() && log.sink(e) });
    if ('settle' in c) c.settle = () => sched.idle();
    return sched;
  };
  return { dir, project, clock, runner, log, make };
}

/** A disk that refuses the next writes of the state file (ENOSPC), then recovers. */
class FullDiskStore extends StateStore {
  failSaves = 0;
  failSyncSaves = 0;
  override async save(state: SchedulerState): Promise<void> {
    if (this.failSaves > 0) {
      this.failSaves--;
      throw Object.assign(new Error(`ENOSPC: no space left on device, write '${this.file}'`), { code: 'ENOSPC' });
    }
    await super.save(state);
  }
  override saveSync(state: SchedulerState): void {
    if (this.failSyncSaves > 0) {
      this.failSyncSaves--;
      throw Object.assign(new Error(`ENOSPC: no space left on device, write '${this.file}'`), { code: 'ENOSPC' });
    }
    super.saveSync(state);
  }
}

/**
 * A system clock that can be set back (NTP fixing a clock that ran ahead, an admin's `date -s`).
 * Like `systemClock`, whose setTimeout counts elapsed time, a timer fires after the delay it was
 * armed with, whatever the wall clock is set to meanwhile.
 */
class SettableClock implements Clock {
  private timers: Array<{ due: number; fn: () => void; cancelled: boolean }> = [];
  /** Elapsed time (monotonic), apart from the wall clock `t`. */
  private elapsed = 0;
  settle: () => Promise<void> = async () => undefined;
  constructor(private t: number) {}
  now(): number {
    return this.t;
  }
  at(at: number, fn: () => void): Timer {
    const timer = { due: this.elapsed + Math.max(0, at - this.t), fn, cancelled: false };
    this.timers.push(timer);
    return { cancel: () => void (timer.cancelled = true) };
  }
  /** Sets the wall clock; no time passes. */
  set(to: number): void {
    this.t = to;
  }
  /** Lets time pass until the wall clock shows `to`, firing each timer when its delay is over. */
  async advanceTo(to: number): Promise<void> {
    const end = this.elapsed + (to - this.t);
    for (;;) {
      const due = this.timers.filter((x) => !x.cancelled && x.due <= end).sort((a, b) => a.due - b.due)[0];
      if (!due) break;
      due.cancelled = true;
      this.t += Math.max(0, due.due - this.elapsed);
      this.elapsed = Math.max(this.elapsed, due.due);
      due.fn();
      await this.settle();
    }
    this.t += end - this.elapsed;
    this.elapsed = end;
    await this.settle();
  }
}

describe('scheduler, hostile: a long downtime with a frequent cron', () => {
  it('catchup run_once runs once for the latest missed slot even past a thousand missed slots', async () => {
    const s = await setup({ minutely: { schedule: '* * * * *', catchup: 'run_once' } }, '2026-05-01T10:00:30Z');
    s.runner.autoFinish = () => ({});
    const first = s.make();
    await first.start();
    await s.clock.advanceTo(t('2026-05-01T10:01:10Z'));
    await first.stop();
    expect(s.runner.runs('minutely')).toHaveLength(1);
    // Off for two days: 2,879 minutes missed, more than the thousand slotsBetween lists.
    const later = new ManualClock(t('2026-05-03T10:00:30Z'));
    const second = s.make({ clock: later });
    await second.start();
    await second.idle();
    const runs = s.runner.runs('minutely');
    expect(runs.map((r) => r.request.slot)).toEqual(['2026-05-01T10:01:00.000Z', '2026-05-03T10:00:00.000Z']);
    expect(runs[1]!.request.trigger).toBe('schedule');
    const missed = s.log.events('slots_missed', 'minutely');
    expect(missed).toHaveLength(1);
    expect(missed[0]).toMatchObject({ latest: '2026-05-03T10:00:00.000Z' });
    await second.stop();
  });

  it('catchup run_once after a downtime past a thousand slots, the latest not on time: one catch-up run for the latest slot', async () => {
    const s = await setup({ often: { schedule: '*/2 * * * *', catchup: 'run_once' } }, '2026-05-01T10:00:30Z');
    s.runner.autoFinish = () => ({});
    const first = s.make();
    await first.start();
    await s.clock.advanceTo(t('2026-05-01T10:02:10Z'));
    await first.stop();
    // 1,439 slots missed; the latest, 10:00, is 105 s old: not on time.
    const later = new ManualClock(t('2026-05-03T10:01:45Z'));
    const second = s.make({ clock: later });
    await second.start();
    await second.idle();
    const runs = s.runner.runs('often');
    expect(runs).toHaveLength(2);
    expect(runs[1]!.request).toMatchObject({ trigger: 'catchup', slot: '2026-05-03T10:00:00.000Z' });
    expect(s.log.events('slots_missed', 'often')).toHaveLength(1);
    await second.stop();
  });
});

describe('scheduler, hostile: a disk that refuses a write of the state file', () => {
  it('before a run starts: the run is not lost and the job is not left "running" for ever', async () => {
    const s = await setup({ hourly: { schedule: '0 * * * *' } }, '2026-05-01T05:30:00Z');
    const store = new FullDiskStore(s.dir);
    const sched = s.make({ store });
    await sched.start();
    await s.clock.advanceTo(t('2026-05-01T05:59:00Z'));
    // The next write is the one that records the 06:00 run before its process starts.
    store.failSaves = 1;
    // tried again ERROR_RETRY_MS later
    await s.clock.advanceTo(t('2026-05-01T06:00:15Z'));
    expect(s.log.events('scheduler_error').map((e) => e.message).join('\n')).toContain('ENOSPC');
    const runs = s.runner.runs('hourly');
    expect(runs.map((r) => r.request.slot)).toEqual(['2026-05-01T06:00:00.000Z']);
    runs[0]!.finish();
    await sched.idle();
    await s.clock.advanceTo(t('2026-05-01T07:00:01Z'));
    expect(s.runner.runs('hourly').map((r) => r.request.slot)).toEqual(['2026-05-01T06:00:00.000Z', '2026-05-01T07:00:00.000Z']);
    expect(s.log.events('slot_skipped', 'hourly')).toEqual([]);
    s.runner.runs('hourly')[1]!.finish();
    await sched.stop();
  });

  it('right after a run started: the run is still followed to its end and recorded', async () => {
    const s = await setup({ hourly: { schedule: '0 * * * *' } }, '2026-05-01T05:30:00Z');
    const store = new FullDiskStore(s.dir);
    const sched = s.make({ store });
    await sched.start();
    store.failSyncSaves = 1;
    await s.clock.advanceTo(t('2026-05-01T06:00:01Z'));
    const run = s.runner.runs('hourly')[0]!;
    expect(run.alive).toBe(true);
    expect(sched.runningCount).toBe(1);
    run.finish();
    await sched.idle();
    expect(sched.snapshot().jobs.hourly).toMatchObject({ running: null, lastRun: { runId: run.request.runId, status: 'succeeded' } });
    await s.clock.advanceTo(t('2026-05-01T07:00:01Z'));
    expect(s.runner.runs('hourly')).toHaveLength(2);
    s.runner.runs('hourly')[1]!.finish();
    await sched.stop();
  });

  it('on stop: the scheduler still stops cleanly (SIGTERM), saying the last write failed', async () => {
    const s = await setup({ hourly: { schedule: '0 * * * *' } }, '2026-05-01T05:30:00Z');
    const store = new FullDiskStore(s.dir);
    const sched = s.make({ store });
    await sched.start();
    store.failSaves = 1;
    await sched.stop();
    expect(s.log.events('state_write_failed')[0]!.message).toContain('ENOSPC');
    expect(s.log.events('scheduler_stopped')).toHaveLength(1);
  });
});

describe('scheduler, hostile: killed while a timed-out run is stopping', () => {
  it('the restarted scheduler records the run as timed out and retries it, as it would have', async () => {
    const s = await setup({ slow: { schedule: '0 6 * * *', timeout_s: 600, retries: { count: 1, delay_s: 60 } } }, '2026-05-01T03:00:00Z');
    const store1 = new KillableStore(s.dir);
    const first = s.make({ store: store1 });
    await first.start();
    await s.clock.advanceTo(t('2026-05-01T04:00:00Z'));
    const run = s.runner.runs('slow')[0]!;
    // It takes its time to clean up after the cancel (destinations restored, up to the kill grace).
    run.onTerminate = 'ignore';
    await s.clock.advanceTo(t('2026-05-01T04:10:05Z'));
    expect(run.terminated).toBe(true);
    // kill -9 of the scheduler; the run then ends as cancelled, as a cancelled `caudal run` does
    store1.dead = true;
    run.finish({ status: 'cancelled', exitCode: 143, error: { kind: 'cancelled', message: 'cancelled' } });
    const clock2 = new ManualClock(t('2026-05-01T04:11:00Z'));
    const second = s.make({ clock: clock2 });
    await second.start();
    await second.idle();
    expect(second.snapshot().jobs.slow).toMatchObject({ running: null, lastRun: { status: 'timed_out' }, retry: { attempt: 2 } });
    await clock2.advanceTo(t('2026-05-01T04:12:30Z'));
    expect(s.runner.runs('slow').map((r) => r.request.attempt)).toEqual([1, 2]);
    s.runner.runs('slow')[1]!.finish();
    await second.stop();
  });
});

describe('scheduler, hostile: the system clock goes back', () => {
  it('a clock set right after running years ahead: jobs run on the corrected clock, not years later', async () => {
    const s = await setup({ daily: { schedule: '0 6 * * *' }, after: { depends_on: ['daily'] } }, '2029-05-01T03:00:00Z');
    s.runner.autoFinish = () => ({});
    const clock = new SettableClock(t('2029-05-01T03:00:00Z'));
    const sched = s.make({ clock, maxSleepMs: 10 * 60_000 });
    await sched.start();
    await clock.advanceTo(t('2029-05-01T04:30:00Z'));
    expect(s.runner.runs('daily')).toHaveLength(1);
    expect(s.runner.runs('after')).toHaveLength(1);
    // NTP corrects the clock by three years.
    clock.set(t('2026-05-01T03:00:00Z'));
    await clock.advanceTo(t('2026-05-02T05:00:00Z'));
    expect(s.runner.runs('daily').map((r) => r.request.slot)).toEqual(['2029-05-01T04:00:00.000Z', '2026-05-01T04:00:00.000Z', '2026-05-02T04:00:00.000Z']);
    // and the job that runs after it follows each of its successes
    expect(s.runner.runs('after')).toHaveLength(3);
    expect(s.log.events('clock_moved_back', 'daily')).toHaveLength(1);
    await sched.stop();
  });

  it('a pending retry waits its delay on the corrected clock, not the clock that was ahead', async () => {
    const s = await setup({ flaky: { schedule: '0 6 * * *', retries: { count: 1, delay_s: 120 } } }, '2029-05-01T03:00:00Z');
    s.runner.autoFinish = (req) => (req.attempt === 1 ? failed : {});
    const clock = new SettableClock(t('2029-05-01T03:00:00Z'));
    const sched = s.make({ clock, maxSleepMs: 60_000 });
    await sched.start();
    await clock.advanceTo(t('2029-05-01T04:00:30Z'));
    expect(sched.snapshot().jobs.flaky!.retry).toMatchObject({ attempt: 2, at: '2029-05-01T04:02:00.000Z' });
    clock.set(t('2026-05-01T03:00:00Z'));
    await clock.advanceTo(t('2026-05-01T03:04:00Z'));
    expect(s.runner.runs('flaky').map((r) => r.request.attempt)).toEqual([1, 2]);
    await sched.stop();
  });

  it('restarted after the clock was corrected: the saved state from the future does not stop the jobs', async () => {
    const s = await setup({ daily: { schedule: '0 6 * * *' } }, '2026-05-01T03:00:00Z');
    const store = new StateStore(s.dir);
    await store.save({
      format: 'caudal.scheduler-state/1',
      jobs: { daily: { lastSlot: '2036-05-01T04:00:00.000Z', running: null, queued: null, retry: null, lastRun: null, lastSuccess: null, upstreamSeen: {} } },
    });
    s.runner.autoFinish = () => ({});
    const sched = s.make();
    await sched.start();
    await s.clock.advanceTo(t('2026-05-01T04:00:01Z'));
    expect(s.runner.runs('daily').map((r) => r.request.slot)).toEqual(['2026-05-01T04:00:00.000Z']);
    await sched.stop();
    const saved = JSON.parse(await readFile(store.file, 'utf8')) as SchedulerState;
    expect(saved.jobs.daily!.lastSlot).toBe('2026-05-01T04:00:00.000Z');
  });
});

describe('project file, hostile: secrets written into an alert channel', () => {
  const projectWith = (channel: Record<string, unknown>) =>
    JSON.stringify({ format: 'caudal.project/1', name: 'p', jobs: {}, alerts: { ops: { type: 'webhook', ...channel } } });
  const problemsOf = (channel: Record<string, unknown>): Array<{ path: string; message: string; hint?: string }> => {
    try {
      parseProject(projectWith(channel), '/tmp/caudal.project.json');
      return [];
    } catch (e) {
      return ((e as { problems?: Array<{ path: string; message: string; hint?: string }> }).problems ?? []).map(({ path, message, hint }) => ({ path, message, hint }));
    }
  };

  it('a user and password in the webhook URL are refused, naming where and what to do instead, never the password', () => {
    const problems = problemsOf({ url: 'https://alerts:hunter2@hooks.example.com/caudal' });
    expect(problems).toHaveLength(1);
    expect(problems[0]!.path).toMatch(/alerts.*ops.*url/);
    expect(problems[0]!.message).toContain('user name or password');
    expect(problems[0]!.hint).toContain('caudal alerts set-secret ops url');
    expect(JSON.stringify(problems)).not.toContain('hunter2');
  });

  it('a token in the webhook URL query (chat webhooks) is refused', () => {
    const problems = problemsOf({ url: 'https://chat.example.com/v1/spaces/AAA/messages?key=AIzaSyDdI0hCZtE6vySjMm&token=abc123' });
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toContain('key, token');
    expect(JSON.stringify(problems)).not.toContain('abc123');
  });

  it('a credential header is refused and points at auth bearer; other headers and plain URLs are fine', () => {
    const problems = problemsOf({ url: 'https://hooks.example.com/caudal?channel=ops', headers: { Authorization: 'Bearer s3cr3t', 'X-Team': 'data' } });
    expect(problems).toHaveLength(1);
    expect(problems[0]!.path).toMatch(/headers.*Authorization/);
    expect(problems[0]!.hint).toContain('"auth": "bearer"');
    expect(JSON.stringify(problems)).not.toContain('s3cr3t');
    expect(problemsOf({ url: 'https://hooks.example.com/caudal?channel=ops', auth: 'bearer', headers: { 'X-Team': 'data' } })).toEqual([]);
  });
});

describe('pause file, hostile: a hand edit that breaks it', () => {
  const broken = '{\n  "jobs": {\n    "nightly": { "since": "2026-05-01T08:00:00.000Z" },\n  }\n}\n';

  it('`caudal jobs pause` refuses to write over it, naming the file, and the pauses in it are kept', async () => {
    const dir = await tempDir('caudal-sched-hostile-');
    const controls = new Controls(dir);
    await mkdir(controls.dir, { recursive: true });
    await writeFile(controls.pausedFile, broken);
    await expect(controls.setPaused('hourly', true)).rejects.toThrow(`the pause file ${controls.pausedFile} cannot be read`);
    expect(await readFile(controls.pausedFile, 'utf8')).toBe(broken);
    await expect(controls.paused()).rejects.toThrow(/not valid JSON/);
  });

  it('a scheduler does not start on it (it would run the paused jobs), and writes nothing', async () => {
    const s = await setup({ nightly: { schedule: '0 6 * * *' } }, '2026-05-01T03:00:00Z');
    const controls = new Controls(s.dir);
    await mkdir(controls.dir, { recursive: true });
    await writeFile(controls.pausedFile, broken);
    const sched = s.make();
    await expect(sched.start()).rejects.toThrow(/pause file .* cannot be read/);
    await s.clock.advanceTo(t('2026-05-01T05:00:00Z'));
    expect(s.runner.processes).toEqual([]);
    await expect(readFile(new StateStore(s.dir).file, 'utf8')).rejects.toThrow(/ENOENT/);
  });

  it('broken while a scheduler runs: the jobs paused stay paused, logged once', async () => {
    const s = await setup({ nightly: { schedule: '0 6 * * *' }, hourly: { schedule: '0 * * * *' } }, '2026-05-01T03:30:00Z');
    s.runner.autoFinish = () => ({});
    const controls = new Controls(s.dir);
    await controls.setPaused('nightly', true);
    const sched = s.make();
    await sched.start();
    await writeFile(controls.pausedFile, broken);
    await s.clock.advanceTo(t('2026-05-01T05:30:00Z'));
    expect(s.runner.runs('nightly')).toEqual([]);
    expect(s.runner.runs('hourly')).toHaveLength(2);
    const logged = s.log.events('pause_file_unreadable');
    expect(logged).toHaveLength(1);
    expect(logged[0]!.message).toMatch(/nightly stays paused/);
    await sched.stop();
  });
});

describe('scheduler, hostile: a retry due while every place is taken', () => {
  it('waits for a place without spinning (no wake after wake, no state write and log line each time)', async () => {
    const s = await setup({ flaky: { schedule: '0 6 * * *', retries: { count: 2, delay_s: 10 } }, long: { schedule: '5 0 6 * * *' } }, '2026-05-01T03:00:00Z');
    s.runner.autoFinish = (req) => (req.job.name === 'flaky' ? failed : undefined);
    const doc = JSON.parse(await readFile(s.project.file, 'utf8')) as Record<string, unknown>;
    const project = parseProject(JSON.stringify({ ...doc, max_parallel_runs: 1 }), s.project.file);
    const sched = new Scheduler({ project, runner: s.runner, clock: s.clock, maxSleepMs: 24 * 3600_000, log: s.log.sink });
    // Each timer the scheduler sets is followed by its work; a scheduler that re-arms for "now" forever is stopped here.
    let wakes = 0;
    s.clock.settle = async () => {
      if (++wakes > 200) throw new Error('the scheduler keeps waking without time passing');
      await sched.idle();
    };
    await sched.start();
    // 04:00:00Z flaky fails, 04:00:05Z long starts and holds the only place, 04:00:10Z flaky's retry is due.
    await s.clock.advanceTo(t('2026-05-01T04:00:30Z'));
    expect(s.runner.runs('long')).toHaveLength(1);
    expect(s.runner.runs('flaky')).toHaveLength(1);
    expect(s.log.events('run_waiting', 'flaky').length).toBeLessThanOrEqual(2);
    // The place frees: the retry starts at once.
    s.runner.runs('long')[0]!.finish();
    await sched.idle();
    expect(s.runner.runs('flaky').map((r) => r.request.attempt)).toEqual([1, 2]);
    await sched.stop();
  });
});

describe('cron, hostile: the latest slot at a time with milliseconds (the system clock has them)', () => {
  it('is never after that time', () => {
    const cases: Array<[string, string, string, string]> = [
      ['* * * * * *', 'UTC', '2026-05-01T10:00:00.500Z', '2026-05-01T10:00:00.000Z'],
      ['* * * * *', 'UTC', '2026-05-01T10:00:59.999Z', '2026-05-01T10:00:00.000Z'],
      ['* * * * *', 'UTC', '2026-05-01T10:01:00.000Z', '2026-05-01T10:01:00.000Z'],
      ['*/15 * * * *', 'Europe/Madrid', '2026-10-25T01:14:59.999Z', '2026-10-25T01:00:00.000Z'],
    ];
    for (const [expression, zone, at, latest] of cases) expect(new Date(new CronSchedule(expression, zone).latestAtOrBefore(t(at))!).toISOString(), `${expression} at ${at}`).toBe(latest);
  });
});

describe('alerts, hostile: a very long webhook timeout', () => {
  it('still waits for the answer (Node fires a timer past 24.8 days after 1 ms), and the project refuses one past 10 minutes', async () => {
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => setTimeout(() => res.end('ok'), 30));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const alert: Alert = { kind: 'failure', message: 'x', project: 'p', job: 'j', runId: 'r', pipeline: '/p.json', attempt: 1, startedAt: '2026-05-01T00:00:00Z', runDir: '/r', host: 'h', at: '2026-05-01T00:00:00Z' };
    try {
      await sendWebhook('ops', { type: 'webhook', url, auth: 'none', headers: {}, timeout_s: 3_000_000 }, {}, alert, { retryDelayMs: 1 });
    } finally {
      server.close();
    }
    const project = (timeout: number) => JSON.stringify({ format: 'caudal.project/1', name: 'p', jobs: {}, alerts: { ops: { type: 'webhook', url: 'https://hooks.example.com/x', timeout_s: timeout } } });
    expect(() => parseProject(project(3_000_000), '/tmp/caudal.project.json')).toThrow(/alerts.*ops.*timeout_s/);
    expect(() => parseProject(project(30), '/tmp/caudal.project.json')).not.toThrow();
  });

  it('a retry delay past any date is refused at load, not a crash when the run fails', () => {
    const project = JSON.stringify({ format: 'caudal.project/1', name: 'p', jobs: {}, defaults: { retries: { count: 1, delay_s: 1e20, max_delay_s: 1e20 } } });
    expect(() => parseProject(project, '/tmp/caudal.project.json')).toThrow(/defaults.*retries.*delay_s/);
  });
});

describe('process runner, hostile: restarted after its run ended and the pid was given to another process', () => {
  it('records the run from its folder instead of following the stranger', async () => {
    const dir = await tempDir('caudal-sched-hostile-');
    const runDir = path.join(dir, '.caudal', 'runs', '20260501T040000-abcd1234');
    await mkdir(runDir, { recursive: true });
    // Any live process stands for the one that got the finished run's pid (pids are reused).
    const stranger = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
    try {
      const pid = stranger.pid!;
      const record = { runId: '20260501T040000-abcd1234', pipeline: 'load.json', pipelinePath: path.join(dir, 'load.json'), status: 'succeeded', startedAt: '2026-05-01T04:00:00.000Z', elapsedMs: 1200, rows: 42, qualityScore: null, targets: [], params: {}, dir: runDir, job: 'load', trigger: 'schedule', attempt: 1, slot: '2026-05-01T04:00:00.000Z', summary: null, owner: { host: self.host, pid } };
      await writeFile(path.join(runDir, 'run.json'), JSON.stringify(record));
      const found = await new ProcessRunner().reattach({ runId: record.runId, dir: runDir, pid });
      expect(found).toEqual({ outcome: expect.objectContaining({ status: 'succeeded', rows: 42 }) });
    } finally {
      stranger.kill('SIGKILL');
    }
  }, 20_000);

  it.runIf(process.platform === 'linux')('a run killed outright (its record still says running) whose pid went to a stranger: recorded as interrupted, the stranger neither followed nor signalled', async () => {
    const dir = await tempDir('caudal-sched-hostile-');
    const runDir = path.join(dir, '.caudal', 'runs', '20260501T050000-abcd1234');
    await mkdir(runDir, { recursive: true });
    const stranger = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
    try {
      const pid = stranger.pid!;
      await sleep(100);
      // The killed run's record: its pid, with the start time of the process that had it then.
      const killedRunStarted = `${processStarted(pid)!}0`;
      const record = { runId: '20260501T050000-abcd1234', pipeline: 'load.json', pipelinePath: path.join(dir, 'load.json'), status: 'running', startedAt: '2026-05-01T05:00:00.000Z', elapsedMs: null, rows: null, qualityScore: null, targets: [], params: {}, dir: runDir, job: 'load', trigger: 'schedule', attempt: 1, slot: '2026-05-01T05:00:00.000Z', summary: null, owner: { host: self.host, pid, started: killedRunStarted } };
      await writeFile(path.join(runDir, 'run.json'), JSON.stringify(record));
      const found = await new ProcessRunner().reattach({ runId: record.runId, dir: runDir, pid });
      expect(found).toEqual({ outcome: expect.objectContaining({ status: 'interrupted', error: expect.objectContaining({ kind: 'interrupted' }) }) });
      expect(JSON.parse(await readFile(path.join(runDir, 'run.json'), 'utf8'))).toMatchObject({ status: 'failed' });
      expect(stranger.exitCode).toBeNull();
      expect(stranger.signalCode).toBeNull();
    } finally {
      stranger.kill('SIGKILL');
    }
  }, 20_000);
});

describe('process runner, hostile: a run killed before it wrote its record, its pid given to a stranger', () => {
  it.runIf(process.platform === 'linux')('is not followed: the pid is checked against the start time the scheduler noted', async () => {
    const dir = await tempDir('caudal-sched-hostile-');
    const runDir = path.join(dir, '.caudal', 'runs', '20260501T060000-abcd1234');
    await mkdir(runDir, { recursive: true });
    const stranger = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
    try {
      const pid = stranger.pid!;
      await sleep(100);
      const found = await new ProcessRunner().reattach({ runId: '20260501T060000-abcd1234', dir: runDir, pid, pidStarted: `${processStarted(pid)!}0` });
      expect(found).toEqual({ outcome: expect.objectContaining({ status: 'interrupted' }) });
      // The same pid noted with the stranger's own start time is that process: followed.
      const followed = await new ProcessRunner().reattach({ runId: '20260501T060000-abcd1234', dir: runDir, pid, pidStarted: processStarted(pid) });
      expect(followed).toMatchObject({ pid });
    } finally {
      stranger.kill('SIGKILL');
    }
  }, 20_000);
});

describe('alerts, hostile: an SMTP server that greets, then says nothing', () => {
  it('fails the alert after the channel timeout, naming the server, instead of holding it (and a stop) ten minutes', async () => {
    const sockets: net.Socket[] = [];
    const server = net.createServer((socket) => {
      sockets.push(socket);
      socket.write('220 stalled.example.com ESMTP\r\n');
      // reads EHLO and never answers
      socket.on('data', () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const alert: Alert = { kind: 'failure', message: 'x', project: 'p', job: 'j', runId: 'r', pipeline: '/p.json', attempt: 1, startedAt: '2026-05-01T00:00:00Z', runDir: '/r', host: 'h', at: '2026-05-01T00:00:00Z' };
    const started = Date.now();
    try {
      const err = await sendEmail('mail', { type: 'email', host: '127.0.0.1', port, security: 'none', from: 'caudal@example.com', to: ['ops@example.com'], timeout_s: 1 }, {}, alert).catch((e: Error) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(/^email 'mail' via 127\.0\.0\.1:\d+ failed: /);
      expect(Date.now() - started).toBeLessThan(8000);
    } finally {
      for (const s of sockets) s.destroy();
      server.close();
    }
  }, 15_000);
});

describe('process runner, hostile: the pipeline folder deleted after the scheduler started', () => {
  it('fails the run naming the file, and does not make the deleted folder again', async () => {
    const dir = await tempDir('caudal-sched-hostile-');
    await mkdir(path.join(dir, 'etl'), { recursive: true });
    await writeFile(path.join(dir, 'etl', 'load.json'), '{}');
    const doc = { format: 'caudal.project/1', name: 'p', jobs: { load: { pipeline: 'etl/load.json', schedule: '0 6 * * *' } } };
    const project = parseProject(JSON.stringify(doc), path.join(dir, 'caudal.project.json'));
    await rm(path.join(dir, 'etl'), { recursive: true });
    const job = project.jobs[0]!;
    // A stand-in for `caudal run` (the built CLI is not needed to see what the runner does first).
    const runner = new ProcessRunner({ command: [process.execPath, '-e', 'process.exit(2)'] });
    const handle = runner.start({ job, runId: '20260501T040000-abcd1234', dir: path.join(dir, 'etl', '.caudal', 'runs', '20260501T040000-abcd1234'), params: {}, trigger: 'schedule', attempt: 1, slot: null });
    const outcome = await handle.done;
    expect(outcome).toMatchObject({ status: 'failed', error: { message: expect.stringContaining(path.join(dir, 'etl', 'load.json')) } });
    expect(existsSync(path.join(dir, 'etl'))).toBe(false);
  });
});
