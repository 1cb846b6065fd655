import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExternalStage } from '../core/src/nodes/define.js';
import { Db } from '../core/src/compiler/db.js';
import { existingJournal, journalPath, newJournal, type RunJournal, writeJournal } from '../core/src/engine/commit/journal.js';
import { ExternalParticipant, FileParticipant } from '../core/src/engine/commit/participants.js';
import { CommitJournal, commitAll } from '../core/src/engine/commit/protocol.js';
import { recoverRun, recoveryWarnings } from '../core/src/engine/commit/recover.js';
import { self } from '../core/src/util/owner.js';
import { cliInProcess, ownCaudalHome } from './support/cli-in-process.js';
import { deadPid } from './support/owners.js';
import { tempDir } from './support/pipeline.js';

/**
 * A run killed (kill -9) while it published to a destination that cannot be undone nor prepared
 * (sink.rabbitmq: messages go out one by one) left 27,000 messages published, while `caudal doctor`
 * said "killed before committing: clean will undo it" and the recovery said "rolled back": the
 * journal had no record that the publish had begun. It now records it before the publish starts,
 * and doctor, clean and the next run's recovery notice say what may be left.
 */
ownCaudalHome();

const LABEL = "RabbitMQ exchange '(default)' (connection 'mq')";
const NOTE = `killed while publishing to ${LABEL}: some messages may have been published and cannot be undone`;

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-round6-partial-');
});

/** What a RabbitMQ load is to the protocol: no undo, no two-phase prepare, no recovery reference. */
function messagesStage(commit: () => Promise<void>): ExternalStage {
  return { rows: 3, prepare: async () => ({ twoPhase: false }), commit, rollback: async () => undefined };
}

/** The journal of a run killed while publishing `entry` (its owner is a process that has exited). */
async function killedJournal(runId: string, over: Partial<RunJournal> = {}): Promise<RunJournal> {
  const j: RunJournal = {
    ...newJournal(runId, 'pub', dir, undefined, { host: self.host, pid: deadPid() }),
    phase: 'committing',
    sinks: [{ kind: 'external', nodeId: 'pub', label: LABEL, committed: false, publishing: true }],
    ...over,
  };
  await writeJournal(j);
  return j;
}

describe('the commit journal of a destination that publishes irreversibly and dies with the process', () => {
  it('says that its publish has begun before the first message goes out, and no longer once it is done', async () => {
    const runtime = { CAUDAL_RUNTIME_DIR: path.join(dir, 'protocol-runtime') };
    const target = path.join(dir, 'out.csv');
    await writeFile(`${target}.new`, 'new');
    const file = new FileParticipant('csv', { kind: 'file', target, temp: `${target}.new`, aside: `${target}.old`, replace: true }, []);
    let during: RunJournal | undefined;
    const mq = new ExternalParticipant(
      'pub',
      LABEL,
      messagesStage(async () => {
        during = (await existingJournal('protocol-run', runtime))?.journal;
      }),
    );
    const keeper = new CommitJournal(newJournal('protocol-run', 'pub', dir, undefined), runtime);
    const seen: RunJournal[] = [];
    const save = keeper.save.bind(keeper);
    keeper.save = async () => {
      await save();
      seen.push(JSON.parse(await readFile(journalPath('protocol-run', runtime), 'utf8')) as RunJournal);
    };
    await commitAll([file, mq], keeper, { info: () => undefined, warn: () => undefined });
    expect(during?.decision).toBeUndefined();
    expect(during?.sinks.find((e) => e.kind === 'external' && e.nodeId === 'pub')).toMatchObject({ kind: 'external', publishing: true, committed: false });
    // Once committed it is no longer "publishing" (recovery then knows it is complete).
    const last = seen.at(-1)!;
    expect(last.sinks.find((e) => e.kind === 'external' && e.nodeId === 'pub')).toMatchObject({ committed: true });
    expect(last.sinks.find((e) => e.kind === 'external' && e.nodeId === 'pub')).not.toHaveProperty('publishing');
  });
});

describe('a run killed while publishing messages that cannot be undone', () => {
  let db: Db;
  beforeAll(async () => {
    db = await Db.open({ threads: 1 });
  });
  afterAll(() => db.close());

  it('is reported by the next run\'s recovery as partly published, not as rolled back', async () => {
    const j = await killedJournal('killed-recover');
    const outcome = await recoverRun(j, { db, connection: () => undefined, baseDir: dir });
    expect(outcome.partlyPublished).toEqual([LABEL]);
    const [headline, ...rest] = recoveryWarnings(outcome);
    expect(headline).toContain(`recovered run killed-recover of 'pub', which was ${NOTE}: everything else rolled back`);
    expect(headline).not.toMatch(/which was killed: rolled back/);
    expect(headline).toContain(`${LABEL}: what it published before the process died stays published`);
    expect(rest).toEqual([]);
    expect(await existingJournal('killed-recover')).toBeUndefined();
  });

  it('after the decision (an earlier destination committed) is not said to be a load lost and unchanged', async () => {
    const j = await killedJournal('killed-forward', { decision: 'commit' });
    const outcome = await recoverRun(j, { db, connection: () => undefined, baseDir: dir });
    const text = recoveryWarnings(outcome).join('\n');
    expect(text).toContain(`which was ${NOTE}: everything else rolled forward`);
    expect(text).not.toContain('is unchanged');
  });

  it('is listed by `caudal doctor` as partly published, and `caudal clean` says so too', async () => {
    await killedJournal('killed-doctor');
    const doctor = await cliInProcess(['doctor']);
    const line = doctor.stdout.split('\n').find((l) => l.includes('killed-doctor'));
    expect(line).toContain(`(${NOTE}; clean will undo the rest; 1 destination(s): ${LABEL})`);
    expect(line).not.toContain('killed before committing');
    const json = JSON.parse((await cliInProcess(['doctor', '--json'])).stdout) as { dead: Array<{ runId: string; partlyPublished?: string[] }> };
    expect(json.dead.find((r) => r.runId === 'killed-doctor')?.partlyPublished).toEqual([LABEL]);

    const clean = await cliInProcess(['clean']);
    const cleaned = clean.stdout.split('\n').find((l) => l.includes('killed-doctor'));
    expect(cleaned).toMatch(/^partly published killed-doctor {2}pipeline 'pub': /);
    expect(cleaned).toContain(`${NOTE}; everything else rolled back`);
    expect(await existingJournal('killed-doctor')).toBeUndefined();
  });
});
