import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import { CaudalError } from '../util/errors.js';
import { PROJECT_FILE } from './project.js';
import { runningScheduler } from './scheduler-lock.js';
import { schedulerDir } from './state.js';

/** What a scheduler keeps across restarts; requests and replies are answered by a running one only. */
const KEPT = ['state.json', 'paused.json', 'logs'];

/** How a project file is told from a pipeline or a data file (as `caudal export airflow` tells them). */
const PROJECT_FORMAT = /"format"\s*:\s*"caudal\.project\//;

/** The project files of a folder: `caudal.project.json` and any JSON file of the project format. */
async function projectFilesIn(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (!name.endsWith('.json')) continue;
    const file = path.join(dir, name);
    const info = await stat(file).catch(() => null);
    // A project file is small; a large JSON file is data, not worth reading here.
    if (!info?.isFile() || info.size > 4 * 1024 * 1024) continue;
    if (name === PROJECT_FILE || PROJECT_FORMAT.test(await readFile(file, 'utf8').catch(() => ''))) out.push(name);
  }
  return out;
}

/**
 * Earlier versions kept one scheduler folder per project folder (`.caudal/scheduler/`), whatever
 * the project file was called, so two project files in one folder shared a lock and a state. Now
 * that folder is `caudal.project.json`'s and another file has its own (see schedulerDir). A project
 * file of another name takes the old folder's state, pause file and log when they can only be its
 * own: it has no state of its own yet, no `caudal.project.json` sits beside it and it is the only
 * project file there. Otherwise whose state it was is not known, and it starts afresh (the old
 * folder is left as it is). Called by the scheduler once it holds its lock; returns what it moved.
 */
export async function adoptLegacyState(project: { file: string }): Promise<string[]> {
  const folder = path.dirname(project.file);
  const legacy = schedulerDir(folder);
  const own = schedulerDir(project);
  if (own === legacy || existsSync(path.join(own, 'state.json')) || !existsSync(path.join(legacy, 'state.json'))) return [];
  const files = await projectFilesIn(folder);
  if (files.length !== 1 || files[0] !== path.basename(project.file)) return [];
  // A scheduler of an earlier version still writing there would lose its state mid-run.
  const old = await runningScheduler(folder);
  if (old)
    throw new CaudalError('busy', `a scheduler started by an earlier Caudal version runs ${path.basename(project.file)} (pid ${old.owner.pid}, since ${old.since})`, {
      hint: 'stop it (SIGTERM) and start `caudal schedule` again: this version keeps each project file\'s state apart and takes that state over',
    });
  await mkdir(own, { recursive: true });
  const moved: string[] = [];
  for (const name of KEPT) {
    if (!existsSync(path.join(legacy, name)) || existsSync(path.join(own, name))) continue;
    await rename(path.join(legacy, name), path.join(own, name));
    moved.push(name);
  }
  return moved;
}
