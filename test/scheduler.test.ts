import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Alert } from '../core/src/scheduler/alert-types.js';
import { ManualClock } from '../core/src/scheduler/clock.js';
import { Controls } from '../core/src/scheduler/controls.js';
import { parseProject } from '../core/src/scheduler/load-project.js';
import { jobRuns, jobRunStatus } from '../core/src/scheduler/history.js';
import { ProcessRunner } from '../core/src/scheduler/process-runner.js';
import { runThroughScheduler } from '../core/src/scheduler/run-request.js';
import { Scheduler } from '../core/src/scheduler/scheduler.js';
import { StateStore } from '../core/src/scheduler/state.js';
import { collectLog, failed, FakeRunner, KillableStore } from './support/fake-runner.js';
import { tempDir } from './support/pipeline.js';

/**
 * The scheduler's rules on a fake clock: cron slots in a time zone across DST, overlap, retries
 * with backoff, timeouts, dependency order, catchup after downtime, alerts, and a kill of the
 * scheduler mid-run followed by a restart. Runs are fake processes the test ends (real runs:
 * test/scheduler-cli.test.ts).
 */
const t = (s: string) => Date.parse(s);
const MIN = 60_000;

async function setup(jobs: Record<string, unknown>, extra: Record<string, unknown> = {}, start = '2026-03-27T12:00:00Z') {
  const dir = await tempDir('caudal-sched-');
  await mkdir(path.join(dir, 'p'), { recursive: true });
  for (const name of Object.keys(jobs)) await writeFile(path.join(dir, 'p', `${name}.json`), '{}');
  const doc = { format: 'caudal.project/1', name: 'test', timezone: 'Europe/Madrid', ...extra, jobs: Object.fromEntries(Object.entries(jobs).map(([n, j]) => [n, { pipeline: `p/${n}.json`, ...(j as object) }])) };
  const file = path.join(dir, 'caudal.project.json');
  await writeFile(file, JSON.stringify(doc));
  const project = parseProject(JSON.stringify(doc), file);
  const clock = new ManualClock(t(start));
  const runner = new FakeRunner(() => clock.now());
  const log = collectLog();
  const alerts: Array<{ alert: Alert; channels: readonly string[] }> = [];
  const make = (opts: { clock?: ManualClock; store?: StateStore } = {}) => {
    const c = opts.clock ?? clock;
    // A killed instance (its KillableStore is dead) neither logs nor alerts, like a dead process.
    const alive = () => !(opts.store instanceof KillableStore && opts.store.dead);
    const sched = new Scheduler({
      project,
      runner,
      clock: c,
      store: opts.store,
      maxSleepMs: 24 * 3600_000,
      log: (e) => alive() && log.sink(e),
      notify: async (alert, channels) => void (alive() && alerts.push({ alert, channels })),
    });
    c.settle = () => sched.idle();
    return sched;
  };
  return { dir, project, clock, runner, log, alerts, make };
}

const startTimes = (runner: FakeRunner, job: string) => runner.runs(job).map((p) => new Date(p.startedAt).toISOString());

describe('scheduler (fake clock)', () => {
  it('runs a daily Europe/Madrid job at its local time across the spring DST change, with {scheduled_date}', async () => {
    const s = await setup({ daily: { schedule: '30 2 * * *', params: { day: '{scheduled_date}' } } });
    s.runner.autoFinish = () => ({});
    const sched = s.make();
    await sched.start();
    await s.clock.advanceTo(t('2026-03-31T12:00:00Z'));
    await sched.idle();
    expect(startTimes(s.runner, 'daily')).toEqual(['2026-03-28T01:30:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z', '2026-03-31T00:30:00.000Z']);
    expect(s.runner.runs('daily').map((p) => p.request.params.day)).toEqual(['2026-03-28', '2026-03-29', '2026-03-30', '2026-03-31']);
    await sched.stop();
  });

  it('never overlaps runs of one job: on_overlap skip drops slots, queue runs once right after', async () => {
    for (const mode of ['skip', 'queue'] as const) {
      const s = await setup({ minutely: { schedule: '* * * * *', on_overlap: mode } }, {}, '2026-05-01T10:00:30Z');
      const sched = s.make();
      await sched.start();
      await s.clock.advanceTo(t('2026-05-01T10:01:00Z'));
      const first = s.runner.runs('minutely')[0]!;
      // the run takes 3.5 minutes: slots 10:02, 10:03, 10:04 come while it runs
      await s.clock.advanceTo(t('2026-05-01T10:04:30Z'));
      expect(s.runner.running()).toHaveLength(1);
      first.finish();
      await sched.idle();
      const runs = s.runner.runs('minutely');
      expect(s.runner.overlaps).toEqual([]);
      if (mode === 'skip') {
        expect(runs).toHaveLength(1);
        expect(s.log.events('slot_skipped', 'minutely').map((e) => e.reason)).toEqual(['overlap', 'overlap', 'overlap']);
      } else {
        // one queued run starts as soon as the first ends; further slots while it waited were not stacked up
        expect(startTimes(s.runner, 'minutely')).toEqual(['2026-05-01T10:01:00.000Z', '2026-05-01T10:04:30.000Z']);
        expect(s.log.events('slot_skipped', 'minutely').map((e) => e.reason)).toEqual(['already_queued', 'already_queued']);
      }
      await sched.stop({ cancelRuns: true });
    }
  });

  it('retries a failed run with exponential backoff, then alerts once when the last attempt fails', async () => {
    const s = await setup(
      { flaky: { schedule: '0 6 * * *', retries: { count: 2, delay_s: 60, backoff: 3 }, alerts: { channels: ['ops'] } } },
      { alerts: { ops: { type: 'webhook', url: 'http://127.0.0.1:1/hook' } } },
      '2026-05-01T03:00:00Z',
    );
    s.runner.autoFinish = () => failed;
    const sched = s.make();
    await sched.start();
    await s.clock.advanceTo(t('2026-05-01T05:00:00Z'));
    await sched.idle();
    // 06:00 CEST = 04:00Z, then +60 s, then +180 s
    expect(startTimes(s.runner, 'flaky')).toEqual(['2026-05-01T04:00:00.000Z', '2026-05-01T04:01:00.000Z', '2026-05-01T04:04:00.000Z']);
    expect(s.runner.runs('flaky').map((p) => p.request.attempt)).toEqual([1, 2, 3]);
    expect(new Set(s.runner.runs('flaky').map((p) => p.request.slot))).toEqual(new Set(['2026-05-01T04:00:00.000Z']));
    expect(s.alerts).toHaveLength(1);
    expect(s.alerts[0]!.alert).toMatchObject({ kind: 'failure', job: 'flaky', attempt: 3, status: 'failed', error: { message: 'boom' } });
    expect(s.alerts[0]!.channels).toEqual(['ops']);
    expect(sched.snapshot().jobs.flaky!.lastRun).toMatchObject({ status: 'failed', attempt: 3 });
    await sched.stop();
  });

  it('a retry that succeeds sends no failure alert', async () => {
    const s = await setup({ flaky: { schedule: '0 6 * * *', retries: { count: 3, delay_s: 10 }, alerts: { channels: ['ops'] } } }, { alerts: { ops: { type: 'webhook', url: 'http://127.0.0.1:1/hook' } } }, '2026-05-01T03:00:00Z');
    let n = 0;
    s.runner.autoFinish = () => (++n < 3 ? failed : {});
    const sched = s.make();
    await sched.start();
    await s.clock.advanceTo(t('2026-05-01T05:00:00Z'));
    await sched.idle();
    expect(s.runner.runs('flaky')).toHaveLength(3);
    expect(s.alerts).toEqual([]);
    expect(sched.snapshot().jobs.flaky!.lastRun?.status).toBe('succeeded');
    await sched.stop();
  });

  it('cancels a run at its timeout, kills it when it ignores the cancel, and retries it', async () => {
    const s = await setup({ slow: { schedule: '0 6 * * *', timeout_s: 600, retries: { count: 1, delay_s: 5 } } }, {}, '2026-05-01T03:00:00Z');
    const sched = s.make();
    await sched.start();
    await s.clock.advanceTo(t('2026-05-01T04:00:00Z'));
    const first = s.runner.runs('slow')[0]!;
    first.onTerminate = 'ignore';
    await s.clock.advanceTo(t('2026-05-01T04:10:00Z'));
    expect(first.terminated).toBe(true);
    expect(first.alive).toBe(true);
    await s.clock.advanceTo(t('2026-05-01T04:10:30Z'));
    expect(first.killed).toBe(true);
    await sched.idle();
    expect(s.log.events('run_finished', 'slow')[0]).toMatchObject({ status: 'timed_out' });
    await s.clock.advanceTo(t('2026-05-01T04:10:40Z'));
    expect(s.runner.runs('slow')).toHaveLength(2);
    s.runner.runs('slow')[1]!.finish();
    await sched.stop();
  });

  it('runs jobs after the jobs they depend on, and not after a failure upstream', async () => {
    const s = await setup(
      {
        extract: { schedule: '0 5 * * *' },
        clean: { depends_on: ['extract'], params: { day: '{scheduled_date}' } },
        enrich: { depends_on: ['extract'] },
        report: { depends_on: ['clean', 'enrich'] },
      },
      { max_parallel_runs: 4 },
      '2026-05-01T00:00:00Z',
    );
    const sched = s.make();
    await sched.start();
    const finishAll = async (job: string, outcome = {}) => {
      for (const p of s.runner.runs(job).filter((x) => x.alive)) p.finish(outcome);
      await sched.idle();
    };
    await s.clock.advanceTo(t('2026-05-01T03:00:00Z')); // 05:00 CEST
    expect(s.runner.running().map((p) => p.request.job.name)).toEqual(['extract']);
    await finishAll('extract');
    expect(s.runner.running().map((p) => p.request.job.name).sort()).toEqual(['clean', 'enrich']);
    expect(s.runner.runs('clean')[0]!.request).toMatchObject({ trigger: 'dependency', slot: '2026-05-01T03:00:00.000Z', params: { day: '2026-05-01' } });
    await finishAll('clean');
    expect(s.runner.runs('report')).toHaveLength(0); // enrich still running
    await finishAll('enrich');
    expect(s.runner.runs('report')).toHaveLength(1);
    await finishAll('report');

    // day 2: enrich fails → report does not run
    await s.clock.advanceTo(t('2026-05-02T03:00:00Z'));
    await finishAll('extract');
    await finishAll('clean');
    await finishAll('enrich', failed);
    expect(s.runner.runs('report')).toHaveLength(1);
    // day 3: all succeed → report runs once
    await s.clock.advanceTo(t('2026-05-03T03:00:00Z'));
    await finishAll('extract');
    await finishAll('clean');
    await finishAll('enrich');
    await finishAll('report');
    expect(s.runner.runs('report')).toHaveLength(2);
    const order = s.runner.processes.map((p) => p.request.job.name);
    expect(order.slice(-4)).toEqual(['extract', order.at(-3), order.at(-2), 'report']);
    await sched.stop();
  });

  it('catchup after downtime: skip runs nothing, run_once runs once for the latest missed slot', async () => {
    for (const catchup of ['skip', 'run_once'] as const) {
      const s = await setup({ nightly: { schedule: '0 2 * * *', catchup } }, {}, '2026-05-01T12:00:00Z');
      s.runner.autoFinish = () => ({});
      const first = s.make();
      await first.start();
      await s.clock.advanceTo(t('2026-05-02T12:00:00Z'));
      await first.stop();
      expect(s.runner.runs('nightly')).toHaveLength(1);
      // the machine is off for three days
      const later = new ManualClock(t('2026-05-05T09:00:00Z'));
      const second = s.make({ clock: later });
      await second.start();
      await second.idle();
      const missed = s.log.events('slots_missed', 'nightly');
      expect(missed.at(-1)).toMatchObject({ missed: 3, latest: '2026-05-05T00:00:00.000Z' });
      if (catchup === 'skip') expect(s.runner.runs('nightly')).toHaveLength(1);
      else {
        expect(s.runner.runs('nightly')).toHaveLength(2);
        expect(s.runner.runs('nightly')[1]!.request).toMatchObject({ trigger: 'catchup', slot: '2026-05-05T00:00:00.000Z' });
      }
      // and the next night runs as usual
      await later.advanceTo(t('2026-05-06T01:00:00Z'));
      await second.idle();
      expect(s.runner.runs('nightly')).toHaveLength(catchup === 'skip' ? 2 : 3);
      await second.stop();
    }
  });

  it('a job first seen by the scheduler does not backfill its past', async () => {
    const s = await setup({ hourly: { schedule: '0 * * * *', catchup: 'run_once' } }, {}, '2026-05-01T12:30:00Z');
    const sched = s.make();
    await sched.start();
    await sched.idle();
    expect(s.runner.processes).toHaveLength(0);
    await sched.stop();
  });

  it('killed mid-run and restarted: follows the run still going, records it once, no duplicate, nothing stuck', async () => {
    const s = await setup({ load: { schedule: '0 6 * * *' } }, {}, '2026-05-01T03:00:00Z');
    const store1 = new KillableStore(s.dir);
    const first = s.make({ store: store1 });
    await first.start();
    await s.clock.advanceTo(t('2026-05-01T04:00:00Z'));
    const run = s.runner.runs('load')[0]!;
    expect(run.alive).toBe(true);
    // kill -9: the old scheduler writes nothing more, its timers are gone with it
    store1.dead = true;
    const saved = JSON.parse(await readFile(store1.file, 'utf8'));
    expect(saved.jobs.load.running).toMatchObject({ runId: run.request.runId, pid: run.pid });

    const clock2 = new ManualClock(t('2026-05-01T04:05:00Z'));
    const second = s.make({ clock: clock2 });
    await second.start();
    await second.idle();
    expect(s.runner.runs('load')).toHaveLength(1); // no second run of the 06:00 slot
    expect(second.snapshot().jobs.load!.running?.runId).toBe(run.request.runId);
    run.finish();
    await second.idle();
    const state = JSON.parse(await readFile(store1.file, 'utf8'));
    expect(state.jobs.load.running).toBeNull();
    expect(state.jobs.load.lastRun).toMatchObject({ runId: run.request.runId, status: 'succeeded' });
    await clock2.advanceTo(t('2026-05-02T04:00:00Z'));
    expect(s.runner.runs('load')).toHaveLength(2);
    s.runner.runs('load')[1]!.finish();
    await second.stop();
  });

  it('restarted after the run ended (or died) while it was down: records the end; a died run is retried, not duplicated', async () => {
    const s = await setup({ load: { schedule: '0 6 * * *', retries: { count: 1, delay_s: 30 } } }, {}, '2026-05-01T03:00:00Z');
    const store1 = new KillableStore(s.dir);
    const first = s.make({ store: store1 });
    await first.start();
    await s.clock.advanceTo(t('2026-05-01T04:00:00Z'));
    store1.dead = true;
    // killed together with the scheduler (systemd stops the whole group)
    s.runner.runs('load')[0]!.finish({ status: 'interrupted', exitCode: null, error: { kind: 'execution', message: 'the run process ended without finishing' } });
    const clock2 = new ManualClock(t('2026-05-01T04:02:00Z'));
    const second = s.make({ clock: clock2 });
    await second.start();
    await second.idle();
    expect(second.snapshot().jobs.load).toMatchObject({ running: null, lastRun: { status: 'interrupted' }, retry: { attempt: 2 } });
    await clock2.advanceTo(t('2026-05-01T04:03:00Z'));
    expect(s.runner.runs('load').map((p) => p.request.attempt)).toEqual([1, 2]);
    s.runner.runs('load')[1]!.finish();
    await second.stop();
  });

  it('killed between recording a run and starting it: the run is started once after the restart', async () => {
    const s = await setup({ load: { schedule: '0 6 * * *' } }, {}, '2026-05-01T03:00:00Z');
    const store = new StateStore(s.dir);
    await store.save({
      format: 'caudal.scheduler-state/1',
      jobs: { load: { lastSlot: '2026-05-01T04:00:00.000Z', running: { runId: '20260501T040000-deadbeef', dir: path.join(s.dir, 'x'), pid: null, startedAt: '2026-05-01T04:00:00.000Z', attempt: 1, trigger: 'schedule', slot: '2026-05-01T04:00:00.000Z', durationAlerted: false }, queued: null, retry: null, lastRun: null, lastSuccess: null, upstreamSeen: {} } },
    });
    s.clock.advanceTo(t('2026-05-01T04:00:05Z'));
    const sched = s.make();
    await sched.start();
    await sched.idle();
    expect(s.runner.runs('load')).toHaveLength(1);
    expect(s.runner.runs('load')[0]!.request.slot).toBe('2026-05-01T04:00:00.000Z');
    expect(s.log.events('run_not_started', 'load')).toHaveLength(1);
    s.runner.runs('load')[0]!.finish();
    await sched.stop();
  });

  it('stop waits for running jobs to finish, keeps queued work for the next start', async () => {
    const s = await setup({ a: { schedule: '0 6 * * *' }, b: { depends_on: ['a'] } }, {}, '2026-05-01T03:00:00Z');
    const sched = s.make();
    await sched.start();
    await s.clock.advanceTo(t('2026-05-01T04:00:00Z'));
    let stopped = false;
    const stopping = sched.stop().then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(stopped).toBe(false);
    s.runner.runs('a')[0]!.finish();
    await stopping;
    expect(s.runner.runs('b')).toHaveLength(0); // not started while stopping…
    const again = s.make({ clock: new ManualClock(t('2026-05-01T04:01:00Z')) });
    await again.start();
    await again.idle();
    expect(s.runner.runs('b')).toHaveLength(1); // …but on the next start
    s.runner.runs('b')[0]!.finish();
    await again.stop();
  });

  it('at most max_parallel_runs at once; the others wait their turn', async () => {
    const s = await setup({ a: { schedule: '0 6 * * *' }, b: { schedule: '0 6 * * *' }, c: { schedule: '0 6 * * *' } }, { max_parallel_runs: 2 }, '2026-05-01T03:00:00Z');
    const sched = s.make();
    await sched.start();
    await s.clock.advanceTo(t('2026-05-01T04:00:00Z'));
    expect(s.runner.running()).toHaveLength(2);
    s.runner.running()[0]!.finish();
    await sched.idle();
    expect(s.runner.processes).toHaveLength(3);
    for (const p of s.runner.running()) p.finish();
    await sched.stop();
  });

  it('pause file skips slots; a request file runs a job now', async () => {
    const s = await setup({ a: { schedule: '0 * * * *' } }, {}, '2026-05-01T10:30:00Z');
    s.runner.autoFinish = () => ({});
    const controls = new Controls(s.dir);
    const sched = s.make();
    await sched.start();
    await controls.setPaused('a', true);
    await s.clock.advanceTo(t('2026-05-01T11:00:00Z'));
    await sched.idle();
    expect(s.runner.processes).toHaveLength(0);
    expect(s.log.events('slot_skipped', 'a')[0]).toMatchObject({ reason: 'paused' });
    await controls.setPaused('a', false);
    await controls.requestRun('a');
    await sched.poke();
    await sched.idle();
    expect(s.runner.runs('a').map((p) => p.request.trigger)).toEqual(['manual']);
    await s.clock.advanceTo(t('2026-05-01T12:00:00Z'));
    await sched.idle();
    expect(s.runner.runs('a').map((p) => p.request.trigger)).toEqual(['manual', 'schedule']);
    await sched.stop();
  });

  it('alerts when a run passes its expected duration (once, even after a restart) and when quality is below the threshold', async () => {
    const s = await setup(
      { q: { schedule: '0 6 * * *', alerts: { channels: ['ops'], expected_duration_s: 300, quality_below: 95 } } },
      { alerts: { ops: { type: 'webhook', url: 'http://127.0.0.1:1/hook' } } },
      '2026-05-01T03:00:00Z',
    );
    const store1 = new KillableStore(s.dir);
    const first = s.make({ store: store1 });
    await first.start();
    await s.clock.advanceTo(t('2026-05-01T04:06:00Z'));
    await first.idle();
    expect(s.alerts.map((a) => a.alert.kind)).toEqual(['duration']);
    expect(s.alerts[0]!.alert).toMatchObject({ expectedMs: 300_000, elapsedMs: 300_000 });
    store1.dead = true;
    const clock2 = new ManualClock(t('2026-05-01T04:07:00Z'));
    const second = s.make({ clock: clock2 });
    await second.start();
    await clock2.advance(MIN);
    s.runner.runs('q')[0]!.finish({ qualityScore: 90 });
    await second.idle();
    expect(s.alerts.map((a) => a.alert.kind)).toEqual(['duration', 'quality']);
    expect(s.alerts[1]!.alert).toMatchObject({ qualityScore: 90, threshold: 95 });
    await second.stop();
  });
});

describe('scheduler: a state file that cannot be read', () => {
  for (const [what, text] of [
    ['empty', ''],
    ['cut short', '{"format":"caudal.scheduler-state/1","jobs":{"a":{"lastSl'],
  ] as const) {
    it(`(${what}) fails the start naming the file, then runs nothing and never overwrites it`, async () => {
      const s = await setup({ a: { schedule: '0 * * * *' } }, {}, '2026-05-01T10:30:00Z');
      const store = new StateStore(s.dir);
      await mkdir(path.dirname(store.file), { recursive: true });
      await writeFile(store.file, text);
      const sched = s.make();
      const failure = await sched.start().then(
        () => null,
        (e: Error & { hint?: string }) => e,
      );
      expect(failure?.message).toContain(store.file);
      expect(failure?.hint).toMatch(/move it aside/);
      // later wakes, pokes and a stop change nothing
      await sched.poke();
      await s.clock.advanceTo(t('2026-05-01T13:00:00Z'));
      await sched.stop();
      expect(s.runner.processes).toHaveLength(0);
      expect(await readFile(store.file, 'utf8')).toBe(text);
      expect(s.log.events('scheduler_started')).toEqual([]);
    });
  }

  it('StateStore.load (what `caudal jobs list` reads) names the file rather than a bare JSON error', async () => {
    const dir = await tempDir('caudal-state-');
    const store = new StateStore(dir);
    await mkdir(path.dirname(store.file), { recursive: true });
    await writeFile(store.file, '');
    await expect(store.load()).rejects.toThrow(`the scheduler state file ${store.file} cannot be read: it is empty`);
  });
});

describe('scheduler: a paused job starts nothing by itself', () => {
  it('its queued run is dropped and logged as skipped because the job is paused', async () => {
    const s = await setup({ q: { schedule: '* * * * *', on_overlap: 'queue' } }, {}, '2026-05-01T10:00:30Z');
    const controls = new Controls(s.dir);
    const sched = s.make();
    await sched.start();
    await s.clock.advanceTo(t('2026-05-01T10:02:00Z'));
    expect(sched.snapshot().jobs.q!.queued).toMatchObject({ slot: '2026-05-01T10:02:00.000Z' });
    await controls.setPaused('q', true);
    await sched.poke();
    s.runner.runs('q')[0]!.finish();
    await sched.idle();
    expect(s.runner.runs('q')).toHaveLength(1);
    expect(sched.snapshot().jobs.q!.queued).toBeNull();
    expect(s.log.events('slot_skipped', 'q').at(-1)).toMatchObject({ reason: 'paused', message: expect.stringMatching(/2026-05-01T10:02:00.000Z run is skipped: the job is paused/) });
    await sched.stop();
  });

  it('its pending retry is dropped and logged as skipped because the job is paused', async () => {
    const s = await setup({ r: { schedule: '0 6 * * *', retries: { count: 2, delay_s: 60 } } }, {}, '2026-05-01T03:00:00Z');
    s.runner.autoFinish = () => failed;
    const controls = new Controls(s.dir);
    const sched = s.make();
    await sched.start();
    await s.clock.advanceTo(t('2026-05-01T04:00:30Z'));
    expect(sched.snapshot().jobs.r!.retry).toMatchObject({ attempt: 2 });
    await controls.setPaused('r', true);
    await s.clock.advanceTo(t('2026-05-01T05:00:00Z'));
    expect(s.runner.runs('r')).toHaveLength(1);
    expect(sched.snapshot().jobs.r!.retry).toBeNull();
    expect(s.log.events('slot_skipped', 'r').at(-1)).toMatchObject({ reason: 'paused', message: expect.stringMatching(/attempt 2 .* is skipped: the job is paused/) });
    await sched.stop();
  });

  it('paused in the project file: a queued slot from the day before is not started at the next start', async () => {
    const s = await setup({ p: { schedule: '0 6 * * *', paused: true } }, {}, '2026-05-02T09:00:00Z');
    const store = new StateStore(s.dir);
    await store.save({
      format: 'caudal.scheduler-state/1',
      jobs: { p: { lastSlot: '2026-05-01T04:00:00.000Z', running: null, queued: { trigger: 'schedule', slot: '2026-05-01T04:00:00.000Z', attempt: 1, since: '2026-05-01T04:00:00.000Z' }, retry: null, lastRun: null, lastSuccess: null, upstreamSeen: {} } },
    });
    const sched = s.make();
    await sched.start();
    await sched.idle();
    expect(s.runner.processes).toHaveLength(0);
    expect(s.log.events('slots_missed', 'p').at(-1)?.message).toMatch(/the job is paused: not run/);
    expect(s.log.events('slot_skipped', 'p').at(-1)).toMatchObject({ reason: 'paused' });
    await sched.stop();
  });

  it('a run someone asks for (Run now, `jobs run`) still runs while the job is paused', async () => {
    const s = await setup({ a: { schedule: '0 6 * * *', paused: true } }, {}, '2026-05-01T10:30:00Z');
    s.runner.autoFinish = () => ({});
    const sched = s.make();
    await sched.start();
    await sched.runNow('a');
    await sched.idle();
    expect(s.runner.runs('a').map((p) => p.request.trigger)).toEqual(['manual']);
    await sched.stop();
  });
});

describe('scheduler: a dependent job added later', () => {
  it('waits for its upstream job next success instead of running for a slot days old', async () => {
    const s = await setup({ extract: { schedule: '0 5 * * *' }, late: { depends_on: ['extract'], params: { day: '{scheduled_date}' } } }, {}, '2026-05-09T12:00:00Z');
    s.runner.autoFinish = () => ({});
    const store = new StateStore(s.dir);
    // the state of a scheduler that ran only `extract`, last successful 8 days ago
    await store.save({
      format: 'caudal.scheduler-state/1',
      jobs: { extract: { lastSlot: '2026-05-09T03:00:00.000Z', running: null, queued: null, retry: null, lastRun: null, lastSuccess: { at: '2026-05-01T03:00:10.000Z', slot: '2026-05-01T03:00:00.000Z' }, upstreamSeen: {} } },
    });
    const sched = s.make();
    await sched.start();
    await sched.idle();
    expect(s.runner.runs('late')).toHaveLength(0);
    await s.clock.advanceTo(t('2026-05-10T04:00:00Z'));
    await sched.idle();
    expect(s.runner.runs('late').map((p) => [p.request.trigger, p.request.params.day])).toEqual([['dependency', '2026-05-10']]);
    await sched.stop();
  });
});

describe('scheduler: `caudal jobs run` while a scheduler runs the project', () => {
  it('hands the run to the scheduler and waits for its outcome, with the --param overrides', async () => {
    const s = await setup({ load: { schedule: '0 6 * * *', params: { day: '{scheduled_date}', mode: 'full' } } }, {}, '2026-05-01T10:00:00Z');
    const sched = s.make();
    await sched.start();
    const controls = new Controls(s.dir);
    const started: string[] = [];
    const job = s.project.jobs[0]!;
    const waiting = runThroughScheduler(s.project, job, { mode: 'delta' }, { schedulerRunning: async () => true, pollMs: 5, onStarted: (r) => started.push(r.runId) });
    // the scheduler's watcher pokes it when the request file appears
    while ((await readdir(controls.requestsDir).catch(() => [])).filter((n) => !n.startsWith('.')).length === 0) await new Promise((r) => setTimeout(r, 5));
    await sched.poke();
    await sched.idle();
    const run = s.runner.runs('load')[0]!;
    expect(run.request).toMatchObject({ trigger: 'manual', params: { day: '2026-05-01', mode: 'delta' } });
    run.finish({ status: 'failed', exitCode: 1, error: { kind: 'execution', message: 'boom' } });
    await sched.idle();
    const result = await waiting;
    expect(result).toMatchObject({ kind: 'finished', runId: run.request.runId, lastRun: { status: 'failed', error: { message: 'boom' } } });
    expect(started).toEqual([run.request.runId]);
    // the reply is gone once read
    expect(await readdir(controls.repliesDir)).toEqual([]);
    await sched.stop();
  });

  it('a request the scheduler does not take is answered at once with the reason', async () => {
    const s = await setup({ load: { schedule: '* * * * *', on_overlap: 'queue' } }, {}, '2026-05-01T10:00:30Z');
    const sched = s.make();
    await sched.start();
    await s.clock.advanceTo(t('2026-05-01T10:02:00Z')); // one running, one queued
    const controls = new Controls(s.dir);
    const waiting = runThroughScheduler(s.project, s.project.jobs[0]!, undefined, { schedulerRunning: async () => true, pollMs: 5 });
    while ((await readdir(controls.requestsDir).catch(() => [])).filter((n) => !n.startsWith('.')).length === 0) await new Promise((r) => setTimeout(r, 5));
    await sched.poke();
    expect(await waiting).toEqual({ kind: 'skipped', message: 'the requested run is skipped: a run is already waiting to start', retryable: true });
    await sched.stop({ cancelRuns: true });
  });

  it('with --wait, a request not taken is made again once the waiting run has started, and ends with its own run', async () => {
    const s = await setup({ load: { schedule: '* * * * *', on_overlap: 'queue' } }, {}, '2026-05-01T10:00:30Z');
    const sched = s.make();
    await sched.start();
    await s.clock.advanceTo(t('2026-05-01T10:02:00Z')); // one running, one queued
    const controls = new Controls(s.dir);
    const told: string[] = [];
    const waiting = runThroughScheduler(s.project, s.project.jobs[0]!, { mode: 'mine' }, { schedulerRunning: async () => true, pollMs: 5, waitWhenSkipped: (m) => told.push(m) });
    let settled = false;
    void waiting.finally(() => (settled = true));
    // The scheduler's watcher pokes it when a request file appears.
    const answerRequest = async () => {
      while ((await readdir(controls.requestsDir).catch(() => [])).filter((n) => !n.startsWith('.')).length === 0) await new Promise((r) => setTimeout(r, 5));
      await sched.poke();
      await sched.idle();
    };
    await answerRequest();
    while (told.length === 0) await new Promise((r) => setTimeout(r, 5));
    expect(told).toEqual(['the requested run is skipped: a run is already waiting to start']);
    // Asked again (every second) while the queued run still waits: skipped again, logged once.
    await answerRequest();
    await answerRequest();
    expect(s.log.events('run_requested', 'load')).toHaveLength(1);
    expect(s.log.events('slot_skipped', 'load').map((e) => e.reason)).toEqual(['already_queued']);
    // The running run ends, the waiting one starts; the request, made again, now waits behind it.
    s.runner.runs('load')[0]!.finish();
    await sched.idle();
    await answerRequest();
    expect(s.runner.runs('load')).toHaveLength(2);
    s.runner.runs('load')[1]!.finish();
    await sched.idle();
    const mine = s.runner.runs('load')[2]!;
    expect(mine.request).toMatchObject({ trigger: 'manual', params: { mode: 'mine' } });
    expect(settled).toBe(false);
    mine.finish({ status: 'failed', exitCode: 1, error: { kind: 'execution', message: 'mine failed' } });
    await sched.idle();
    expect(await waiting).toMatchObject({ kind: 'finished', runId: mine.request.runId, lastRun: { status: 'failed', error: { message: 'mine failed' } } });
    expect(told).toHaveLength(1);
    // The request that was taken is logged, once.
    expect(s.log.events('run_requested', 'load')).toHaveLength(2);
    expect(s.log.events('slot_skipped', 'load')).toHaveLength(1);
    await sched.stop({ cancelRuns: true });
  });
});

describe('scheduler: a run that finds its pipeline or a destination busy', () => {
  it('is retried like a failure, so its slot is not lost', async () => {
    const s = await setup({ b: { schedule: '0 6 * * *', retries: { count: 1, delay_s: 60 }, alerts: { channels: ['ops'] } } }, { alerts: { ops: { type: 'webhook', url: 'http://127.0.0.1:1/hook' } } }, '2026-05-01T03:00:00Z');
    let n = 0;
    s.runner.autoFinish = () => (++n === 1 ? { status: 'busy', exitCode: 75, error: { kind: 'busy', message: 'out.csv is in use by another run' } } : {});
    const sched = s.make();
    await sched.start();
    await s.clock.advanceTo(t('2026-05-01T05:00:00Z'));
    expect(s.runner.runs('b').map((p) => [p.request.attempt, p.request.slot])).toEqual([
      [1, '2026-05-01T04:00:00.000Z'],
      [2, '2026-05-01T04:00:00.000Z'],
    ]);
    expect(sched.snapshot().jobs.b!.lastRun?.status).toBe('succeeded');
    expect(s.alerts).toEqual([]);
    await sched.stop();
  });

  it('still busy after its last attempt: alerts, like a failure', async () => {
    const s = await setup({ b: { schedule: '0 6 * * *', alerts: { channels: ['ops'] } } }, { alerts: { ops: { type: 'webhook', url: 'http://127.0.0.1:1/hook' } } }, '2026-05-01T03:00:00Z');
    s.runner.autoFinish = () => ({ status: 'busy', exitCode: 75, error: { kind: 'busy', message: 'out.csv is in use by another run' } });
    const sched = s.make();
    await sched.start();
    await s.clock.advanceTo(t('2026-05-01T05:00:00Z'));
    expect(s.alerts.map((a) => a.alert.message)).toEqual(["job 'b' could not run (busy): out.csv is in use by another run"]);
    await sched.stop();
  });
});

describe('`caudal jobs history` says what the scheduler says', () => {
  it('a timeout is noted in the run record, and history reads timed_out, busy and interrupted as the scheduler logs them', async () => {
    const s = await setup({ slow: { schedule: '0 6 * * *', timeout_s: 600 } }, {}, '2026-05-01T03:00:00Z');
    const sched = s.make();
    await sched.start();
    await s.clock.advanceTo(t('2026-05-01T04:00:00Z'));
    // The run's own record counts from after its process started: shorter than the scheduler's watch.
    s.runner.runs('slow')[0]!.ownElapsedMs = 598_900;
    await s.clock.advanceTo(t('2026-05-01T04:10:00Z'));
    await sched.idle();
    // Never "timed out after 598.9 s: stopped after its timeout of 600 s".
    expect(s.log.events('run_finished', 'slow')[0]).toMatchObject({ status: 'timed_out', elapsedMs: 600_000 });
    expect(s.runner.notes).toEqual([
      { dir: s.runner.runs('slow')[0]!.request.dir, error: { kind: 'timeout', message: 'stopped after its timeout of 600 s' }, timing: { startedAt: '2026-05-01T04:00:00.000Z', elapsedMs: 600_000 } },
    ]);
    await sched.stop();

    // the records `caudal run` leaves, as ProcessRunner completes them
    const job = s.project.jobs[0]!;
    const base = { pipeline: 'slow', pipelinePath: job.pipeline, elapsedMs: 5, rows: null, qualityScore: null, targets: [], params: {}, job: 'slow', summary: null };
    const record = async (runId: string, startedAt: string, extra: object) => {
      const dir = path.join(path.dirname(job.pipeline), '.caudal', 'runs', runId);
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, 'run.json'), JSON.stringify({ ...base, runId, dir, startedAt, ...extra }));
      return dir;
    };
    const timedOut = await record('r1', '2026-05-01T04:00:00Z', { status: 'cancelled', error: { kind: 'cancelled', message: 'the run was cancelled; no destination was changed' } });
    await new ProcessRunner().noteOutcome(timedOut, { kind: 'timeout', message: 'stopped after its timeout of 600 s' }, { startedAt: '2026-05-01T03:59:59.000Z', elapsedMs: 600_000 });
    await record('r2', '2026-05-01T04:01:00Z', { status: 'failed', error: { kind: 'busy', message: 'out.csv is in use by another run' } });
    await record('r3', '2026-05-01T04:02:00Z', { status: 'failed', error: { kind: 'interrupted', message: "the run's process was stopped by SIGKILL before the run finished" } });
    await record('r4', '2026-05-01T04:03:00Z', { status: 'cancelled', error: { kind: 'cancelled', message: 'cancelled' } });
    await record('r5', '2026-05-01T04:04:00Z', { status: 'failed', error: { kind: 'execution', message: 'boom' } });
    const runs = await jobRuns(s.project, job, 10);
    expect(runs.map((r) => [r.runId, jobRunStatus(r)])).toEqual([
      ['r5', 'failed'],
      ['r4', 'cancelled'],
      ['r3', 'interrupted'],
      ['r2', 'busy'],
      ['r1', 'timed_out'],
    ]);
    expect(runs.find((r) => r.runId === 'r1')).toMatchObject({ startedAt: '2026-05-01T03:59:59.000Z', elapsedMs: 600_000 });
  });
});
