import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import type { HostCallError, HostClient } from '../core/src/host-api/contract.js';
import { HostService } from '../core/src/host/host-service.js';
import { inProcessClient } from '../core/src/host/in-process.js';
import { EnvSecretStore } from '../core/src/secrets/env-store.js';
import { startCaudal } from './support/cli.js';
import { tempDir } from './support/pipeline.js';

/** The Schedules view's host methods (schedules.open|history|runNow|pause), in-process. */
let dir: string;
let host: HostClient;
let projectFile: string;

const pipeline = {
  format: 'caudal.pipeline/1',
  name: 'numbers',
  params: { n: { type: 'number', default: 5 } },
  nodes: [
    { id: 'src', type: 'transform.sql', params: { query: 'SELECT range AS id FROM range($n)' } },
    { id: 'out', type: 'sink.csv', params: { path: 'out/numbers.csv', if_exists: 'overwrite' } },
  ],
  edges: [{ from: 'src:out', to: 'out:in' }],
};

beforeAll(async () => {
  dir = await tempDir('caudal-host-sched-');
  await mkdir(path.join(dir, 'pipelines'));
  await writeFile(path.join(dir, 'pipelines', 'numbers.json'), JSON.stringify(pipeline));
  projectFile = path.join(dir, 'caudal.project.json');
  await writeFile(
    projectFile,
    JSON.stringify({ format: 'caudal.project/1', name: 'studio', timezone: 'Europe/Madrid', jobs: { nightly: { pipeline: 'pipelines/numbers.json', schedule: '30 2 * * *', params: { n: 7 } }, after: { pipeline: 'pipelines/numbers.json', depends_on: ['nightly'] } } }),
  );
  const store = new EnvSecretStore({});
  const service = new HostService({ mode: 'in-process', secrets: { stores: [store], writeStore: store }, paths: { userDataDir: path.join(dir, 'config'), workspaceDir: dir, homeDir: dir } });
  host = inProcessClient(service);
});

describe('schedules.* host methods', () => {
  it('open finds the project from a pipeline folder and lists jobs with next runs; no scheduler running', async () => {
    const o = await host['schedules.open']({ near: path.join(dir, 'pipelines') });
    expect(o).toMatchObject({ path: projectFile, name: 'studio', scheduler: null });
    expect(o.jobs.map((j) => [j.name, j.schedule, j.dependsOn, j.paused])).toEqual([
      ['nightly', '30 2 * * *', [], false],
      ['after', null, ['nightly'], false],
    ]);
    // 02:30 in Madrid is 00:30 or 01:30 UTC depending on the season
    expect(o.jobs[0]!.nextRunAt).toMatch(/T0[01]:30:00\.000Z$/);
    expect(o.jobs[1]!.nextRunAt).toBeNull();
  });

  it('a missing project file is an error that says how to make one', async () => {
    const err = await host['schedules.open']({ near: '/' }).catch((e: HostCallError) => e.error);
    expect(err).toMatchObject({ kind: 'usage', message: expect.stringMatching(/no caudal\.project\.json in \/ or a parent folder/) });
  });

  it('runNow without a scheduler runs the job directly; history shows the run with rows and duration', async () => {
    const started = await host['schedules.runNow']({ path: projectFile, job: 'nightly' });
    expect(started.via).toBe('studio');
    let runs: Awaited<ReturnType<HostClient['schedules.history']>>['runs'] = [];
    for (let i = 0; i < 300; i++) {
      runs = (await host['schedules.history']({ path: projectFile, job: 'nightly' })).runs;
      if (runs[0]?.status === 'succeeded') break;
      await sleep(200);
    }
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ runId: started.runId, job: 'nightly', trigger: 'manual', status: 'succeeded', rows: 7, params: { n: '7' } });
    expect(runs[0]!.elapsedMs).toBeGreaterThan(0);
    expect(await readFile(path.join(dir, 'pipelines', 'out', 'numbers.csv'), 'utf8')).toBe('id\n0\n1\n2\n3\n4\n5\n6\n');
  });

  it('pause and resume go through the pause file; an unknown job names the known ones', async () => {
    expect(await host['schedules.pause']({ path: projectFile, job: 'nightly', paused: true })).toEqual({ paused: true });
    expect((await host['schedules.open']({ path: projectFile })).jobs[0]!.paused).toBe(true);
    await host['schedules.pause']({ path: projectFile, job: 'nightly', paused: false });
    expect((await host['schedules.open']({ path: projectFile })).jobs[0]!.paused).toBe(false);
    const err = await host['schedules.pause']({ path: projectFile, job: 'nighty', paused: true }).then(
      () => null,
      (e: HostCallError) => e.error,
    );
    expect(err?.message).toMatch(/no job 'nighty' .*did you mean 'nightly'/);
  });

  it('with a scheduler running, runNow is a request it carries out (and the dependent job follows)', async () => {
    const sched = startCaudal(['schedule', projectFile, '--json'], { cwd: dir });
    try {
      for (let i = 0; i < 300 && (await host['schedules.open']({ path: projectFile })).scheduler === null; i++) await sleep(200);
      expect((await host['schedules.open']({ path: projectFile })).scheduler?.pid).toBe(sched.child.pid);
      expect(await host['schedules.runNow']({ path: projectFile, job: 'nightly' })).toEqual({ via: 'scheduler', runId: null });
      let jobs = (await host['schedules.open']({ path: projectFile })).jobs;
      for (let i = 0; i < 600 && jobs[1]!.lastRun?.status !== 'succeeded'; i++) {
        await sleep(200);
        jobs = (await host['schedules.open']({ path: projectFile })).jobs;
      }
      expect(jobs[0]!.lastRun).toMatchObject({ status: 'succeeded', trigger: 'manual' });
      expect(jobs[1]!.lastRun).toMatchObject({ status: 'succeeded', trigger: 'dependency' });
    } finally {
      sched.child.kill('SIGTERM');
      expect((await sched.result).code).toBe(0);
    }
    // The waits above allow a loaded machine a minute to start the scheduler and two for the runs.
  }, 180_000);
});
