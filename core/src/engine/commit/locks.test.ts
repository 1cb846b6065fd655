import { spawnSync } from 'node:child_process';
import { readdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/support/pipeline.js';
import { ownerTag, self } from '../../util/owner.js';
import { RunLocks, staleLocks } from './locks.js';

/**
 * Run locks are files in the runtime folder. A run killed with kill -9 must never leave one that
 * blocks later runs: a dead holder's lock is taken over, and a lock appears whole or not at all.
 */

let env: NodeJS.ProcessEnv;
let dir: string;
beforeEach(async () => {
  env = { CAUDAL_RUNTIME_DIR: await tempDir('caudal-locks-') };
  dir = path.join(env.CAUDAL_RUNTIME_DIR!, 'locks');
});

const request = [{ key: 'pipeline:orders', label: "pipeline 'orders'" }];
const acquire = (runId: string) => RunLocks.acquire(request, { runId, pipeline: 'orders', wait: false, isCancelled: () => false, log: () => undefined, env });

/** The lock file's name, found by taking and releasing the lock once. */
async function lockName(): Promise<string> {
  const locks = await acquire('probe');
  const [name] = await readdir(dir);
  await locks.release();
  return name!;
}

/** A pid that belonged to a process which has exited. */
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;

const ago = async (file: string, ms: number) => {
  const t = new Date(Date.now() - ms);
  await utimes(file, t, t);
};

describe('run locks', () => {
  it('are taken whole: nothing but the lock is left while it is held, nothing at all after', async () => {
    const locks = await acquire('r1');
    expect(await readdir(dir)).toHaveLength(1);
    await expect(acquire('r2')).rejects.toThrow(/pipeline 'orders' is in use by another run r1/);
    await locks.release();
    expect(await readdir(dir)).toEqual([]);
  });

  it("are taken over from a process that is gone (kill -9)", async () => {
    const name = await lockName();
    await writeFile(path.join(dir, name), JSON.stringify({ key: request[0]!.key, label: request[0]!.label, runId: 'old', pipeline: 'orders', owner: { host: self.host, pid: deadPid() }, since: new Date().toISOString() }));
    const locks = await acquire('r2');
    await locks.release();
  });

  it("are taken over from an earlier process that had this process's pid (a container restarted after kill -9)", async () => {
    const name = await lockName();
    const earlier = { ...self, started: `${self.started ?? 'boot/1'}0` };
    await writeFile(path.join(dir, name), JSON.stringify({ key: request[0]!.key, label: request[0]!.label, runId: 'old', pipeline: 'orders', owner: earlier, since: new Date().toISOString() }));
    expect(await staleLocks({ remove: false, env })).toEqual(["pipeline 'orders'"]);
    const locks = await acquire('r2');
    // This process's own lock is held, and not taken over by a second run of it.
    await expect(acquire('r3')).rejects.toThrow(/in use by another run r2/);
    await locks.release();
  });

  it('left empty by a process killed while creating one (older versions) are taken over once a few seconds old', async () => {
    const name = await lockName();
    const file = path.join(dir, name);
    await writeFile(file, '');
    // Just written: it may be a lock being replaced this instant, so it still counts as held.
    await expect(acquire('r2')).rejects.toThrow(/is in use/);
    await ago(file, 10_000);
    const locks = await acquire('r3');
    await locks.release();
    expect(await readdir(dir)).toEqual([]);
  });

  it('are swept by the start of every run and `caudal clean`: dead holders, old unreadable files, content never linked', async () => {
    const name = await lockName();
    await writeFile(path.join(dir, name), '{"half');
    await ago(path.join(dir, name), 10_000);
    const pending = `${name}.new-${ownerTag({ host: self.host, pid: deadPid() })}`;
    await writeFile(path.join(dir, pending), '{}');
    const live = `${name}.new-${ownerTag()}`;
    await writeFile(path.join(dir, live), '{}');
    expect((await staleLocks({ remove: false, env })).sort()).toEqual([`${name} (unreadable)`, pending].sort());
    await staleLocks({ remove: true, env });
    expect(await readdir(dir)).toEqual([live]);
  });
});
