import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { caudal, startCaudal } from './support/cli.js';
import { tempDir } from './support/pipeline.js';

/**
 * The scheduler with real `caudal run` processes: `caudal schedule` killed with SIGKILL mid-run and
 * started again leaves no job stuck as running and never runs a slot twice; SIGTERM waits for the
 * running job; `caudal jobs` runs, lists and pauses jobs from the same records.
 */
const spawned: number[] = [];
afterAll(() => {
  for (const pid of spawned)
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone
    }
});

const slowPipeline = {
  format: 'caudal.pipeline/1',
  name: 'slow',
  params: { n: { type: 'number', default: 10 } },
  nodes: [
    { id: 'src', type: 'transform.sql', params: { query: 'SELECT range AS id, md5(range::VARCHAR) AS a, md5((range * 7)::VARCHAR) AS b FROM range($n)' } },
    { id: 'out', type: 'sink.parquet', params: { path: 'out/slow.parquet', if_exists: 'overwrite' } },
  ],
  edges: [{ from: 'src:out', to: 'out:in' }],
};

async function project(jobs: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const dir = await tempDir('caudal-schedule-');
  await writeFile(path.join(dir, 'slow.json'), JSON.stringify(slowPipeline));
  const file = path.join(dir, 'caudal.project.json');
  await writeFile(file, JSON.stringify({ format: 'caudal.project/1', name: 'it', timezone: 'UTC', jobs, ...extra }));
  return { dir, file, state: () => readJson(path.join(dir, '.caudal/scheduler/state.json')) };
}

// The files read here (state.json, run.json) are checked field by field with expect.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

async function readJson(file: string): Promise<Json> {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch {
    return null;
  }
}

async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 150_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

async function runRecords(dir: string): Promise<Json[]> {
  const runs = path.join(dir, '.caudal', 'runs');
  const names = await readdir(runs).catch(() => []);
  return (await Promise.all(names.map((n) => readJson(path.join(runs, n, 'run.json'))))).filter(Boolean);
}

describe('caudal schedule (real runs)', () => {
  it('SIGKILL mid-run, restart: the run is followed to its end, recorded once, never started twice; SIGTERM waits for it', async () => {
    // every 5 s; each run takes longer, so slots come while it runs (skipped: no overlap)
    const p = await project({ slow: { pipeline: 'slow.json', schedule: '*/5 * * * * *', params: { n: 1_500_000 } } });
    const first = startCaudal(['schedule', p.file, '--json'], { cwd: p.dir });
    spawned.push(first.child.pid!);
    const running = await until('a running job', async () => (await p.state())?.jobs?.slow?.running?.pid && (await p.state()).jobs.slow.running);
    spawned.push(running.pid);
    first.child.kill('SIGKILL');
    await first.result;

    const second = startCaudal(['schedule', p.file, '--json'], { cwd: p.dir });
    spawned.push(second.child.pid!);
    const log: string[] = [];
    second.child.stdout!.on('data', (d: Buffer) => log.push(d.toString()));
    const last = await until('the first run recorded as finished', async () => {
      const s = await p.state();
      return s?.jobs?.slow?.lastRun?.runId === running.runId && s.jobs.slow.lastRun;
    });
    expect(last.status).toBe('succeeded');
    expect(log.join('')).toMatch(/"event":"run_reattached"/);
    // SIGTERM: no new runs, exit 0 once the one running (if any) has finished
    second.child.kill('SIGTERM');
    const end = await second.result;
    expect(end.code).toBe(0);
    const state = await p.state();
    expect(state.jobs.slow.running).toBeNull();
    const records = await runRecords(p.dir);
    expect(records.filter((r) => r.status === 'running')).toEqual([]);
    const slots = records.map((r) => r.slot);
    expect(new Set(slots).size).toBe(slots.length); // no slot ran twice
    expect(records.find((r) => r.runId === running.runId)).toMatchObject({ job: 'slow', trigger: 'schedule', status: 'succeeded', rows: 1_500_000 });
  });

  it('killed together with its run (the whole process group): the run is marked interrupted and retried once', async () => {
    const p = await project({ slow: { pipeline: 'slow.json', schedule: '*/5 * * * * *', params: { n: 1_500_000 }, retries: { count: 1, delay_s: 0 }, on_overlap: 'skip' } });
    const first = startCaudal(['schedule', p.file, '--json'], { cwd: p.dir });
    spawned.push(first.child.pid!);
    const running = await until('a running job', async () => (await p.state())?.jobs?.slow?.running?.pid && (await p.state()).jobs.slow.running);
    // killed mid-run: once the run has recorded itself
    await until('the run record', async () => readJson(path.join(running.dir, 'run.json')));
    first.child.kill('SIGKILL');
    process.kill(-running.pid, 'SIGKILL');
    await first.result;

    const second = startCaudal(['schedule', p.file, '--json'], { cwd: p.dir });
    spawned.push(second.child.pid!);
    const retried = await until('the retry', async () => {
      const s = await p.state();
      const r = s?.jobs?.slow;
      return r?.lastRun?.attempt === 2 && r.lastRun;
    });
    expect(retried).toMatchObject({ status: 'succeeded', slot: running.slot, trigger: 'schedule' });
    second.child.kill('SIGTERM');
    expect((await second.result).code).toBe(0);
    const records = await runRecords(p.dir);
    expect(records.find((r) => r.runId === running.runId)).toMatchObject({ status: 'failed', error: { message: expect.stringMatching(/process was stopped by SIGKILL|ended before the run finished/) } });
    expect(records.filter((r) => r.status === 'running')).toEqual([]);
  });

  it('an idle scheduler stays idle: its own state and log writes do not wake it (no busy loop)', async () => {
    const p = await project({ slow: { pipeline: 'slow.json', schedule: '0 0 1 1 *' } });
    const sched = startCaudal(['schedule', p.file], { cwd: p.dir });
    spawned.push(sched.child.pid!);
    const stateFile = path.join(p.dir, '.caudal/scheduler/state.json');
    await until('the state file', async () => readJson(stateFile));
    await sleep(1000);
    const before = (await stat(stateFile)).mtimeMs;
    await sleep(3000);
    expect((await stat(stateFile)).mtimeMs).toBe(before);
    sched.child.kill('SIGTERM');
    expect((await sched.result).code).toBe(0);
  });

  it('a second scheduler for the same project exits 75 and names the first', async () => {
    const p = await project({ slow: { pipeline: 'slow.json', schedule: '0 0 1 1 *' } });
    const first = startCaudal(['schedule', p.file], { cwd: p.dir });
    spawned.push(first.child.pid!);
    await until('the first scheduler', async () => readJson(path.join(p.dir, '.caudal/scheduler/scheduler.pid')));
    const second = await caudal(['schedule', p.file], { cwd: p.dir });
    expect(second.code).toBe(75);
    expect(second.stderr).toMatch(new RegExp(`a scheduler is already running for this project \\(pid ${first.child.pid}`));
    first.child.kill('SIGTERM');
    expect((await first.result).code).toBe(0);
  });
});

describe('caudal schedule: a state file that cannot be read', () => {
  it('exits non-zero naming the file, without keeping the lock and without overwriting the file', async () => {
    const p = await project({ slow: { pipeline: 'slow.json', schedule: '*/5 * * * * *', params: { n: 10 } } });
    const stateFile = path.join(p.dir, '.caudal/scheduler/state.json');
    await mkdir(path.dirname(stateFile), { recursive: true });
    await writeFile(stateFile, '');
    const r = await caudal(['schedule', p.file], { cwd: p.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`the scheduler state file ${stateFile} cannot be read: it is empty`);
    expect(r.stderr).toMatch(/move it aside/);
    expect(await readFile(stateFile, 'utf8')).toBe('');
    expect(await readdir(path.join(p.dir, '.caudal/scheduler'))).not.toContain('scheduler.pid');
    const list = await caudal(['jobs', 'list', '-f', p.file]);
    expect(list.stderr).toContain(stateFile);
  });
});

describe('caudal jobs run while a scheduler runs the project', () => {
  it('goes through the scheduler and prints the outcome it records', async () => {
    const p = await project({ nightly: { pipeline: 'slow.json', schedule: '0 0 1 1 *', params: { n: 1000 } } });
    const sched = startCaudal(['schedule', p.file, '--json'], { cwd: p.dir });
    spawned.push(sched.child.pid!);
    await until('the scheduler', async () => readJson(path.join(p.dir, '.caudal/scheduler/scheduler.pid')));
    const run = await caudal(['jobs', 'run', 'nightly', '-f', p.file, '--param', 'n=20']);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(new RegExp(`a scheduler runs this project \\(pid ${sched.child.pid}\\)`));
    expect(run.stderr).toMatch(/✔ nightly: succeeded in .*20 rows/);
    const state = await p.state();
    expect(state.jobs.nightly.lastRun).toMatchObject({ status: 'succeeded', trigger: 'manual', rows: 20 });
    sched.child.kill('SIGTERM');
    expect((await sched.result).code).toBe(0);
  });
});

describe('caudal jobs', () => {
  it('run records the job in the run folder; list and history show it; pause and resume', async () => {
    const p = await project({ nightly: { pipeline: 'slow.json', schedule: '0 2 * * *', params: { n: 1000 } }, after: { pipeline: 'slow.json', depends_on: ['nightly'] } });
    const run = await caudal(['jobs', 'run', 'nightly', '-f', p.file]);
    expect(run.code).toBe(0);
    const [record] = await runRecords(p.dir);
    expect(record).toMatchObject({ job: 'nightly', trigger: 'manual', status: 'succeeded', rows: 1000, params: { n: '1000' } });
    const history = JSON.parse((await caudal(['jobs', 'history', '--json'], { cwd: p.dir })).stdout);
    expect(history.map((r: { runId: string }) => r.runId)).toEqual([record.runId]);
    expect((await caudal(['jobs', 'pause', 'nightly', '-f', p.file])).code).toBe(0);
    const list = JSON.parse((await caudal(['jobs', 'list', '-f', p.file, '--json'])).stdout);
    expect(list.scheduler).toBeNull();
    expect(list.jobs.map((j: { name: string; paused: boolean }) => [j.name, j.paused])).toEqual([
      ['nightly', true],
      ['after', false],
    ]);
    expect(list.jobs[0].nextRunAt).toMatch(/T02:00:00.000Z$/);
    expect((await caudal(['jobs', 'resume', 'nightly', '-f', p.file])).code).toBe(0);
    expect(JSON.parse((await caudal(['jobs', 'list', '-f', p.file, '--json'])).stdout).jobs[0].paused).toBe(false);
  });

  it('an invalid project names every problem with its path (exit 2)', async () => {
    const p = await project({
      a: { pipeline: 'slow.json', schedule: '0 25 * * *', depends_on: [] },
      b: { pipeline: 'missing.json', depends_on: ['c'] },
      c: { pipeline: 'slow.json', depends_on: ['b'], timezone: 'Europe/Madird' },
      d: { pipeline: 'slow.json', depends_on: ['nope'] },
    });
    const r = await caudal(['jobs', 'list', '-f', p.file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/jobs\.a\.schedule: invalid cron expression '0 25 \* \* \*'/);
    expect(r.stderr).toMatch(/jobs\.b\.pipeline: pipeline file .*missing\.json does not exist/);
    expect(r.stderr).toMatch(/jobs\.c\.timezone: unknown time zone 'Europe\/Madird'/);
    expect(r.stderr).toMatch(/jobs\.d\.depends_on\[0\]: unknown job 'nope'/);
    expect(r.stderr).toMatch(/jobs depend on each other in a cycle: (b → c → b|c → b → c)/);
  });
});
