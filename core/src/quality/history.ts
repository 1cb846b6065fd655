import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pipelineStateFolder, safeName } from '../engine/state.js';
import { writeFileAtomic } from '../util/atomic-write.js';

export interface HistoryEntry {
  at: string;
  runId: string;
  value: number | null;
}

/** Per node: check name → recorded values, oldest first. */
export interface QualityHistory {
  version: 1;
  checks: Record<string, HistoryEntry[]>;
}

/** `<stateDir>/<pipeline>/<nodeId>.quality-history.json`, beside the node's other state. */
export function historyPath(stateDir: string, pipeline: string, nodeId: string): string {
  return path.join(pipelineStateFolder(stateDir, pipeline), `${safeName(nodeId)}.quality-history.json`);
}

export async function readHistory(file: string): Promise<QualityHistory> {
  try {
    const doc = JSON.parse(await readFile(file, 'utf8')) as QualityHistory;
    if (doc && doc.version === 1 && typeof doc.checks === 'object') return doc;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read the quality history ${file}: ${(e as Error).message}`, { cause: e });
  }
  return { version: 1, checks: {} };
}

/** Appends today's values, keeps the last `keep` per check, and replaces the file atomically. */
export async function appendHistory(file: string, values: Record<string, { entry: HistoryEntry; keep: number }>): Promise<void> {
  const doc = await readHistory(file);
  for (const [name, { entry, keep }] of Object.entries(values)) doc.checks[name] = [...(doc.checks[name] ?? []), entry].slice(-keep);
  await writeFileAtomic(file, JSON.stringify(doc, null, 2) + '\n');
}
