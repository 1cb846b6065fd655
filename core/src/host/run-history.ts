import { createWriteStream, openSync, renameSync, type WriteStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { HostRunSummary, RunRecord } from '../host-api/contract.js';
import type { RunEvent, RunSummary } from '../engine/protocol.js';
import { writeFileAtomic } from '../util/atomic-write.js';

/**
 * Run history as plain files (DESIGN.md §7): one folder per run holding `run.json` (the record,
 * plus the engine summary once finished), `events.jsonl` (every engine event, one per line) and
 * whatever artifacts the run wrote (quality.json, ...). The folder is the run's `artifactsDir`.
 */
export const RUN_FILE = 'run.json';
export const EVENTS_FILE = 'events.jsonl';

export interface StoredRun extends RunRecord {
  summary: HostRunSummary | null;
}

/** Run ids name folders: refuse anything that could leave the runs folder. */
export function isSafeRunId(runId: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/.test(runId);
}

export async function writeRun(run: StoredRun): Promise<void> {
  await writeFileAtomic(path.join(run.dir, RUN_FILE), JSON.stringify(run, null, 2) + '\n');
}

export async function readRun(dir: string): Promise<StoredRun | null> {
  try {
    return JSON.parse(await readFile(path.join(dir, RUN_FILE), 'utf8')) as StoredRun;
  } catch {
    return null;
  }
}

/** The part of a long run's events before the latest `EVENTS_FILE` began (see EventLog). */
export const PREVIOUS_EVENTS_FILE = 'events.1.jsonl';

/**
 * A run's events file is rotated past this size: a `--watch` run goes on for weeks at about 2 KB
 * per micro-batch, so its log keeps the latest 32 to 64 MiB, not everything since it started.
 */
export const EVENTS_ROTATE_BYTES = 32 * 1024 * 1024;

/**
 * Appends events in order; `close()` resolves once every line is on disk. Past `rotateAt` bytes the
 * file becomes `PREVIOUS_EVENTS_FILE` (replacing the one before) and a new one begins.
 */
export class EventLog {
  private stream: WriteStream;
  private bytes = 0;
  constructor(
    private readonly dir: string,
    private readonly rotateAt = EVENTS_ROTATE_BYTES,
  ) {
    this.stream = this.open();
  }

  write(event: RunEvent): void {
    const line = JSON.stringify(event) + '\n';
    if (this.bytes > 0 && this.bytes + line.length > this.rotateAt) this.rotate(event.runId);
    this.stream.write(line);
    this.bytes += Buffer.byteLength(line);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.stream.end(resolve));
  }

  private open(): WriteStream {
    const file = path.join(this.dir, EVENTS_FILE);
    // Opened here and now, not when the stream gets to it: a rename (rotate) must find the file
    // open already, or the stream's late open would start a second file under the name.
    let fd: number | undefined;
    try {
      fd = openSync(file, 'a');
    } catch {
      fd = undefined;
    }
    const stream = createWriteStream(file, fd === undefined ? { flags: 'a' } : { fd });
    // A full disk must not crash the host; the run's own result still reaches run.json.
    stream.on('error', () => undefined);
    return stream;
  }

  private rotate(runId: string): void {
    if (this.stream.pending) return;
    try {
      // The open stream keeps writing its queued lines into the renamed file, so order is kept.
      renameSync(path.join(this.dir, EVENTS_FILE), path.join(this.dir, PREVIOUS_EVENTS_FILE));
    } catch {
      return;
    }
    this.stream.end();
    this.stream = this.open();
    this.bytes = 0;
    const note: RunEvent = { type: 'log', runId, level: 'info', message: `the events before these are in ${PREVIOUS_EVENTS_FILE}; earlier ones were dropped to keep this long run's log bounded` };
    this.write(note);
  }
}

/** A run's events in order, from the rotated part (if any) on; `offset` counts lines of both. */
export async function readEvents(dir: string, offset: number, limit: number): Promise<{ events: RunEvent[]; next: number }> {
  const read = (name: string) => readFile(path.join(dir, name), 'utf8').catch(() => '');
  const text = (await read(PREVIOUS_EVENTS_FILE)) + (await read(EVENTS_FILE));
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const slice = lines.slice(offset, offset + limit);
  return { events: slice.map((l) => JSON.parse(l) as RunEvent), next: offset + slice.length };
}

/** Runs in a runs folder started from `pipelinePath`, newest first. */
export async function listRuns(runsDir: string, pipelinePath: string | null, limit: number): Promise<StoredRun[]> {
  let names: string[];
  try {
    names = await readdir(runsDir);
  } catch {
    return [];
  }
  const runs: StoredRun[] = [];
  for (const name of names) {
    if (!isSafeRunId(name)) continue;
    const run = await readRun(path.join(runsDir, name));
    // A record of another shape (hand-edited, cut short by a full disk) is passed by: sorting on it
    // would fail the whole history, and retention, which lists it, on every pass.
    if (run && typeof run.runId === 'string' && typeof run.startedAt === 'string' && run.pipelinePath === pipelinePath) runs.push({ ...run, dir: path.join(runsDir, name) });
  }
  runs.sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.runId.localeCompare(a.runId));
  return runs.slice(0, limit);
}

/** Files of a run other than its record and log. */
export async function listArtifacts(dir: string): Promise<Array<{ name: string; bytes: number }>> {
  const out: Array<{ name: string; bytes: number }> = [];
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (!entry.isFile() || entry.name === RUN_FILE || entry.name === EVENTS_FILE || entry.name.startsWith('.')) continue;
    out.push({ name: entry.name, bytes: (await stat(path.join(dir, entry.name))).size });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** The quality score a run's quality.json reports (`score`, 0..100), if any. */
export async function qualityScore(dir: string): Promise<number | null> {
  try {
    const q = JSON.parse(await readFile(path.join(dir, 'quality.json'), 'utf8')) as { score?: unknown };
    return typeof q.score === 'number' && Number.isFinite(q.score) ? q.score : null;
  } catch {
    return null;
  }
}

/** The record's final fields from the engine's summary. */
export function finishedFields(summary: RunSummary): Pick<RunRecord, 'status' | 'elapsedMs' | 'rows' | 'error'> {
  return {
    status: summary.status,
    elapsedMs: summary.elapsedMs,
    rows: summary.outputs.reduce((sum, o) => sum + o.rows, 0),
    error: summary.error,
  };
}
