import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pipelineStateFolder, safeName } from '../engine/state.js';
import { writeFileAtomic } from '../util/atomic-write.js';

export interface HistoryEntry {
  at: string;
  runId: string;
  value: number | null;
}

/**
 * Check name → recorded values, oldest first. Without a prototype: a check may be named
 * `constructor` or `__proto__`, which on a plain object would find Object's members (or set the
 * object's prototype) instead of the check's values.
 */
export type HistoryByCheck = Record<string, HistoryEntry[]>;

/** Per node: check name → recorded values, oldest first. */
export interface QualityHistory {
  version: 1;
  checks: HistoryByCheck;
}

/** An empty by-check map (no prototype: see HistoryByCheck). */
export function emptyByCheck<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** A check's own entry of a by-check map, never an inherited member. */
export function ownEntry<T>(map: Record<string, T>, name: string): T | undefined {
  return Object.hasOwn(map, name) ? map[name] : undefined;
}

/** `<stateDir>/<pipeline>/<nodeId>.quality-history.json`, beside the node's other state. */
export function historyPath(stateDir: string, pipeline: string, nodeId: string): string {
  return path.join(pipelineStateFolder(stateDir, pipeline), `${safeName(nodeId)}.quality-history.json`);
}

export async function readHistory(file: string): Promise<QualityHistory> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, checks: emptyByCheck() };
    throw new Error(`cannot read the quality history ${file}: ${(e as Error).message}`, { cause: e });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`cannot read the quality history ${file}: ${(e as Error).message}`, { cause: e });
  }
  return { version: 1, checks: parseChecks(doc, file) };
}

/** The recorded values of a history document, checked: a hand-edited file says what is wrong, not "x.map is not a function". */
function parseChecks(doc: unknown, file: string): HistoryByCheck {
  const bad = (what: string) => new Error(`cannot read the quality history ${file}: ${what}; fix it, or delete the file to start the history again`);
  if (!isObject(doc) || doc.version !== 1 || !isObject(doc.checks)) throw bad('it is not a version 1 history ({"version": 1, "checks": {...}})');
  const checks = emptyByCheck<HistoryEntry[]>();
  for (const [name, entries] of Object.entries(doc.checks)) {
    if (!Array.isArray(entries) || !entries.every(isEntry)) throw bad(`the values of check '${name}' are not a list of {"at", "runId", "value"} entries with a number or null value`);
    checks[name] = entries;
  }
  return checks;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isEntry = (v: unknown): v is HistoryEntry => isObject(v) && (v.value === null || typeof v.value === 'number');

/** Appends today's values, keeps the last `keep` per check, and replaces the file atomically. */
export async function appendHistory(file: string, values: Record<string, { entry: HistoryEntry; keep: number }>): Promise<void> {
  const doc = await readHistory(file);
  for (const [name, { entry, keep }] of Object.entries(values)) doc.checks[name] = [...(ownEntry(doc.checks, name) ?? []), entry].slice(-keep);
  await writeFileAtomic(file, JSON.stringify(doc, null, 2) + '\n');
}
