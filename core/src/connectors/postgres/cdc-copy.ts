import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { CaudalError } from '../../util/errors.js';
import { lsnText, lsnValue } from './lsn.js';
import { pgIdent } from './sql.js';

/**
 * Two copies of one pipeline (the same name and node, each with a state of its own: another folder,
 * another --state-dir, another machine) get the same default slot. Reading one slot, each would
 * acknowledge changes the other never saw, and both destinations would silently miss rows. Two
 * guards tell the copies apart:
 * - a copy id, kept in the node's state once a run committed and written on the publication's mark
 *   (cdc-setup.ts): a copy whose id is not the mark's is refused before it reads anything. Before its
 *   first commit a copy's id is derived from where its state lives, so a first run that failed is
 *   still the same copy when run again, and a folder moved with its state keeps its id.
 * - the position this copy acknowledged, kept in its state: a slot acknowledged past it was read by
 *   someone else (a copy whose state was copied too, another program), and the run stops there.
 */

/** State keys of source.postgres_cdc (beside snapshot_done). */
export const COPY_ID = 'copy_id';
export const ACKNOWLEDGED_LSN = 'acknowledged_lsn';

/** This copy's id: the one its state keeps, else one derived from the machine and the state's folder. */
export function copyIdOf(state: Record<string, unknown> | undefined, stateFolder: string): string {
  const kept = state?.[COPY_ID];
  if (typeof kept === 'string' && kept.length > 0) return kept;
  return createHash('sha256').update(JSON.stringify([os.hostname(), path.resolve(stateFolder)])).digest('hex').slice(0, 16);
}

/**
 * A copy whose id is not the mark's. Two ways out: its own slot, or, when the other copy no longer
 * runs (the pipeline moved to another machine without its state), taking over with `claim`: the
 * mark without a copy id, which the next run claims (cdc-setup.ts).
 */
export function anotherCopyError(nodeId: string, what: string, spec: { owner: { pipeline: string }; slot: string; publication: string }, stateFolder: string, claim: string): CaudalError {
  return new CaudalError(
    'validation',
    `node '${nodeId}': ${what} is used by another copy of pipeline '${spec.owner.pipeline}' (the same pipeline name and node, with its state in another folder, state folder or machine): two copies reading one slot each lose the changes the other acknowledges`,
    {
      nodeId,
      hint: `give this copy its own slot and publication (params slot and publication), or another pipeline name. If the other copy no longer runs (this pipeline moved without its state, ${stateFolder}), let this one take over where it stopped: ${claim}; then run again (it takes a snapshot first when snapshot is on)`,
    },
  );
}

const LSN_TEXT = /^[0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8}$/;

/** The position a node's state says this copy acknowledged, when it holds a valid one. */
export function acknowledgedIn(state: Record<string, unknown> | undefined): string | undefined {
  const v = state?.[ACKNOWLEDGED_LSN];
  return typeof v === 'string' && LSN_TEXT.test(v) ? v : undefined;
}

/**
 * Refuses a slot acknowledged past what this copy acknowledged (`acknowledged`, from its state): the
 * changes in between went to another reader, not to this pipeline's destinations. A slot behind it
 * is fine: a run killed (or whose acknowledgement failed) after its commit left it there, and the
 * next run skips what the state says was delivered (CdcSession.open).
 */
export function refuseForeignAcknowledgement(nodeId: string, pipeline: string, spec: { slot: string; publication: string }, slotPosition: bigint, acknowledged: unknown): void {
  if (typeof acknowledged !== 'string' || !LSN_TEXT.test(acknowledged) || slotPosition <= lsnValue(acknowledged)) return;
  throw new CaudalError(
    // Another reader's doing, found while running: a run error (exit 1), not an invalid pipeline.
    'execution',
    `node '${nodeId}': replication slot '${spec.slot}' was acknowledged up to ${lsnText(slotPosition)} by another reader since this pipeline's last run, which acknowledged up to ${acknowledged}: the changes in between went to that reader (a copy of this pipeline whose state was copied with it, another program, or pg_replication_slot_advance), not to this pipeline's destinations`,
    {
      nodeId,
      hint: `stop the other reader, or give each copy its own slot and publication; then, to capture every change again: empty the target, drop the slot and the publication (SELECT pg_drop_replication_slot('${spec.slot}'); DROP PUBLICATION ${pgIdent(spec.publication)}) and run again (a snapshot follows). If the slot was advanced on purpose, \`caudal state reset <pipeline.json> --node ${nodeId}\` makes '${pipeline}' go on from where the slot stands (with a snapshot first when snapshot is on)`,
    },
  );
}
