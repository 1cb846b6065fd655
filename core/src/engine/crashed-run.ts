import { readFile } from 'node:fs/promises';
import { Db } from '../compiler/db.js';
import type { ResolvedConnection } from '../nodes/define.js';
import { errorMessage } from '../util/errors.js';
import { journalPath, runJournal } from './commit/journal.js';
import { recoverRun, recoveryWarnings } from './commit/recover.js';

/**
 * A run whose worker thread died (an error nothing handled, a fatal error in a library) leaves its
 * staging, its journal and its temp folder as a killed process does. But its owner is this process,
 * which is alive, so the next run's recovery would pass it by until this process ends (the studio
 * may run for days). It is recovered as soon as the worker is gone: undone, or completed when the
 * commit was decided. Returns what the recovery did, as sentences for the run's error.
 */
export async function recoverCrashedRun(runId: string, connections: Record<string, ResolvedConnection> | undefined, baseDir: string): Promise<string[]> {
  const text = await readFile(journalPath(runId), 'utf8').catch(() => undefined);
  if (text === undefined) return [];
  let db: Db | undefined;
  try {
    const journal = runJournal.parse(JSON.parse(text));
    db = await Db.open({ threads: 1 });
    const outcome = await recoverRun(journal, { db, connection: (name) => connections?.[name], baseDir });
    return recoveryWarnings(outcome, 'run', 'whose engine worker crashed');
  } catch (e) {
    return [`could not clean up after it (${errorMessage(e)}): the next run or \`caudal clean\` will`];
  } finally {
    db?.close();
  }
}
