import { randomUUID } from 'node:crypto';
import { link, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { RunEvent, RunSummary } from '../engine/protocol.js';
import type { RunRecord } from '../host-api/contract.js';
import { CaudalError, errorMessage } from '../util/errors.js';
import { ownerIsDead, ownerTag, self } from '../util/owner.js';
import { EVENTS_FILE, EventLog, finishedFields, PREVIOUS_EVENTS_FILE, qualityScore, readRun, RUN_FILE, type StoredRun, writeRun } from './run-history.js';

/**
 * Creates the run's record file exclusively (true when this call created it). A record of the same
 * run id already there means the id is taken: a live run (busy) or an earlier one whose history a
 * new run would overwrite. A record of another run id is a reused --artifacts-dir: refused (busy)
 * while its run is live, else replaced, with what that run left there (see REPLACED_FILES).
 */
async function claimRunFile(start: RunStart, file: string): Promise<boolean> {
  for (;;) {
    try {
      await (await open(file, 'wx')).close();
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const old = await readRun(start.dir);
    if (old && old.runId !== start.runId) {
      await replaceFinishedRun(start, file, old);
      continue;
    }
    // Unreadable: another run has just created it and is writing it.
    if (!old) {
      throw new CaudalError('busy', `${file} is being written by another run that is starting there`, {
        hint: `try again in a moment; if no caudal run is starting there, remove ${file} (it is empty or not a run record)`,
      });
    }
    const hint = 'each run needs its own id: choose another --run-id, or leave it out for a new one';
    if (runIsLive(old)) {
      throw new CaudalError('busy', `run id '${start.runId}' is in use by a run of pipeline '${old.pipeline}' (pid ${old.owner?.pid}, since ${old.startedAt}): its record is ${file}`, { hint });
    }
    throw new CaudalError('usage', `run id '${start.runId}' was already used by a run of pipeline '${old.pipeline}' started ${old.startedAt} (${old.status}); a new run with that id would overwrite its record ${file}`, { hint });
  }
}

/** A record saying "running" whose process is still there (on another host: assumed to be). */
function runIsLive(run: StoredRun): boolean {
  return run.status === 'running' && !!run.owner && !ownerIsDead(run.owner);
}

/**
 * What an earlier run leaves in its folder besides its record: a run that reuses the folder
 * removes them, or its own record would sit beside the other run's events and quality report
 * (a run without checks, or a cancelled one, writes none of its own).
 */
const REPLACED_FILES = [EVENTS_FILE, PREVIOUS_EVENTS_FILE, 'quality.json', 'quality.html'];

/**
 * Takes over a folder (`--artifacts-dir`) holding the record of another run, which must be over:
 * a live run's folder is refused as busy, as a destination in use is. The record is first renamed
 * to a name of this run's own, so of two runs reusing the folder at once only one takes it; the
 * caller then creates the record afresh (the other one finds it and is refused).
 */
async function replaceFinishedRun(start: RunStart, file: string, old: StoredRun): Promise<void> {
  if (runIsLive(old)) {
    throw new CaudalError('busy', `artifacts folder ${start.dir} is in use by another run ${old.runId} of pipeline '${old.pipeline}' (pid ${old.owner?.pid}, since ${old.startedAt}): its record and reports go there`, {
      hint: 'give runs that go at the same time their own --artifacts-dir (without the option each run gets a folder of its own), or run again once that run has finished',
    });
  }
  const aside = `${file}.replaced-${ownerTag()}-${start.runId}`;
  try {
    await rename(file, aside);
  } catch (e) {
    // Another run took it first: the caller looks again.
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  const moved = await readFile(aside, 'utf8').then((t) => (JSON.parse(t) as StoredRun).runId, () => undefined);
  if (moved !== old.runId) {
    // Another run replaced it between our look and the rename: its record goes back (link never
    // replaces a file), and the caller looks again.
    await link(aside, file).catch(() => undefined);
    await rm(aside, { force: true });
    return;
  }
  await Promise.all(REPLACED_FILES.map((name) => rm(path.join(start.dir, name), { force: true })));
  await rm(aside, { force: true });
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
