import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Db } from '../core/src/compiler/db.js';
import { newJournal, type RunJournal, writeJournal } from '../core/src/engine/commit/journal.js';
import { recoverRun } from '../core/src/engine/commit/recover.js';
import { self } from '../core/src/util/owner.js';
import { ownCaudalHome } from './support/cli-in-process.js';
import { deadPid } from './support/owners.js';
import { tempDir } from './support/pipeline.js';

/**
 * A run killed during its commit is finished by the next run (or `caudal clean`), forward or back.
 * Between the kill and the recovery, someone may put a folder where the run wrote a file (or the
 * other way round). The recovery moved that folder aside and deleted it, recursively: it is not the
 * run's output, so it is left as it is now, and the recovery says so.
 */
ownCaudalHome();

let dir: string;
let db: Db;
beforeAll(async () => {
  dir = await tempDir('caudal-recovery-kind-');
  db = await Db.open({ threads: 1 });
});
afterAll(() => db.close());

/** A dead run's journal for one file sink writing `name`, killed during its commit. */
async function killedWhileCommitting(runId: string, name: string, over: Partial<RunJournal> = {}) {
  const target = path.join(dir, name);
  const entry = { kind: 'file' as const, nodeId: 'out', target, temp: `${target}.caudal-new`, aside: `${target}.caudal-old`, replace: true, existed: true, createdFolders: [], stagingDirs: [] };
  const j: RunJournal = { ...newJournal(runId, 'p', dir, undefined, { host: self.host, pid: deadPid() }), phase: 'committing', sinks: [entry], ...over };
  await writeJournal(j);
  return { j, ...entry };
}

/** A folder someone made, holding a file that must survive. */
async function someonesFolder(at: string) {
  await mkdir(at, { recursive: true });
  await writeFile(path.join(at, 'precious.txt'), 'precious');
}

describe('recovering a file sink whose target became a folder after the kill', () => {
  it('rolling forward leaves the folder and its contents, removes the run\'s output, and says so', async () => {
    const { j, target, temp } = await killedWhileCommitting('forward-folder', 'a.csv', { decision: 'commit' });
    await writeFile(temp, 'new output');
    await someonesFolder(target);
    const outcome = await recoverRun(j, { db, connection: () => undefined, baseDir: dir });
    expect(await readFile(path.join(target, 'precious.txt'), 'utf8')).toBe('precious');
    await expect(readFile(temp)).rejects.toThrow(/ENOENT/);
    expect(outcome.done).toContainEqual(`${target}: not published: it is now a folder, left as it is; the run's output was removed`);
  });

  it('rolling back leaves the folder and keeps the previous version beside it', async () => {
    const { j, target, aside } = await killedWhileCommitting('back-folder', 'b.csv');
    await writeFile(aside, 'previous version');
    await someonesFolder(target);
    const outcome = await recoverRun(j, { db, connection: () => undefined, baseDir: dir });
    expect(await readFile(path.join(target, 'precious.txt'), 'utf8')).toBe('precious');
    expect(await readFile(aside, 'utf8')).toBe('previous version');
    expect(outcome.done).toContainEqual(`${target}: not restored: it is now a folder; the previous version is kept at ${aside}`);
  });

  it('still puts the previous file back over the run\'s own output (a file where a file was)', async () => {
    const { j, target, aside } = await killedWhileCommitting('back-file', 'c.csv');
    await writeFile(aside, 'previous version');
    await writeFile(target, 'the run\'s output');
    await recoverRun(j, { db, connection: () => undefined, baseDir: dir });
    expect(await readFile(target, 'utf8')).toBe('previous version');
  });
});
