import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Db } from '../compiler/db.js';
import { journalPath, runJournal } from '../engine/commit/journal.js';
import { recoverDeadRuns, recoverRun, recoveryWarnings, sweepDeadTempFolders, type RecoveryOutcome } from '../engine/commit/recover.js';
import type { ResolvedConnection } from '../nodes/define.js';
import type { ProjectConnections } from '../engine/commit/other-projects.js';
import { errorMessage } from '../util/errors.js';
import { ownerIsDead } from '../util/owner.js';

/**
 * The Spark driver keeps the run's commit journal (resources/spark/caudal_spark.py, Journal) in the
 * DuckDB engine's format, so the same recovery undoes what a killed driver staged (local files,
 * PostgreSQL staging tables and prepared transactions) or completes a commit it had decided.
 */
export interface SparkRun {
  /** Names the staging files and tables: short, as it goes into a PostgreSQL table name. */
  id: string;
  journal: string;
}

export function newSparkRun(): SparkRun {
  const id = `${new Date().toISOString().replace(/[-:.TZ]/g, '').slice(0, 14)}_${randomBytes(3).toString('hex')}`;
  return { id, journal: journalPath(id) };
}

type Connections = Record<string, ResolvedConnection> | undefined;

const DRIVER_EXIT_WAIT_MS = 60_000;

/** Before a Spark run, as before a DuckDB one: what killed runs left is finished or undone. */
export async function recoverKilledRuns(connections: Connections, warn: (message: string) => void, baseDir?: string, projects?: ProjectConnections): Promise<void> {
  await withRecoveryDb(warn, async (db) => {
    for (const r of await recoverDeadRuns({ db, connection: (name) => connections?.[name], baseDir, projects })) recoveryWarnings(r).forEach(warn);
    await sweepDeadTempFolders();
  });
}

/**
 * After spark-submit ended: a journal still there means the driver died (or could not finish its
 * decided commit); once its process is gone, recover it now rather than at the next run. Returns
 * what the recovery did, if it ran.
 */
export async function recoverSparkRun(run: SparkRun, connections: Connections, warn: (message: string) => void): Promise<RecoveryOutcome | undefined> {
  if (!existsSync(run.journal)) return undefined;
  let outcome: RecoveryOutcome | undefined;
  await withRecoveryDb(warn, async (db) => {
    const { owner } = runJournal.parse(JSON.parse(await readFile(run.journal, 'utf8')));
    // spark-submit ends with its JVM (Ctrl-C, a killed JVM) while the Python driver may still be
    // finishing: it notices at its next call into the JVM. Wait for it, then read what it left.
    for (let waited = 0; waited < DRIVER_EXIT_WAIT_MS && !ownerIsDead(owner); waited += 200) await new Promise((r) => setTimeout(r, 200));
    const text = await readFile(run.journal, 'utf8').catch(() => undefined); // gone: the driver finished its own cleanup
    if (text === undefined) return;
    const journal = runJournal.parse(JSON.parse(text));
    if (!ownerIsDead(journal.owner)) {
      warn(`the Spark driver of run ${run.id} (pid ${journal.owner.pid}) is still running; what it staged is recovered by the next run or \`caudal clean\` once it ends`);
      return;
    }
    // Its own driver's journal: the connections are the ones the run used.
    outcome = await recoverRun(journal, { db, connection: (name) => connections?.[name], baseDir: journal.baseDir });
    recoveryWarnings(outcome, 'the Spark driver of run').forEach(warn);
  });
  return outcome;
}

async function withRecoveryDb(warn: (message: string) => void, work: (db: Db) => Promise<void>): Promise<void> {
  let db: Db | undefined;
  try {
    db = await Db.open({ threads: 1 });
    await work(db);
  } catch (e) {
    warn(`could not clean up after killed runs: ${errorMessage(e)}`);
  } finally {
    db?.close();
  }
}
