import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { lsnValue } from '../../connectors/postgres/lsn.js';

/**
 * Where a waiting --watch confirmed its slot while the table was quiet. The slot then moves past the
 * other tables' WAL (which it would otherwise keep until the table's next change), but the node's
 * state moves with commits only: the next run would find the slot past the state and take it for one
 * "acknowledged by another reader". This record, written before the slot is confirmed there, says the
 * slot went there by this copy's doing; nothing of the table lay in between. The next commit saves a
 * state at least as far, and the record goes.
 */
export interface QuietPosition {
  slot: string;
  /** LSN text. */
  position: string;
}

/** One record per state key (slot and server), in the node's folder (`caudal state reset` removes it). */
export function quietPositionFile(nodeFolder: string, stateKey: string): string {
  return path.join(nodeFolder, `quiet-position-${stateKey}.json`);
}

const LSN_TEXT = /^[0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8}$/;

export async function readQuietPosition(file: string, slot: string): Promise<string | undefined> {
  try {
    const r = JSON.parse(await readFile(file, 'utf8')) as Partial<QuietPosition>;
    return r.slot === slot && typeof r.position === 'string' && LSN_TEXT.test(r.position) ? r.position : undefined;
  } catch {
    // None, or unreadable: the slot is checked against the state alone.
    return undefined;
  }
}

export async function writeQuietPosition(file: string, record: QuietPosition): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(record) + '\n');
}

export async function forgetQuietPosition(file: string): Promise<void> {
  await rm(file, { force: true });
}

/**
 * How far this copy may have moved the slot: `saved` (its state's position, or where it created the
 * slot), or the record's when later. Without a saved position nothing is checked, record or not.
 */
export function laterOf(saved: string | undefined, quiet: string | undefined): string | undefined {
  if (saved === undefined || quiet === undefined) return saved;
  return lsnValue(quiet) > lsnValue(saved) ? quiet : saved;
}
