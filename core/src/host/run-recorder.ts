import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import type { RunEvent, RunSummary } from '../engine/protocol.js';
import type { RunRecord } from '../host-api/contract.js';
import { CaudalError, errorMessage } from '../util/errors.js';
import { self } from '../util/owner.js';
import { EventLog, finishedFields, qualityScore, type StoredRun, writeRun } from './run-history.js';

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
    await mkdir(start.dir, { recursive: true });
    const record: StoredRun = {
      ...start,
      status: 'running',
      startedAt: startedAt.toISOString(),
      elapsedMs: null,
      rows: null,
      qualityScore: null,
      summary: null,
      owner: { host: self.host, pid: self.pid },
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
