import type { Client } from '@elastic/elasticsearch';
import { CaudalError } from '../../util/errors.js';

/** The indices an alias points at now ([] when no index holds it). */
export async function aliasHolders(client: Client, alias: string): Promise<string[]> {
  return (await client.indices.existsAlias({ name: alias })) ? Object.keys(await client.indices.getAlias({ name: alias })) : [];
}

/** Indices an alias points at now ([] when it names nothing; an error when a real index has the name). */
export async function aliasTargets(client: Client, alias: string, nodeId: string): Promise<string[]> {
  if (!(await client.indices.exists({ index: alias }))) return [];
  if (!(await client.indices.existsAlias({ name: alias }))) {
    throw new CaudalError('validation', `node '${nodeId}': '${alias}' is an index, not an alias; mode "replace" swaps an alias`, {
      nodeId,
      hint: `reindex it under another name and create the alias '${alias}' for it (or remove it), then run again; or use mode "upsert"`,
    });
  }
  return aliasHolders(client, alias);
}

/** The `_aliases` actions that move an alias from `from` to `to` in one step. */
export function swapActions(alias: string, from: string[], to: string): Array<Record<string, unknown>> {
  return [...from.map((index) => ({ remove: { index, alias } })), { add: { index: to, alias, is_write_index: true } }];
}

/**
 * Puts the alias back on the indices it pointed at before a swap (those still there), when it
 * points at `work` now; does nothing when the swap never happened. Asks the cluster first: after a
 * lost answer only the cluster knows whether the swap took effect.
 */
export async function putAliasBack(client: Client, alias: string, work: string, previous: string[]): Promise<void> {
  if (!(await aliasHolders(client, alias)).includes(work)) return;
  const back = [];
  for (const index of previous) if (await client.indices.exists({ index })) back.push({ add: { index, alias } });
  await client.indices.updateAliases({ actions: [{ remove: { index: work, alias } }, ...back] as never });
}
