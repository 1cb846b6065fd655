import type { Client } from '@elastic/elasticsearch';

/** What an upsert's work index copies from an existing target so it takes the documents as the target would. */
export interface TargetShape {
  mappings: Record<string, unknown>;
  settings: Record<string, unknown>;
}

/**
 * Mapping parts left out of the copy: `_source` options would strip fields (excludes) or the
 * whole source (disabled) from the work index, and `_reindex` copies from the source, so the
 * target would lose them; `_data_stream_timestamp` belongs to data streams only.
 */
const NOT_COPIED_MAPPINGS = new Set(['_source', '_data_stream_timestamp']);

/**
 * Index settings the mapping depends on: analyzers and normalizers it names, similarities, and the
 * mapping limits and parsing options (`mapping.total_fields.limit`, `mapping.coerce`…). Without
 * them the work index cannot be created (an unknown analyzer) or refuses documents the target takes.
 */
const COPIED_SETTINGS = ['analysis', 'similarity', 'mapping'];

/**
 * The existing target's whole mapping (dynamic, dynamic_templates, date_detection…, not only its
 * fields: a `dynamic: strict` target must refuse an extra field while staging, not half-way
 * through the `_reindex` of the commit) and the settings it depends on; undefined when there is no
 * such index or alias. For an alias, its first index.
 */
export async function existingTarget(client: Client, index: string): Promise<TargetShape | undefined> {
  if (!(await client.indices.exists({ index }))) return undefined;
  const [m, s] = await Promise.all([client.indices.getMapping({ index }), client.indices.getSettings({ index })]);
  const mapping = (Object.values(m)[0] as { mappings?: Record<string, unknown> } | undefined)?.mappings ?? {};
  const mappings = Object.fromEntries(Object.entries(mapping).filter(([k]) => !NOT_COPIED_MAPPINGS.has(k)));
  const all = (Object.values(s)[0] as { settings?: { index?: Record<string, unknown> } & Record<string, unknown> } | undefined)?.settings ?? {};
  const flat = all.index ?? all;
  const settings = Object.fromEntries(COPIED_SETTINGS.filter((k) => flat[k] !== undefined).map((k) => [k, flat[k]]));
  return { mappings: { properties: {}, ...mappings }, settings };
}
