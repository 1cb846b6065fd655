/**
 * Elasticsearch's metadata fields: a document that carries one is refused ("is a metadata field
 * and cannot be added inside a document"), every document alike.
 */
const METADATA_FIELDS = new Set(['_id', '_index', '_source', '_routing', '_ignored', '_ignored_source', '_seq_no', '_primary_term', '_version', '_field_names', '_doc_count', '_data_stream_timestamp', '_nested_path', '_tier', '_tsid', '_feature']);

/**
 * Why a column cannot be a field of the documents, or undefined. These fail every document the
 * same way, so they are refused before the run: with on_error reject they would otherwise send
 * every row to the rejects port and, in replace mode, publish an empty index. Elasticsearch reads
 * a dot in a field name as a path into objects, so `a.b` next to a column `a` collides.
 */
export function fieldNameProblem(name: string, all: readonly string[]): string | undefined {
  if (name.trim() === '') return 'Elasticsearch takes no empty or blank field names';
  if (METADATA_FIELDS.has(name)) return `'${name}' is an Elasticsearch metadata field, which documents cannot carry`;
  if (name.startsWith('.') || name.endsWith('.') || name.includes('..')) return 'a dot in a field name separates object levels, so a name cannot start or end with one or hold two in a row';
  const parent = all.find((other) => other !== name && name.startsWith(`${other}.`));
  if (parent !== undefined) return `a dot in a field name separates object levels, so '${name}' is a field inside '${parent}', which is a column of its own`;
  return undefined;
}
