import type { Relation } from '../define.js';
import { CaudalError } from '../../util/errors.js';
import { didYouMean } from '../../util/suggest.js';

/**
 * The input's own spelling of a column (DuckDB matches names without regard to case), or an
 * `unknown_column` problem at `params.<field>` naming the input port and the closest name.
 */
export function requireColumn(nodeId: string, rel: Relation, portLabel: string, name: string, field: string): string {
  const hit = rel.columns.find((c) => c.name === name) ?? rel.columns.find((c) => c.name.toLowerCase() === name.toLowerCase());
  if (hit) return hit.name;
  const names = rel.columns.map((c) => c.name);
  const message = `unknown column '${name}' in node '${nodeId}'${didYouMean(name, names)}`;
  const hint = `${portLabel} columns: ${names.join(', ')}`;
  throw new CaudalError('validation', message, { nodeId, column: name, hint, problems: [{ code: 'unknown_column', path: `params.${field}`, message, hint, column: name }] });
}

/** A name not yet in `taken` (case-insensitive): `name`, else `name + suffix`, then `…_2`, `…_3`. */
export function uniqueName(name: string, suffix: string, taken: Set<string>): string {
  if (!taken.has(name.toLowerCase())) return name;
  let candidate = name + suffix;
  for (let i = 2; taken.has(candidate.toLowerCase()); i++) candidate = `${name}${suffix}_${i}`;
  return candidate;
}
