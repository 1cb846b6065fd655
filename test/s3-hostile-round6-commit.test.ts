import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ExternalStage } from '../core/src/nodes/define.js';
import { newJournal } from '../core/src/engine/commit/journal.js';
import { ExternalParticipant, FileParticipant } from '../core/src/engine/commit/participants.js';
import { CommitJournal, commitAll } from '../core/src/engine/commit/protocol.js';

/**
 * A file sink's target that changes while the run commits (after every destination prepared, while
 * one published before it): the sink publishes over what prepare saw, or not at all. The change is
 * made by the destination that publishes first (an object store's copy, say), exactly in that window.
 */
let dir: string;
let env: NodeJS.ProcessEnv;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'caudal-round6-commit-'));
  env = { CAUDAL_RUNTIME_DIR: path.join(dir, 'runtime') };
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** A destination published before the file sink, which does `meanwhile` as it publishes, and is undone when the run fails. */
function publishingFirst(meanwhile: () => Promise<void>): { participant: ExternalParticipant; undone: () => boolean } {
  let undone = false;
  const stage: ExternalStage = {
    rows: 1,
    prepare: async () => ({ twoPhase: false, recovery: { connection: 'lake', ref: { staging: 'x/' } } }),
    commit: meanwhile,
    undo: async () => {
      undone = true;
    },
    rollback: async () => undefined,
  };
  return { participant: new ExternalParticipant('objects', 's3://b/t', stage), undone: () => undone };
}

const log = () => {
  const warnings: string[] = [];
  return { warnings, info: () => undefined, warn: (m: string) => warnings.push(m) };
};

describe('a file sink whose target changes between prepare and publish (defect 4)', () => {
  it('a folder put where its single file was is refused, the commit rolls back, and the folder keeps what is in it', async () => {
    const target = path.join(dir, 'o.csv');
    await writeFile(target, 'old');
    await writeFile(`${target}.new`, 'new');
    const file = new FileParticipant('dst', { kind: 'file', target, temp: `${target}.new`, aside: `${target}.old`, replace: true }, []);
    const other = publishingFirst(async () => {
      await rm(target);
      await mkdir(target);
      await writeFile(path.join(target, 'theirs.txt'), 'precious');
    });
    const keeper = new CommitJournal(newJournal('r1', 'p', dir, undefined), env);
    await expect(commitAll([other.participant, file], keeper, log())).rejects.toThrow(`sink 'dst': ${target} is a folder now (it appeared while the run was committing), and the sink writes one file there`);
    await keeper.done();
    expect(await readFile(path.join(target, 'theirs.txt'), 'utf8')).toBe('precious');
    expect(other.undone()).toBe(true);
    // Nothing kept aside or staged is left beside it.
    expect((await readdir(dir)).sort()).toEqual(['o.csv', 'runtime']);
  });

  it('a file put where its folder of partitions was is refused, and stays', async () => {
    const target = path.join(dir, 'lake');
    await mkdir(path.join(target, 'k=1'), { recursive: true });
    await writeFile(path.join(target, 'k=1', 'data_0.parquet'), 'old');
    await mkdir(path.join(dir, 'lake.new', 'k=2'), { recursive: true });
    await writeFile(path.join(dir, 'lake.new', 'k=2', 'data_0.parquet'), 'new');
    const file = new FileParticipant('dst', { kind: 'file', target, temp: `${target}.new`, aside: `${target}.old`, replace: true }, []);
    const other = publishingFirst(async () => {
      await rm(target, { recursive: true });
      await writeFile(target, 'theirs');
    });
    const keeper = new CommitJournal(newJournal('r2', 'p', dir, undefined), env);
    await expect(commitAll([other.participant, file], keeper, log())).rejects.toThrow(`sink 'dst': ${target} is a file now (it appeared while the run was committing), and the sink writes a folder of partitions there`);
    await keeper.done();
    expect(await readFile(target, 'utf8')).toBe('theirs');
    expect(other.undone()).toBe(true);
  });

  it('a file that appears where nothing was at prepare is not replaced without a copy kept aside: the commit is refused', async () => {
    const target = path.join(dir, 'fresh.csv');
    await writeFile(`${target}.new`, 'new');
    const file = new FileParticipant('dst', { kind: 'file', target, temp: `${target}.new`, aside: `${target}.old`, replace: true }, []);
    const other = publishingFirst(async () => {
      await writeFile(target, 'theirs');
    });
    const keeper = new CommitJournal(newJournal('r3', 'p', dir, undefined), env);
    await expect(commitAll([other.participant, file], keeper, log())).rejects.toThrow(`sink 'dst': ${target} appeared while the run was committing, so it cannot be replaced as planned (nothing was replaced)`);
    await keeper.done();
    expect(await readFile(target, 'utf8')).toBe('theirs');
    expect(other.undone()).toBe(true);
  });

  it('a file replaced by a file meanwhile is replaced as planned (its new version kept aside until the run is over)', async () => {
    const target = path.join(dir, 'same.csv');
    await writeFile(target, 'old');
    await writeFile(`${target}.new`, 'new');
    const file = new FileParticipant('dst', { kind: 'file', target, temp: `${target}.new`, aside: `${target}.old`, replace: true }, []);
    const other = publishingFirst(async () => {
      await writeFile(target, 'rewritten');
    });
    const keeper = new CommitJournal(newJournal('r4', 'p', dir, undefined), env);
    await commitAll([other.participant, file], keeper, log());
    await keeper.done();
    expect(await readFile(target, 'utf8')).toBe('new');
    expect(other.undone()).toBe(false);
  });
});
