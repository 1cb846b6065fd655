import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { CaudalError } from '../util/errors.js';
import { createWhole, oldEnoughToBeDebris, pendingOwner } from '../util/exclusive-file.js';
import { ownerIsDead, type Owner, self } from '../util/owner.js';
import { schedulerDir } from './state.js';

/** Who runs the scheduler of a project: `.caudal/scheduler/scheduler.pid` (one scheduler per project). */
export interface SchedulerHolder {
  owner: Owner;
  since: string;
}

const lockFile = (projectDir: string) => path.join(schedulerDir(projectDir), 'scheduler.pid');

/** The live scheduler of a project, if one runs (a file left by a killed one does not count). */
export async function runningScheduler(projectDir: string): Promise<SchedulerHolder | null> {
  try {
    const h = JSON.parse(await readFile(lockFile(projectDir), 'utf8')) as SchedulerHolder;
    return ownerIsDead(h.owner) ? null : h;
  } catch {
    return null;
  }
}

/** Takes the project's scheduler lock, or fails (exit 75) naming the scheduler that has it. */
export async function acquireSchedulerLock(projectDir: string): Promise<{ release(): Promise<void> }> {
  const file = lockFile(projectDir);
  await mkdir(path.dirname(file), { recursive: true });
  const mine: SchedulerHolder = { owner: self, since: new Date().toISOString() };
  await sweepPending(file);
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await createWhole(file, JSON.stringify(mine))) {
      return {
        release: async () => {
          const h = await readFile(file, 'utf8').then((t) => JSON.parse(t) as SchedulerHolder).catch(() => null);
          if (h?.owner.pid === self.pid && h.owner.host === self.host) await rm(file, { force: true });
        },
      };
    }
    const holder = await runningScheduler(projectDir);
    if (holder)
      throw new CaudalError('busy', `a scheduler is already running for this project (pid ${holder.owner.pid}, since ${holder.since})`, {
        hint: 'stop it first (SIGTERM), or use `caudal jobs run` for a one-off run',
      });
    // A dead scheduler's file, or debris nobody can read; a file written this instant is left alone.
    const readable = await readFile(file, 'utf8').then((t) => JSON.parse(t) as SchedulerHolder).catch(() => null);
    if (readable?.owner || (await oldEnoughToBeDebris(file))) await rm(file, { force: true });
    else await sleep(50);
  }
  throw new CaudalError('busy', `could not take the scheduler lock ${file}`);
}

/** Content a scheduler killed before linking its lock wrote (see createWhole): removed once its process is gone. */
async function sweepPending(file: string): Promise<void> {
  const dir = path.dirname(file);
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const writer = pendingOwner(name);
    if (name.startsWith(path.basename(file)) && writer !== undefined && ownerIsDead(writer)) await rm(path.join(dir, name), { force: true });
  }
}
