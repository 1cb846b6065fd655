import type { Column, Relation } from '../define.js';
import { CaudalError } from '../../util/errors.js';
import { didYouMean } from '../../util/suggest.js';

/**
 * The input column a param names, matched as DuckDB does (exact spelling first, then ignoring
 * case). An unknown name stops planning with the closest existing name, pointing at `path`
 * (relative to the node's params, e.g. `keys[1]`); the hint lists the columns of `portLabel`'s input.
 */
export function findColumn(nodeId: string, input: Relation, name: string, path: string, portLabel = 'input'): Column {
  const hit = input.columns.find((c) => c.name === name) ?? input.columns.find((c) => c.name.toLowerCase() === name.toLowerCase());
  if (hit) return hit;
  const names = input.columns.map((c) => c.name);
  const message = `unknown column '${name}' in node '${nodeId}'${didYouMean(name, names)}`;
  const hint = names.length > 0 ? `${portLabel} columns: ${names.join(', ')}` : undefined;
  throw new CaudalError('validation', message, { nodeId, column: name, hint, problems: [{ code: 'unknown_column', path: `params.${path}`, message, hint, column: name }] });
}

/** The input's own spelling of a column a param names (see findColumn). */
export function requireColumn(nodeId: string, rel: Relation, portLabel: string, name: string, path: string): string {
  return findColumn(nodeId, rel, name, path, portLabel).name;
}

/** A plan-time problem with one param (wrong type of column, a value that does not convert). */
export function paramError(nodeId: string, path: string, message: string, hint?: string, column?: string): CaudalError {
  return new CaudalError('validation', message, { nodeId, column, hint, problems: [{ code: 'invalid_param', path: `params.${path}`, message, hint, column }] });
}

/** Names that appear twice in a list, compared as DuckDB compares identifiers (ignoring case). */
export function duplicateIndexes(names: readonly string[]): number[] {
  const seen = new Set<string>();
  const out: number[] = [];
  names.forEach((n, i) => {
    if (seen.has(n.toLowerCase())) out.push(i);
    seen.add(n.toLowerCase());
  });
  return out;
}

/** A name not yet in `taken` (case-insensitive): `name`, else `name + suffix`, then `…_2`, `…_3`. */
export function uniqueName(name: string, suffix: string, taken: Set<string>): string {
  if (!taken.has(name.toLowerCase())) return name;
  let candidate = name + suffix;
  for (let i = 2; taken.has(candidate.toLowerCase()); i++) candidate = `${name}${suffix}_${i}`;
  return candidate;
}
