import { readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { CaudalError } from '../util/errors.js';
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
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await writeFile(file, JSON.stringify(mine), { flag: 'wx' });
      return {
        release: async () => {
          const h = await readFile(file, 'utf8').then((t) => JSON.parse(t) as SchedulerHolder).catch(() => null);
          if (h?.owner.pid === self.pid && h.owner.host === self.host) await rm(file, { force: true });
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = await runningScheduler(projectDir);
    if (holder)
      throw new CaudalError('busy', `a scheduler is already running for this project (pid ${holder.owner.pid}, since ${holder.since})`, {
        hint: 'stop it first (SIGTERM), or use `caudal jobs run` for a one-off run',
      });
    await rm(file, { force: true });
  }
  throw new CaudalError('busy', `could not take the scheduler lock ${file}`);
}
