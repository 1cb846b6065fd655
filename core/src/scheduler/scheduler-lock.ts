import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { CaudalError } from '../util/errors.js';
import { createWhole, oldEnoughToBeDebris, pendingOwner, removeIfStill } from '../util/exclusive-file.js';
import { ownerIsDead, type Owner, self } from '../util/owner.js';
import { type SchedulerOwner, schedulerDir } from './state.js';

/** Who runs the scheduler of a project: `.caudal/scheduler/scheduler.pid` (one scheduler per project). */
export interface SchedulerHolder {
  owner: Owner;
  since: string;
}

const lockFile = (owner: SchedulerOwner) => path.join(schedulerDir(owner), 'scheduler.pid');

/** The live scheduler of a project, if one runs (a file left by a killed one does not count). */
export async function runningScheduler(owner: SchedulerOwner): Promise<SchedulerHolder | null> {
  try {
    const h = JSON.parse(await readFile(lockFile(owner), 'utf8')) as SchedulerHolder;
    return ownerIsDead(h.owner) ? null : h;
  } catch {
    return null;
  }
}

/**
 * How long a scheduler that has just taken the lock looks again before it runs: another one
 * starting at the same moment may have judged the dead scheduler's file an instant before, and
 * moved away ours in its place (see removeIfStill).
 */
const CONFIRM_MS = 100;

/** Takes the project's scheduler lock, or fails (exit 75) naming the scheduler that has it. */
export async function acquireSchedulerLock(owner: SchedulerOwner): Promise<{ release(): Promise<void> }> {
  const file = lockFile(owner);
  await mkdir(path.dirname(file), { recursive: true });
  // A token makes our content ours alone (two takes of one process, a reused pid).
  const text = JSON.stringify({ owner: self, since: new Date().toISOString(), token: randomUUID() });
  await sweepPending(file);
  const held = {
    release: async () => {
      if ((await readText(file)) === text) await rm(file, { force: true });
    },
  };
  for (let attempt = 0; attempt < 5; attempt++) {
    if (await createWhole(file, text)) {
      await sleep(CONFIRM_MS);
      if ((await readText(file)) === text) return held;
    }
    // One reading decides, and only what was read is removed: a second look could see the lock a
    // scheduler starting this instant has just taken, and removing that lets two run.
    const seen = await readText(file);
    if (seen === null) continue;
    if (seen === text) return held; // ours, put back by one that moved it (see removeIfStill)
    const holder = parseHolder(seen);
    if (holder && !ownerIsDead(holder.owner))
      throw new CaudalError('busy', `a scheduler is already running for this project (pid ${holder.owner.pid}, since ${holder.since})`, {
        hint: 'stop it first (SIGTERM), or use `caudal jobs run` for a one-off run',
      });
    // A dead scheduler's file, or debris nobody can read; a file written this instant is left alone.
    if (holder || (await oldEnoughToBeDebris(file))) await removeIfStill(file, seen);
    else await sleep(50);
  }
  throw new CaudalError('busy', `could not take the scheduler lock ${file}`, { hint: 'another scheduler may be starting for this project; try again' });
}

async function readText(file: string): Promise<string | null> {
  return readFile(file, 'utf8').catch(() => null);
}

function parseHolder(text: string): SchedulerHolder | null {
  try {
    const h = JSON.parse(text) as SchedulerHolder;
    return h?.owner ? h : null;
  } catch {
    return null;
  }
}

/**
 * Content a scheduler killed before linking its lock wrote (see createWhole), and a lock one moved
 * aside to remove it (removeIfStill): removed once their process is gone.
 */
async function sweepPending(file: string): Promise<void> {
  const dir = path.dirname(file);
  const base = path.basename(file);
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (!name.startsWith(base)) continue;
    const writer = pendingOwner(name);
    if (writer !== undefined && ownerIsDead(writer)) await rm(path.join(dir, name), { force: true });
  }
}
