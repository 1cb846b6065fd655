import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ExternalStage } from '../../nodes/define.js';
import { existingJournal, newJournal } from './journal.js';
import { ExternalParticipant, FileParticipant } from './participants.js';
import { CommitJournal, commitAll } from './protocol.js';

/**
 * The protocol after a failed undo: what could not be put back is handed to recovery (the journal
 * outlives the run, marked for rollback), and only that; a run whose undo succeeded leaves nothing.
 * The stages below stand in for connectors (their own behaviour is specified in their suites).
 */
let dir: string;
let env: NodeJS.ProcessEnv;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'caudal-protocol-'));
  env = { CAUDAL_RUNTIME_DIR: path.join(dir, 'runtime') };
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const recovery = { connection: 'lake', ref: { staging: 'x/' } };
function stage(over: Partial<ExternalStage>): ExternalStage {
  return { rows: 1, prepare: async () => ({ twoPhase: false, recovery }), commit: async () => undefined, rollback: async () => undefined, ...over };
}
const reversibleStage = (undo: () => Promise<void>, unrestored = () => false) => stage({ undo, unrestored });
const failingLoad = () => stage({ prepare: async () => ({ twoPhase: false }), commit: async () => Promise.reject(new Error('load refused')) });

async function fileSink(name: string): Promise<{ participant: FileParticipant; target: string }> {
  const target = path.join(dir, name);
  await writeFile(target, 'old');
  await writeFile(`${target}.new`, 'new');
  return { participant: new FileParticipant(name, { kind: 'file', target, temp: `${target}.new`, aside: `${target}.old`, replace: true }, []), target };
}

const log = () => {
  const warnings: string[] = [];
  return { warnings, info: () => undefined, warn: (m: string) => warnings.push(m) };
};

describe('commitAll, when a later destination fails and an earlier one cannot be put back', () => {
  it('keeps the journal with only the destination left half-restored, marked for rollback and given up by the run', async () => {
    const file = await fileSink('a.csv');
    const objects = new ExternalParticipant('objects', 's3://b/t', reversibleStage(async () => Promise.reject(new Error('copy back refused')), () => true));
    const load = new ExternalParticipant('load', 'warehouse.t', failingLoad());
    const keeper = new CommitJournal(newJournal('r1', 'p', dir, path.join(dir, 'tmp')), env);
    const l = log();
    await expect(commitAll([file.participant, objects, load], keeper, l)).rejects.toThrow('load refused');
    await keeper.done();

    expect(await readFile(file.target, 'utf8')).toBe('old');
    const kept = (await existingJournal('r1', env))?.journal;
    expect(kept).toMatchObject({ abandoned: true, phase: 'committing', sinks: [{ kind: 'external', nodeId: 'objects', recovery }] });
    expect(kept?.decision).toBeUndefined();
    expect(kept?.tempDir).toBeUndefined();
    expect(l.warnings.join('\n')).toMatch(/could not restore s3:\/\/b\/t: copy back refused/);
    expect(l.warnings.join('\n')).toMatch(/recorded for recovery: the next run of any pipeline, or `caudal clean`/);
  });

  it('removes the journal as before when every destination was put back', async () => {
    const file = await fileSink('b.csv');
    const objects = new ExternalParticipant('objects', 's3://b/t', reversibleStage(async () => undefined));
    const keeper = new CommitJournal(newJournal('r2', 'p', dir, undefined), env);
    await expect(commitAll([file.participant, objects, new ExternalParticipant('load', 'warehouse.t', failingLoad())], keeper, log())).rejects.toThrow('load refused');
    await keeper.done();
    expect(await existingJournal('r2', env)).toBeUndefined();
    expect(await readFile(file.target, 'utf8')).toBe('old');
  });

  it('a stage that failed its own commit and could not put the target back is handed over too, though it never counted as published', async () => {
    const objects = new ExternalParticipant('objects', 's3://b/t', stage({ undo: async () => undefined, unrestored: () => true, commit: async () => Promise.reject(new Error('copy refused; restore refused')) }));
    const keeper = new CommitJournal(newJournal('r3', 'p', dir, undefined), env);
    await expect(commitAll([objects, new ExternalParticipant('load', 'warehouse.t', failingLoad())], keeper, log())).rejects.toThrow('copy refused');
    await keeper.done();
    expect((await existingJournal('r3', env))?.journal?.sinks).toEqual([expect.objectContaining({ nodeId: 'objects' })]);
  });

  it('a stage without a recovery reference is not handed over (nothing could finish it)', async () => {
    const objects = new ExternalParticipant('objects', 's3://b/t', stage({ prepare: async () => ({ twoPhase: false }), undo: async () => Promise.reject(new Error('gone')) }));
    const keeper = new CommitJournal(newJournal('r4', 'p', dir, undefined), env);
    await expect(commitAll([objects, new ExternalParticipant('load', 'warehouse.t', failingLoad())], keeper, log())).rejects.toThrow('load refused');
    await keeper.done();
    expect(await existingJournal('r4', env)).toBeUndefined();
  });
});

describe('commitAll, when a durably prepared load cannot confirm its commit after the decision', () => {
  it('undoes nothing: the other loads commit, the files stay published, and the journal is kept decided for recovery to complete', async () => {
    const file = await fileSink('c.csv');
    const prepared = (commit: () => Promise<void>) => stage({ prepare: async () => ({ twoPhase: true, recovery }), commit });
    let otherCommitted = false;
    const unsure = new ExternalParticipant('a', 'warehouse.a', prepared(async () => Promise.reject(new Error('the answer to COMMIT PREPARED never came'))));
    const other = new ExternalParticipant(
      'b',
      'warehouse.b',
      prepared(async () => {
        otherCommitted = true;
      }),
    );
    const keeper = new CommitJournal({ ...newJournal('r5', 'p', dir, undefined), states: [{ stateDir: dir, nodeId: 'src', state: { at: 5 } }] }, env);
    await expect(commitAll([file.participant, unsure, other], keeper, log())).rejects.toThrow(/could not confirm that warehouse\.a .*committed; every other destination committed.*completed, not undone/);
    await keeper.done();

    expect(await readFile(file.target, 'utf8')).toBe('new');
    expect(otherCommitted).toBe(true);
    const kept = (await existingJournal('r5', env))?.journal;
    expect(kept).toMatchObject({ decision: 'commit', abandoned: true, states: [{ nodeId: 'src' }] });
    expect(kept?.sinks.filter((e) => e.kind === 'external').map((e) => [e.kind === 'external' && e.nodeId, e.kind === 'external' && e.committed])).toEqual([
      ['a', false],
      ['b', true],
    ]);
  });
});

describe('commitAll, when a prepare fails and leaves work it could not end', () => {
  it('hands that load to recovery (a PREPARE whose answer was lost, then could not be rolled back)', async () => {
    const orphan = new ExternalParticipant(
      'a',
      'warehouse.a',
      stage({ recoveryIntent: () => recovery, prepare: async () => Promise.reject(new Error('PREPARE: connection lost')), unrestored: () => true }),
    );
    const keeper = new CommitJournal(newJournal('r6', 'p', dir, undefined), env);
    await expect(commitAll([orphan, new ExternalParticipant('b', 'warehouse.b', stage({}))], keeper, log())).rejects.toThrow(/PREPARE: connection lost; warehouse\.a could not be put back/);
    await keeper.done();
    expect((await existingJournal('r6', env))?.journal).toMatchObject({ abandoned: true, sinks: [{ nodeId: 'a', recovery }] });
  });
});


describe('a file sink whose target changed kind while the run ran', () => {
  it('refuses a folder that appeared where its single file goes, and leaves the folder and what is in it alone', async () => {
    const target = path.join(dir, 't.csv');
    await writeFile(`${target}.new`, 'new');
    const participant = new FileParticipant('dst', { kind: 'file', target, temp: `${target}.new`, aside: `${target}.old`, replace: true }, []);
    await mkdir(target);
    await writeFile(path.join(target, 'keep.txt'), 'precious');
    const keeper = new CommitJournal(newJournal('r3', 'p', dir, path.join(dir, 'tmp')), env);
    await expect(commitAll([participant], keeper, log())).rejects.toThrow(`sink 'dst': ${target} is a folder now (it appeared while the run was running), and the sink writes one file there`);
    await keeper.done();
    expect(await readFile(path.join(target, 'keep.txt'), 'utf8')).toBe('precious');
  });
});
