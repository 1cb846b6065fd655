import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { self } from '../../util/owner.js';
import { existingJournal, isLeftOver, newJournal, writeJournal } from './journal.js';

/**
 * A journal is a leftover (recovery and `caudal clean` finish it) once its run is over. Its owner is
 * a process; a pid names one only with its start time, which the journal keeps.
 */
let dir: string;
let env: NodeJS.ProcessEnv;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'caudal-journal-'));
  env = { CAUDAL_RUNTIME_DIR: dir };
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe.runIf(process.platform === 'linux')('a journal left by an earlier process with this process\'s pid (a container restarted after kill -9)', () => {
  it('is a leftover once read back, while this process\'s own running journal is not', async () => {
    await writeJournal(newJournal('earlier', 'p', dir, undefined, { ...self, started: `${self.started}0` }), env);
    await writeJournal(newJournal('mine', 'p', dir, undefined), env);
    const earlier = (await existingJournal('earlier', env))!.journal!;
    expect(earlier.owner.started).toBe(`${self.started}0`);
    expect(isLeftOver(earlier)).toBe(true);
    expect(isLeftOver((await existingJournal('mine', env))!.journal!)).toBe(false);
  });
});
