import type { ExternalRecovery } from '../../nodes/define.js';
import { ownerIsDead, ownerOf } from '../../util/owner.js';
import { answeredInTime, type RedisClient, scanPrefix, unlinkPrefix } from './client.js';
import { parseRegistryMember, REGISTRY_KEY, registryMember, type RegistryEntry } from './names.js';
import { RESTORE_ASIDE, SWITCH_BACK } from './scripts.js';

/**
 * Clean-up steps that need nothing but the names (no list of keys): rollbacks, undo after a failed
 * commit, recovery after a crash, and sweeps of killed runs. They SCAN for prefixes, which walks
 * the whole keyspace: fine for these rare paths, never used when a run succeeds.
 */

/** Puts every value kept aside back onto its key and removes the keys the run created. */
export async function undoUpsert(client: RedisClient, names: { aside: string; newSet: string }): Promise<void> {
  await scanPrefix(client, names.aside, async (keys) => {
    await client.sendCommand(['EVAL', RESTORE_ASIDE, String(keys.length), ...keys, names.aside]);
  });
  let cursor = '0';
  do {
    const [next, members] = (await client.sendCommand(['SSCAN', names.newSet, cursor, 'COUNT', '1000'])) as [string, string[]];
    cursor = String(next);
    if (members.length > 0) await client.sendCommand(['DEL', ...members.map(String)]);
  } while (cursor !== '0');
  await client.sendCommand(['UNLINK', names.newSet]);
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
  | { mode: 'upsert'; stage: string; aside: string; newSet: string }
  | { mode: 'replace_namespace'; pointer: string; prefix: string; version: string; previous: string; previous_prefix: string; old_ttl_ms: number };

/**
 * Recovery of a killed run's load. The sink publishes before the run's commit decision (its commit
 * can be undone), so `commit` means it was published and only its leftovers go; `rollback` undoes
 * whatever part of it was published.
 */
export async function recoverRedisLoad(client: RedisClient, recovery: ExternalRecovery, action: 'commit' | 'rollback'): Promise<void> {
  const ref = recovery.ref as unknown as RedisRef;
  if (ref.mode === 'upsert') {
    if (action === 'rollback') await undoUpsert(client, ref);
    else {
      await unlinkPrefix(client, ref.aside);
      await client.sendCommand(['UNLINK', ref.newSet]);
    }
    await unlinkPrefix(client, ref.stage);
    await unregister(client, { kind: 'upsert', stage: ref.stage });
    return;
  }
  if (action === 'rollback') await undoVersion(client, ref);
  else if (ref.previous && ref.previous !== ref.version) await expireVersion(client, ref.previous_prefix, ref.old_ttl_ms);
  await unregister(client, { kind: 'version', pointer: ref.pointer, prefix: ref.prefix, version: ref.version });
}
