import { createWriteStream, type WriteStream } from 'node:fs';
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

/** Appends events in order; `close()` resolves once every line is on disk. */
export class EventLog {
  private readonly stream: WriteStream;
  constructor(dir: string) {
    this.stream = createWriteStream(path.join(dir, EVENTS_FILE), { flags: 'a' });
    // A full disk must not crash the host; the run's own result still reaches run.json.
    this.stream.on('error', () => undefined);
  }
  write(event: RunEvent): void {
    this.stream.write(JSON.stringify(event) + '\n');
  }
  close(): Promise<void> {
    return new Promise((resolve) => this.stream.end(resolve));
  }
}

export async function readEvents(dir: string, offset: number, limit: number): Promise<{ events: RunEvent[]; next: number }> {
  let text: string;
  try {
    text = await readFile(path.join(dir, EVENTS_FILE), 'utf8');
  } catch {
    return { events: [], next: offset };
  }
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
    if (run && run.pipelinePath === pipelinePath) runs.push({ ...run, dir: path.join(runsDir, name) });
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
