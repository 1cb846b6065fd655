import { randomUUID } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ownerIsDead, ownerOf, ownerTag } from './owner.js';

/**
 * Writes a file through a temp name and a rename, so readers never see half a file (an Airflow
 * scheduler parsing its dags folder, a studio reloading a pipeline) and a killed process leaves the
 * previous version, not a torn one.
 *
 * The temp name carries its writer's owner tag (`.<name>.<owner>-<random>.tmp`): one that a killed
 * process left is removed by the next write of the same file, on this host, once its writer is gone.
 */
export async function writeFileAtomic(file: string, text: string, opts: { mode?: number } = {}): Promise<void> {
  const dir = path.dirname(file);
  await makeFolder(dir);
  await removeDeadTempNames(file);
  const tmp = atomicTempName(file);
  try {
    await writeFile(tmp, text, { encoding: 'utf8', ...(opts.mode === undefined ? {} : { mode: opts.mode }) });
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/**
 * `mkdir -p` whose error says why. Node's recursive mkdir reports ENOENT for a folder it cannot
 * create under a read-only or unwritable parent; the one level that fails is created again
 * alone, which reports the cause (EROFS, EACCES, ENOSPC).
 */
export async function makeFolder(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    let missing = dir;
    while (path.dirname(missing) !== missing && !(await exists(path.dirname(missing)))) missing = path.dirname(missing);
    await mkdir(missing).catch((why: NodeJS.ErrnoException) => {
      if (why.code !== 'EEXIST') throw why;
    });
    // It could be made (a parent removed and made again meanwhile): the rest goes as usual.
    await mkdir(dir, { recursive: true });
  }
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/** The temp name a write of `file` goes through (also for synchronous writers, so the next write sweeps theirs too). */
export function atomicTempName(file: string): string {
  return path.join(path.dirname(file), `${tempPrefix(file)}${ownerTag()}-${randomUUID().slice(0, 8)}.tmp`);
}

function tempPrefix(file: string): string {
  return `.${path.basename(file)}.`;
}

/** True for a name `atomicTempName` gives, whichever file it is for. */
export function isAtomicTempName(name: string): boolean {
  return TEMP_NAME.test(name);
}

const TEMP_NAME = /^\..+\.h[0-9a-f]{4}p\d+-[0-9a-f]{8}\.tmp$/;

/** A name `atomicTempName` gives whose writer is gone (never a live writer's, nor another host's). */
export function isDeadTempName(name: string): boolean {
  if (!isAtomicTempName(name)) return false;
  const owner = ownerOf(name.slice(name.lastIndexOf('.h')));
  return owner !== undefined && ownerIsDead(owner);
}

/**
 * Removes from `dir` the temp names of every file whose writer is gone. For folders of entries
 * each written once (caches, requests): there no later write of the same file would sweep them.
 */
export async function removeDeadTemps(dir: string): Promise<void> {
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (isDeadTempName(name)) await rm(path.join(dir, name), { force: true });
  }
}

/** `removeDeadTemps` for synchronous code. */
export function removeDeadTempsSync(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) if (isDeadTempName(name)) rmSync(path.join(dir, name), { force: true });
}

/** Temp names of `file` whose writer process is gone (never a live writer's, nor another host's). */
async function removeDeadTempNames(file: string): Promise<void> {
  const prefix = tempPrefix(file);
  const names = await readdir(path.dirname(file)).catch(() => [] as string[]);
  for (const name of names) {
    if (name.startsWith(prefix) && isDeadTempName(name)) await rm(path.join(path.dirname(file), name), { force: true });
  }
}
