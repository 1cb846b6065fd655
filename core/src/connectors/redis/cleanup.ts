import type { ExternalRecovery } from '../../nodes/define.js';
import { ownerIsDead, ownerOf } from '../../util/owner.js';
import { answeredInTime, type RedisClient, scanPrefix, unlinkPrefix } from './client.js';
import { parseRegistryMember, REGISTRY_KEY, registryMember, type RegistryEntry, UNDOABLE_KEY } from './names.js';
import { SWITCH_BACK, UNDO_ASIDE, UNDO_BATCH, UNDO_NEW } from './scripts.js';

/**
 * Clean-up steps that need nothing but the names (no list of keys): rollbacks, undo after a failed
 * commit, recovery after a crash, and sweeps of killed runs. They SCAN for prefixes, which walks
 * the whole keyspace: fine for these rare paths, never used when a run succeeds.
 */

/** What an upsert undo did: keys put back, new keys removed, keys left because they were written since. */
export interface UpsertUndo {
  restored: number;
  removed: number;
  kept: number;
}

/**
 * An upsert load's names (names.ts UpsertNames) and its row arguments (scripts.ts ROW_ARGS), which
 * the undo needs to read its record. Journals of earlier versions have neither id, record nor row.
 */
export type UpsertLoad = {
  aside: string;
  newSet: string;
  id?: string;
  wrote?: string;
  claims?: string;
  row?: string[];
};

/**
 * Puts every value kept aside back onto its key and removes the keys the load created, each only
 * while the key still holds what the load wrote (scripts.ts UNDO_BATCH, from the committed batches
 * kept as its record): an undo that comes late (`caudal clean`, the next run) must not undo what
 * another run or an application wrote since. Then what no record covers: everything for a journal
 * of a version that kept none (put back unconditionally, as that version did); keys whose record
 * is lost (evicted) are put back only where nothing was written since.
 */
export async function undoUpsert(client: RedisClient, load: UpsertLoad): Promise<UpsertUndo> {
  const done: UpsertUndo = { restored: 0, removed: 0, kept: 0 };
  const add = ([restored, removed, kept]: number[]) => {
    done.restored += Number(restored ?? 0);
    done.removed += Number(removed ?? 0);
    done.kept += Number(kept ?? 0);
  };
  const { wrote, row } = load;
  if (wrote !== undefined && row !== undefined) {
    await scanPrefix(client, wrote, async (batches) => {
      for (const b of batches) add((await client.sendCommand(['EVAL', UNDO_BATCH, '2', b, UNDOABLE_KEY, load.aside, load.newSet, ...row])) as number[]);
    });
  }
  const unrecorded = wrote === undefined ? 'all' : 'absent';
  await scanPrefix(client, load.aside, async (keys) => {
    const [restored, kept] = (await client.sendCommand(['EVAL', UNDO_ASIDE, String(keys.length), ...keys, load.aside, unrecorded])) as number[];
    add([restored ?? 0, 0, kept ?? 0]);
  });
  let cursor = '0';
  do {
    const [next, members] = (await client.sendCommand(['SSCAN', load.newSet, cursor, 'COUNT', '1000'])) as [string, string[]];
    cursor = String(next);
    if (members.length > 0) {
      const [removed, kept] = (await client.sendCommand(['EVAL', UNDO_NEW, String(members.length), ...members.map(String), unrecorded])) as number[];
      add([0, removed ?? 0, kept ?? 0]);
    }
  } while (cursor !== '0');
  await client.sendCommand(['UNLINK', load.newSet, ...(load.claims ? [load.claims] : [])]);
  if (load.id) await notUndoable(client, load.id);
  return done;
}

/**
 * A load that can no longer be undone (or has been): later loads stop taking its keys over, and
 * other loads' undos stop handing it keys (scripts.ts). Before its kept values and record go.
 */
export async function notUndoable(client: RedisClient, id: string): Promise<void> {
  await client.sendCommand(['SREM', UNDOABLE_KEY, id]);
}

/** The warning for keys an undo left as they are now (UpsertUndo.kept), or undefined. */
export function keptWarning(done: UpsertUndo): string | undefined {
  if (done.kept === 0) return undefined;
  return `${done.kept} key(s) had been written again since the load (by another run or an application), or its record of them was lost, and were left as they are now; the keys that still held the load's values were put back or removed`;
}

/** Switches the pointer back when it still names `version`, and removes that version's keys. */
export async function undoVersion(client: RedisClient, e: { pointer: string; prefix: string; version: string; previous: string }): Promise<void> {
  await client.sendCommand(['EVAL', SWITCH_BACK, '1', e.pointer, e.version, e.previous]);
  if (String(await client.sendCommand(['GET', e.pointer])) !== e.version) await unlinkPrefix(client, e.prefix);
}

/** Gives every key of an old version `ttlMs` to live (0: removes them now). */
export async function expireVersion(client: RedisClient, prefix: string, ttlMs: number): Promise<number> {
  let n = 0;
  await scanPrefix(client, prefix, async (keys) => {
    const m = client.multi();
    for (const k of keys) m.addCommand(ttlMs > 0 ? ['PEXPIRE', k, String(ttlMs)] : ['UNLINK', k]);
    await answeredInTime(client, ttlMs > 0 ? 'PEXPIRE' : 'UNLINK', m.execAsPipeline());
    n += keys.length;
  });
  return n;
}

export async function unregister(client: RedisClient, entry: RegistryEntry): Promise<void> {
  await client.sendCommand(['SREM', REGISTRY_KEY, registryMember(entry)]);
}

/**
 * Removes what killed runs left while they were still writing (their registry entries): staged
 * upsert values, and versions that never became current. What a killed run left prepared or
 * committed is the commit journal's business (recoverRedis), not this sweep's.
 */
export async function sweepDeadRuns(client: RedisClient, opts: { dryRun?: boolean } = {}): Promise<string[]> {
  const removed: string[] = [];
  const members = ((await client.sendCommand(['SMEMBERS', REGISTRY_KEY])) as string[]).map(String);
  for (const member of members) {
    const parsed = parseRegistryMember(member);
    if (!parsed) {
      // Not an entry this sink wrote (or a damaged one): nothing is deleted by its names; once the
      // owner it names is gone, the entry itself goes.
      const owner = ownerOf(member);
      if (owner && ownerIsDead(owner) && !opts.dryRun) {
        await client.sendCommand(['SREM', REGISTRY_KEY, member]);
        removed.push(`the malformed entry ${member} of ${REGISTRY_KEY} (no keys removed by it)`);
      }
      continue;
    }
    if (!ownerIsDead(parsed.owner)) continue;
    const e = parsed.entry;
    if (opts.dryRun) {
      // `caudal doctor`: what the sweep would remove, nothing removed.
      if (e.kind === 'upsert') removed.push(`staged keys under ${e.stage}`);
      else if (String(await client.sendCommand(['GET', e.pointer])) !== e.version) removed.push(`the unfinished version ${e.prefix}`);
      continue;
    }
    if (e.kind === 'upsert') {
      const n = await unlinkPrefix(client, e.stage);
      if (n > 0) removed.push(`${n} staged key(s) under ${e.stage}`);
    } else if (String(await client.sendCommand(['GET', e.pointer])) !== e.version) {
      const n = await unlinkPrefix(client, e.prefix);
      if (n > 0) removed.push(`${n} key(s) of the unfinished version ${e.prefix}`);
    }
    await client.sendCommand(['SREM', REGISTRY_KEY, member]);
  }
  return removed;
}

/** What the journal keeps for a prepared Redis load (ExternalRecovery.ref). */
export type RedisRef =
  | ({ mode: 'upsert'; stage: string } & UpsertLoad)
  | { mode: 'replace_namespace'; pointer: string; prefix: string; version: string; previous: string; previous_prefix: string; old_ttl_ms: number };

/**
 * Recovery of a killed run's load. The sink publishes before the run's commit decision (its commit
 * can be undone), so `commit` means it was published and only its leftovers go; `rollback` undoes
 * whatever part of it was published. Returns a warning when the undo left keys written since.
 */
export async function recoverRedisLoad(client: RedisClient, recovery: ExternalRecovery, action: 'commit' | 'rollback'): Promise<string | undefined> {
  const ref = recovery.ref as unknown as RedisRef;
  if (ref.mode === 'upsert') {
    let warning: string | undefined;
    if (action === 'rollback') warning = keptWarning(await undoUpsert(client, ref));
    else {
      if (ref.id) await notUndoable(client, ref.id);
      await unlinkPrefix(client, ref.aside);
      if (ref.wrote) await unlinkPrefix(client, ref.wrote);
      await client.sendCommand(['UNLINK', ref.newSet, ...(ref.claims ? [ref.claims] : [])]);
    }
    await unlinkPrefix(client, ref.stage);
    await unregister(client, { kind: 'upsert', stage: ref.stage });
    return warning;
  }
  if (action === 'rollback') await undoVersion(client, ref);
  else if (ref.previous && ref.previous !== ref.version) await expireVersion(client, ref.previous_prefix, ref.old_ttl_ms);
  await unregister(client, { kind: 'version', pointer: ref.pointer, prefix: ref.prefix, version: ref.version });
  return undefined;
}
