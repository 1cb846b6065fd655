import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/src/scheduler/clock.js';
import { Controls } from '../core/src/scheduler/controls.js';
import { adoptLegacyState } from '../core/src/scheduler/legacy-state.js';
import { parseProject } from '../core/src/scheduler/load-project.js';
import { projectOverview } from '../core/src/scheduler/overview.js';
import type { Project } from '../core/src/scheduler/project.js';
import { acquireSchedulerLock, runningScheduler } from '../core/src/scheduler/scheduler-lock.js';
import { Scheduler } from '../core/src/scheduler/scheduler.js';
import { schedulerDir, StateStore } from '../core/src/scheduler/state.js';
import { collectLog, FakeRunner } from './support/fake-runner.js';
import { tempDir } from './support/pipeline.js';

/**
 * Two project files in one folder are two projects: each has its own scheduler lock, state, pause
 * file and run requests, even when their jobs share a name. `caudal.project.json` keeps the folder
 * every version used; the state an earlier version kept there for a project file of another name
 * is taken over when it can only be that file's.
 */
async function folderWith(files: Record<string, { name: string; secs: number }>): Promise<{ dir: string; projects: Record<string, Project> }> {
  const dir = await tempDir('caudal-project-files-');
  await mkdir(path.join(dir, 'p'), { recursive: true });
  await writeFile(path.join(dir, 'p', 'sleep.json'), JSON.stringify({ format: 'caudal.pipeline/1', name: 'sleep', params: { secs: { type: 'number', default: 1 } } }));
  const projects: Record<string, Project> = {};
  for (const [file, { name, secs }] of Object.entries(files)) {
    const doc = { format: 'caudal.project/1', name, timezone: 'UTC', jobs: { sl: { pipeline: 'p/sleep.json', schedule: '0 * * * *', params: { secs } } } };
    await writeFile(path.join(dir, file), JSON.stringify(doc));
    projects[file] = parseProject(JSON.stringify(doc), path.join(dir, file));
  }
  return { dir, projects };
}

describe('project files in one folder', () => {
  it('each have their own scheduler lock: a second project file schedules while the first one runs', async () => {
    const { projects } = await folderWith({ 'p2.project.json': { name: 'other', secs: 1 }, 'to.project.json': { name: 'to3', secs: 20 } });
    const a = await acquireSchedulerLock(projects['p2.project.json']!);
    try {
      expect(await runningScheduler(projects['to.project.json']!)).toBeNull();
      const b = await acquireSchedulerLock(projects['to.project.json']!);
      await b.release();
      await expect(acquireSchedulerLock(projects['p2.project.json']!)).rejects.toThrow(/already running for this project/);
    } finally {
      await a.release();
    }
  });

  it('keep their own state, pause file and run requests: a run of one project\'s job never shows in, nor runs for, the other', async () => {
    const { projects } = await folderWith({ 'p2.project.json': { name: 'other', secs: 1 }, 'to.project.json': { name: 'to3', secs: 20 } });
    const [other, to] = [projects['p2.project.json']!, projects['to.project.json']!];
    const clock = new ManualClock(Date.parse('2026-05-01T10:30:00Z'));
    const runner = new FakeRunner(() => clock.now());
    runner.autoFinish = () => ({});
    const sched = new Scheduler({ project: other, runner, clock, maxSleepMs: 24 * 3600_000, log: collectLog().sink });
    clock.settle = () => sched.idle();
    await sched.start();
    // `caudal jobs run sl -f to.project.json` and `jobs pause` write to.project.json's controls
    await new Controls(to).requestRun('sl');
    await new Controls(to).setPaused('sl', true);
    await sched.poke();
    await clock.advanceTo(Date.parse('2026-05-01T11:00:00Z'));
    await sched.idle();
    await sched.stop();
    // other's scheduler ran its own slot with its own params, and nothing for to.project.json
    expect(runner.runs('sl').map((p) => [p.request.trigger, p.request.params])).toEqual([['schedule', { secs: '1' }]]);
    expect((await new StateStore(other).load()).jobs.sl?.lastRun?.status).toBe('succeeded');
    expect(await new StateStore(to).load()).toEqual({ format: 'caudal.scheduler-state/1', jobs: {} });
    const overview = await projectOverview(to);
    expect(overview.jobs[0]).toMatchObject({ name: 'sl', lastRun: null, paused: true });
    expect((await projectOverview(other)).jobs[0]).toMatchObject({ paused: false });
    expect(new StateStore(other).file).not.toBe(new StateStore(to).file);
  });

  it('leave caudal.project.json in .caudal/scheduler/, where its state has always been', async () => {
    const { dir, projects } = await folderWith({ 'caudal.project.json': { name: 'main', secs: 1 }, 'x.project.json': { name: 'x', secs: 1 } });
    expect(schedulerDir(projects['caudal.project.json']!)).toBe(path.join(dir, '.caudal', 'scheduler'));
    expect(schedulerDir(dir)).toBe(path.join(dir, '.caudal', 'scheduler'));
    expect(schedulerDir(projects['x.project.json']!)).toBe(path.join(dir, '.caudal', 'scheduler', 'projects', 'x.project.json'));
  });

  it('take over an earlier version\'s state of the only project file in the folder, and nobody\'s when whose it was is unclear', async () => {
    const state = JSON.stringify({ format: 'caudal.scheduler-state/1', jobs: { sl: { lastSlot: '2026-05-01T10:00:00.000Z' } } });
    const legacy = async (dir: string) => {
      await mkdir(path.join(schedulerDir(dir), 'logs'), { recursive: true });
      await writeFile(path.join(schedulerDir(dir), 'state.json'), state);
      await writeFile(path.join(schedulerDir(dir), 'paused.json'), JSON.stringify({ jobs: { sl: { since: '2026-05-01T00:00:00.000Z' } } }));
      await writeFile(path.join(schedulerDir(dir), 'logs', 'scheduler.log'), '{}\n');
    };
    const alone = await folderWith({ 'nightly.project.json': { name: 'n', secs: 1 } });
    await legacy(alone.dir);
    const nightly = alone.projects['nightly.project.json']!;
    expect(await adoptLegacyState(nightly)).toEqual(['state.json', 'paused.json', 'logs']);
    expect((await new StateStore(nightly).load()).jobs.sl?.lastSlot).toBe('2026-05-01T10:00:00.000Z');
    expect(await new Controls(nightly).paused()).toHaveProperty('sl');
    expect(await readFile(path.join(schedulerDir(nightly), 'logs', 'scheduler.log'), 'utf8')).toBe('{}\n');
    expect(await adoptLegacyState(nightly)).toEqual([]);

    const two = await folderWith({ 'a.project.json': { name: 'a', secs: 1 }, 'b.project.json': { name: 'b', secs: 1 } });
    await legacy(two.dir);
    expect(await adoptLegacyState(two.projects['a.project.json']!)).toEqual([]);
    expect(existsSync(path.join(schedulerDir(two.dir), 'state.json'))).toBe(true);
    expect(await new StateStore(two.projects['a.project.json']!).load()).toEqual({ format: 'caudal.scheduler-state/1', jobs: {} });

    const withMain = await folderWith({ 'caudal.project.json': { name: 'main', secs: 1 }, 'b.project.json': { name: 'b', secs: 1 } });
    await legacy(withMain.dir);
    expect(await adoptLegacyState(withMain.projects['b.project.json']!)).toEqual([]);
    expect((await new StateStore(withMain.projects['caudal.project.json']!).load()).jobs.sl?.lastSlot).toBe('2026-05-01T10:00:00.000Z');
  });
});
