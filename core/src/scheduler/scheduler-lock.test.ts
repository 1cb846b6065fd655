import { spawnSync } from 'node:child_process';
import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/pipeline.js';
import { ownerTag, self } from '../util/owner.js';
import { acquireSchedulerLock, runningScheduler } from './scheduler-lock.js';
import { schedulerDir } from './state.js';

/** One scheduler per project; a killed scheduler (kill -9) never keeps the next one from starting. */

let project: string;
let dir: string;
beforeEach(async () => {
  project = await tempDir('caudal-scheduler-lock-');
  dir = schedulerDir(project);
  await mkdir(dir, { recursive: true });
});

const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;

describe('the scheduler lock', () => {
  it('is held by one scheduler at a time and leaves nothing behind once released', async () => {
    const lock = await acquireSchedulerLock(project);
    expect((await runningScheduler(project))?.owner.pid).toBe(process.pid);
    await lock.release();
    expect(await readdir(dir)).toEqual([]);
  });

  it('is taken over from a killed scheduler, and from an empty file once it is a few seconds old', async () => {
    const file = path.join(dir, 'scheduler.pid');
    await writeFile(file, JSON.stringify({ owner: { host: self.host, pid: deadPid() }, since: new Date().toISOString() }));
    await (await acquireSchedulerLock(project)).release();

    await writeFile(file, '');
    // Just written: another scheduler may be creating it this instant.
    await expect(acquireSchedulerLock(project)).rejects.toThrow(/could not take the scheduler lock/);
    const past = new Date(Date.now() - 10_000);
    await utimes(file, past, past);
    await (await acquireSchedulerLock(project)).release();
  });

  it("is taken over from an earlier scheduler that had this process's pid (a container restarted after kill -9)", async () => {
    const file = path.join(dir, 'scheduler.pid');
    await writeFile(file, JSON.stringify({ owner: { ...self, started: `${self.started ?? 'boot/1'}0` }, since: new Date().toISOString(), token: 'old' }));
    expect(await runningScheduler(project)).toBeNull();
    const lock = await acquireSchedulerLock(project);
    expect((await runningScheduler(project))?.owner.started).toBe(self.started);
    await lock.release();
  });

  it('sweeps what a scheduler killed while taking it left (its content, never linked)', async () => {
    const dead = `scheduler.pid.new-${ownerTag({ host: self.host, pid: deadPid() })}`;
    await writeFile(path.join(dir, dead), '{}');
    await (await acquireSchedulerLock(project)).release();
    expect(await readdir(dir)).toEqual([]);
  });
});
