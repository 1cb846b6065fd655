import { randomUUID } from 'node:crypto';
import { mkdir, open, rm } from 'node:fs/promises';
import path from 'node:path';
import type { RunEvent, RunSummary } from '../engine/protocol.js';
import type { RunRecord } from '../host-api/contract.js';
import { CaudalError, errorMessage } from '../util/errors.js';
import { ownerIsDead, self } from '../util/owner.js';
import { EventLog, finishedFields, qualityScore, readRun, RUN_FILE, type StoredRun, writeRun } from './run-history.js';

/**
 * Creates the run's record file exclusively (true when this call created it). A record of the same
 * run id already there means the id is taken: a live run (busy) or an earlier one whose history a
 * new run would overwrite. A record of another run id is a reused --artifacts-dir: replaced.
 */
async function claimRunFile(start: RunStart, file: string): Promise<boolean> {
  try {
    await (await open(file, 'wx')).close();
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const old = await readRun(start.dir);
  if (old && old.runId !== start.runId) return false;
  const hint = 'each run needs its own id: choose another --run-id, or leave it out for a new one';
  // Unreadable: another run with this id has just created it and is writing it.
  if (!old || (old.status === 'running' && old.owner && !ownerIsDead(old.owner))) {
    const who = old ? `a run of pipeline '${old.pipeline}' (pid ${old.owner?.pid}, since ${old.startedAt})` : 'another run';
    throw new CaudalError('busy', `run id '${start.runId}' is in use by ${who}: its record is ${file}`, { hint });
  }
  throw new CaudalError('usage', `run id '${start.runId}' was already used by a run of pipeline '${old.pipeline}' started ${old.startedAt} (${old.status}); a new run with that id would overwrite its record ${file}`, { hint });
}

/** `<UTC time>-<8 random hex>`: sortable, and safe as a folder name. */
export function newRunId(now = new Date()): string {
  return `${now.toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${randomUUID().slice(0, 8)}`;
}

export type RunStart = Pick<RunRecord, 'runId' | 'pipeline' | 'pipelinePath' | 'targets' | 'params' | 'dir'> & Partial<Pick<RunRecord, 'job' | 'trigger' | 'attempt' | 'slot'>>;

/**
 * Keeps one run's folder up to date: `run.json` written as "running" before the engine starts,
 * every engine event appended to `events.jsonl`, and the final record once the run ends. The
 * studio's RunManager and `caudal run` (hence every scheduled job) both record runs through it, so
 * the studio's history lists them all.
 */
export class RunRecorder {
  private constructor(
    readonly record: StoredRun,
    private readonly log: EventLog,
  ) {}

  static async begin(start: RunStart, startedAt = new Date()): Promise<RunRecorder> {
    const file = path.join(start.dir, RUN_FILE);
    let createdDir: string | undefined;
    let claimed = false;
    try {
      createdDir = await mkdir(start.dir, { recursive: true });
      claimed = await claimRunFile(start, file);
      return await RunRecorder.write(start, startedAt);
    } catch (e) {
      // Nothing of a run that never started stays behind (a full disk left empty run folders).
      if (createdDir !== undefined) await rm(createdDir, { recursive: true, force: true }).catch(() => undefined);
      else if (claimed) await rm(file, { force: true }).catch(() => undefined);
      if (e instanceof CaudalError) throw e;
      throw new CaudalError('execution', `could not write the run's record ${file}: ${errorMessage(e)}`, {
        cause: e,
        hint: 'free some space there or fix its permissions; `caudal run --artifacts-dir DIR` keeps the run record elsewhere',
      });
    }
  }

  private static async write(start: RunStart, startedAt: Date): Promise<RunRecorder> {
    const record: StoredRun = {
      ...start,
      status: 'running',
      startedAt: startedAt.toISOString(),
      elapsedMs: null,
      rows: null,
      qualityScore: null,
      summary: null,
      owner: { host: self.host, pid: self.pid, started: self.started },
    };
    await writeRun(record);
    return new RunRecorder(record, new EventLog(start.dir));
  }

  event(e: RunEvent): void {
    this.log.write(e);
  }

  async finished(summary: RunSummary): Promise<StoredRun> {
    await this.log.close();
    // The score comes with the summary; quality.json is the fallback for summaries without it.
    const fromSummary = (summary as { quality?: { score?: unknown } }).quality?.score;
    Object.assign(this.record, finishedFields(summary), { summary, qualityScore: typeof fromSummary === 'number' ? fromSummary : await qualityScore(this.record.dir) });
    await writeRun(this.record);
    return this.record;
  }

  /** The engine itself failed (its worker died): the run failed. */
  async crashed(e: unknown): Promise<StoredRun> {
    await this.log.close();
    const err = e instanceof CaudalError ? e : new CaudalError('execution', errorMessage(e));
    Object.assign(this.record, { status: 'failed', elapsedMs: Date.now() - Date.parse(this.record.startedAt), rows: null, error: err.toJSON() });
    await writeRun(this.record);
    return this.record;
  }
}
