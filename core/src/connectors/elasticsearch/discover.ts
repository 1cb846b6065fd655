import type { Client } from '@elastic/elasticsearch';
import type { RemoteTable } from '../connector.js';
import { duckdbTypeForEs, type EsProperty } from './mapping.js';

/**
 * Indices (as tables) and aliases (as views) for the studio's pickers, hidden and system indices
 * and the sink's own work indices left out; for one of them, its mapped fields.
 */
export async function discoverElasticsearch(client: Client, scope: { table?: string } = {}): Promise<RemoteTable[]> {
  const all = (await client.indices.get({ index: scope.table ?? '*', expand_wildcards: 'open', ignore_unavailable: true, allow_no_indices: true })) as Record<
    string,
    { aliases?: Record<string, unknown>; mappings?: { properties?: Record<string, EsProperty> } }
  >;
  const out: RemoteTable[] = [];
  const aliases = new Map<string, string>();
  for (const [name, info] of Object.entries(all)) {
    if (name.startsWith('.') || name.includes('-caudal-')) continue;
    out.push({ schema: '', name, kind: 'table', ...(scope.table ? { columns: columnsOf(info.mappings?.properties) } : {}) });
    for (const a of Object.keys(info.aliases ?? {})) aliases.set(a, name);
  }
  for (const [alias, index] of aliases) out.push({ schema: '', name: alias, kind: 'view', ...(scope.table ? { columns: columnsOf(all[index]?.mappings?.properties) } : {}) });
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

function columnsOf(properties: Record<string, EsProperty> = {}) {
  return Object.entries(properties).map(([name, p]) => {
    const type = typeof p.type === 'string' ? p.type : p.properties ? 'object' : 'unknown';
    return { name, remoteType: type, type: duckdbTypeForEs(type), nullable: true };
  });
}
