import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExternalStage } from '../core/src/nodes/define.js';
import { Db } from '../core/src/compiler/db.js';
import { existingJournal, journalPath, newJournal, type RunJournal, writeJournal } from '../core/src/engine/commit/journal.js';
import { ExternalParticipant } from '../core/src/engine/commit/participants.js';
import { CommitJournal, commitAll } from '../core/src/engine/commit/protocol.js';
import { recoverRun, recoveryWarnings } from '../core/src/engine/commit/recover.js';
import { self } from '../core/src/util/owner.js';
import { cliInProcess, ownCaudalHome } from './support/cli-in-process.js';
import { deadPid } from './support/owners.js';
import { tempDir } from './support/pipeline.js';

/**
 * A run killed while a destination committed one server-side transaction (a single-phase PostgreSQL
 * COMMIT, a SQL Server COMMIT, a Kafka transaction) was reported like a RabbitMQ publish cut half
 * way: "some of its rows may have been published". A transaction lands whole or not at all, so
 * doctor, clean and the next run's recovery now say that instead: the destination holds all of the
 * run's rows or none, never part.
 */
ownCaudalHome();

const PG = 'PostgreSQL table "public"."orders" (connection \'db\')';
const MQ = "RabbitMQ exchange '(default)' (connection 'mq')";
const IN_DOUBT = `killed while committing to ${PG}: it holds all of the run's rows or none of them, never part (look there to know which before running the pipeline again)`;

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-in-doubt-');
});

/** A single-phase database load as the protocol sees it: no undo, no prepare, one COMMIT. */
function transactionStage(commit: () => Promise<void>): ExternalStage {
  return { rows: 3, prepare: async () => ({ twoPhase: false }), wholeOrNone: true, commit, rollback: async () => undefined };
}

async function killedJournal(runId: string, sinks: RunJournal['sinks']): Promise<RunJournal> {
  const j: RunJournal = { ...newJournal(runId, 'load', dir, undefined, { host: self.host, pid: deadPid() }), phase: 'committing', sinks };
  await writeJournal(j);
  return j;
}

const committing = (label: string, wholeOrNone: boolean): RunJournal['sinks'][number] => ({
  kind: 'external',
  nodeId: label.startsWith('RabbitMQ') ? 'pub' : 'pg',
  label,
  committed: false,
  publishing: true,
  ...(wholeOrNone ? { wholeOrNone: true } : {}),
});

describe('a destination whose publish is one transaction', () => {
  it('is journaled as committing whole-or-none while its COMMIT runs', async () => {
    const runtime = { CAUDAL_RUNTIME_DIR: path.join(dir, 'protocol-runtime') };
    let during: RunJournal | undefined;
    const pg = new ExternalParticipant('pg', PG, transactionStage(async () => {
      during = JSON.parse(await readFile(journalPath('tx-run', runtime), 'utf8')) as RunJournal;
    }));
    await commitAll([pg], new CommitJournal(newJournal('tx-run', 'load', dir, undefined), runtime), { info: () => undefined, warn: () => undefined });
    expect(during?.sinks[0]).toMatchObject({ kind: 'external', publishing: true, wholeOrNone: true, committed: false });
  });
});

describe('a run killed while a transaction committed', () => {
  let db: Db;
  beforeAll(async () => {
    db = await Db.open({ threads: 1 });
  });
  afterAll(() => db.close());

  it("is reported by the next run's recovery as in doubt, all or nothing, never as partly published", async () => {
    const j = await killedJournal('tx-recover', [committing(PG, true)]);
    const outcome = await recoverRun(j, { db, connection: () => undefined, baseDir: dir });
    expect(outcome.inDoubt).toEqual([PG]);
    expect(outcome.partlyPublished).toBeUndefined();
    const text = recoveryWarnings(outcome).join('\n');
    expect(text).toContain(`which was ${IN_DOUBT}: everything else rolled back`);
    expect(text).toContain(`${PG}: its transaction was committing when the process died, so it holds all of the run's rows or none`);
    expect(text).not.toMatch(/some of its rows|stays published/);
    expect(await existingJournal('tx-recover')).toBeUndefined();
  });

  it('beside a RabbitMQ publish cut half way, says each as it is', async () => {
    const j = await killedJournal('tx-mixed', [committing(MQ, false), committing(PG, true)]);
    const outcome = await recoverRun(j, { db, connection: () => undefined, baseDir: dir });
    expect(outcome).toMatchObject({ partlyPublished: [MQ], inDoubt: [PG] });
    const [headline] = recoveryWarnings(outcome);
    expect(headline).toContain(`killed while publishing to ${MQ}: some messages may have been published and cannot be undone; ${IN_DOUBT}`);
  });

  it('is listed by `caudal doctor` and `caudal clean` as in doubt', async () => {
    await killedJournal('tx-doctor', [committing(PG, true)]);
    const line = (await cliInProcess(['doctor'])).stdout.split('\n').find((l) => l.includes('tx-doctor'));
    expect(line).toContain(`(${IN_DOUBT}; clean will undo the rest; 1 destination(s): ${PG})`);
    const json = JSON.parse((await cliInProcess(['doctor', '--json'])).stdout) as { dead: Array<{ runId: string; inDoubt?: string[]; partlyPublished?: string[] }> };
    expect(json.dead.find((r) => r.runId === 'tx-doctor')).toMatchObject({ inDoubt: [PG] });
    expect(json.dead.find((r) => r.runId === 'tx-doctor')).not.toHaveProperty('partlyPublished');

    const cleaned = (await cliInProcess(['clean'])).stdout.split('\n').find((l) => l.includes('tx-doctor'));
    expect(cleaned).toMatch(/^in doubt +tx-doctor {2}pipeline 'load': /);
    expect(cleaned).toContain(`${IN_DOUBT}; everything else rolled back`);
    expect(await existingJournal('tx-doctor')).toBeUndefined();
  });
});
