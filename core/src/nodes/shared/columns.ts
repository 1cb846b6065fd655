import type { Column, Relation } from '../define.js';
import { CaudalError } from '../../util/errors.js';
import { didYouMean } from '../../util/suggest.js';

/**
 * A name folded the way DuckDB compares identifiers: only the ASCII letters A–Z ignore case. Other
 * letters keep theirs, so 'é' and 'É', or 'σ' and 'Σ', are two columns in DuckDB (JavaScript's
 * toLowerCase would make them one, and a node would then read or replace the wrong column).
 */
export function foldName(name: string): string {
  return name.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
}

/** foldName in SQL, for names read in a query (DuckDB's lower() folds every letter, as toLowerCase does). */
export function foldNameSql(expr: string): string {
  return `translate(${expr}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')`;
}

/** Whether two names are one column for DuckDB (see foldName). */
export function sameName(a: string, b: string): boolean {
  return a === b || foldName(a) === foldName(b);
}

/** The column of `columns` that `name` means to DuckDB: the exact spelling first, then see foldName. */
export function columnNamed<C extends { name: string }>(columns: readonly C[], name: string): C | undefined {
  return columns.find((c) => c.name === name) ?? columns.find((c) => sameName(c.name, name));
}

/**
 * The input column a param names, matched as DuckDB does (exact spelling first, then ignoring
 * the case of ASCII letters). An unknown name stops planning with the closest existing name, pointing at `path`
 * (relative to the node's params, e.g. `keys[1]`); the hint lists the columns of `portLabel`'s input.
 */
export function findColumn(nodeId: string, input: Relation, name: string, path: string, portLabel = 'input'): Column {
  const hit = columnNamed(input.columns, name);
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

/** Names that appear twice in a list, compared as DuckDB compares identifiers (see foldName). */
export function duplicateIndexes(names: readonly string[]): number[] {
  const seen = new Set<string>();
  const out: number[] = [];
  names.forEach((n, i) => {
    if (seen.has(foldName(n))) out.push(i);
    seen.add(foldName(n));
  });
  return out;
}

/** A name not yet in `taken` (names folded with foldName): `name`, else `name + suffix`, then `…_2`, `…_3`. */
export function uniqueName(name: string, suffix: string, taken: Set<string>): string {
  if (!taken.has(foldName(name))) return name;
  let candidate = name + suffix;
  for (let i = 2; taken.has(foldName(candidate)); i++) candidate = `${name}${suffix}_${i}`;
  return candidate;
}
