import type { Client } from '@elastic/elasticsearch';
import { ownerIsDead, ownerOf } from '../../util/owner.js';
import { workIndexPattern } from './client.js';

/**
 * Work indices of this target whose run was killed while staging (its owner process is gone on
 * this host, and no alias points at them: a swapped-in index is recovery's to judge). No journal
 * names them, so the next load of the target removes them, and `caudal doctor` / `caudal clean`
 * can list (`dryRun`) or remove them without a load. Returns their names.
 */
export async function sweepDeadWorkIndices(client: Client, index: string, opts: { dryRun?: boolean } = {}): Promise<string[]> {
  const found = await client.indices.get({ index: workIndexPattern(index), allow_no_indices: true, ignore_unavailable: true, expand_wildcards: 'all' }).catch(() => ({}));
  const dead: string[] = [];
  for (const [name, info] of Object.entries(found as Record<string, { aliases?: Record<string, unknown> }>)) {
    const owner = ownerOf(name);
    if (!owner || !ownerIsDead(owner) || Object.keys(info.aliases ?? {}).length > 0) continue;
    if (!opts.dryRun) await client.indices.delete({ index: name, ignore_unavailable: true });
    dead.push(name);
  }
  return dead;
}
