import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../../util/atomic-write.js';

/**
 * A replication slot this pipeline created in a run that has not committed yet. The node's state
 * records where the slot stands only when a run commits; a run that created the slot and then failed,
 * was cancelled or was killed leaves a slot ahead of the state (or the state of a slot dropped since),
 * which looked like one "acknowledged by another reader", and the snapshot it took never reached the
 * destinations. This record, kept beside the state, tells the next run that the slot is its own and
 * still unread (it stands where it was created): that run starts from it as from a new slot.
 */
export interface CreatedSlot {
  slot: string;
  /** The slot's confirmed position right after it was created (LSN text). */
  position: string;
}

/** One record per state key (slot and server), in the node's folder (`caudal state reset` removes it). */
export function createdSlotFile(nodeFolder: string, stateKey: string): string {
  return path.join(nodeFolder, `created-slot-${stateKey}.json`);
}

export async function readCreatedSlot(file: string, slot: string): Promise<CreatedSlot | undefined> {
  try {
    const r = JSON.parse(await readFile(file, 'utf8')) as Partial<CreatedSlot>;
    return r.slot === slot && typeof r.position === 'string' ? { slot: r.slot, position: r.position } : undefined;
  } catch {
    // None, or unreadable: the run then checks the slot against the state alone, as before.
    return undefined;
  }
}

export async function writeCreatedSlot(file: string, record: CreatedSlot): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(record) + '\n');
}

export async function forgetCreatedSlot(file: string): Promise<void> {
  await rm(file, { force: true });
}
