import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deadOwnerTag, deadPid, liveOwnerTag } from '../../../test/support/owners.js';
import { self } from '../util/owner.js';
import { Controls } from './controls.js';

/** `caudal jobs pause <job>` in its own process, as several shells or the studio run it at once. */
function pauseInAnotherProcess(dir: string, job: string): Promise<number | null> {
  const controls = fileURLToPath(new URL('./controls.ts', import.meta.url));
  const code = `const { Controls } = await import(${JSON.stringify(controls)}); await new Controls(${JSON.stringify(dir)}).setPaused(${JSON.stringify(job)}, true);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: 'inherit' });
  return new Promise((resolve) => child.once('exit', resolve));
}

describe('run-now requests to a running scheduler', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'caudal-controls-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('are taken once, oldest first, and leave nothing behind, not even what a killed `caudal jobs run` half wrote', async () => {
    const controls = new Controls(dir);
    await controls.requestRun('nightly', new Date('2026-12-05T10:00:00Z'));
    await controls.requestRun('hourly', new Date('2026-12-05T11:00:00Z'));
    const half = `.1764928800000-1a2b3c4d.json.${deadOwnerTag()}-5e6f7a8b.tmp`;
    await mkdir(controls.requestsDir, { recursive: true });
    await writeFile(path.join(controls.requestsDir, half), '{"job":"nigh');
    expect((await controls.takeRequests()).map(({ job, at }) => ({ job, at }))).toEqual([
      { job: 'nightly', at: '2026-12-05T10:00:00.000Z' },
      { job: 'hourly', at: '2026-12-05T11:00:00.000Z' },
    ]);
    expect(await readdir(controls.requestsDir)).toEqual([]);
    expect(await controls.takeRequests()).toEqual([]);
  });
});

describe('the pause file', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'caudal-pause-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps every change when several processes pause jobs at the same time', async () => {
    const jobs = Array.from({ length: 8 }, (_, i) => `j${i}`);
    expect(await Promise.all(jobs.map((j) => pauseInAnotherProcess(dir, j)))).toEqual(jobs.map(() => 0));
    const controls = new Controls(dir);
    expect(Object.keys(await controls.paused()).sort()).toEqual(jobs);
    expect((await readdir(controls.dir)).sort()).toEqual(['paused.json']);
  }, 60_000);

  it('keeps every change of parallel pauses and resumes in one process (the studio)', async () => {
    const controls = new Controls(dir);
    await Promise.all(['a', 'b', 'c', 'd'].map((j) => controls.setPaused(j, true)));
    await Promise.all([controls.setPaused('a', false), controls.setPaused('e', true), controls.setPaused('c', false)]);
    expect(Object.keys(await controls.paused()).sort()).toEqual(['b', 'd', 'e']);
  });

  it('takes over a lock a killed writer left, and leaves no debris of it', async () => {
    const controls = new Controls(dir);
    await mkdir(controls.dir, { recursive: true });
    await writeFile(controls.pauseLockFile, JSON.stringify({ owner: { host: self.host, pid: deadPid() }, token: 'x', since: '2026-01-01T00:00:00Z' }));
    await writeFile(`${controls.pauseLockFile}.new-${deadOwnerTag()}`, '{}');
    await writeFile(path.join(controls.dir, `.paused.json.${deadOwnerTag()}-1a2b3c4d.tmp`), '{"jobs":');
    await controls.setPaused('a', true);
    expect(Object.keys(await controls.paused())).toEqual(['a']);
    expect(await readdir(controls.dir)).toEqual(['paused.json']);
  });

  it('waits while a live process holds the lock, then applies the change', async () => {
    const controls = new Controls(dir);
    await mkdir(controls.dir, { recursive: true });
    const livePid = Number(/p(\d+)$/.exec(liveOwnerTag())![1]);
    await writeFile(controls.pauseLockFile, JSON.stringify({ owner: { host: self.host, pid: livePid }, token: 'theirs', since: '2026-01-01T00:00:00Z' }));
    let done = false;
    const pausing = controls.setPaused('a', true).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(done).toBe(false);
    expect(await controls.paused()).toEqual({});
    await rm(controls.pauseLockFile);
    await pausing;
    expect(Object.keys(await controls.paused())).toEqual(['a']);
  });
});
