import { JSONPath } from 'jsonpath-plus';
import { CaudalError } from '../../util/errors.js';

/**
 * JSONPath over parsed responses (jsonpath-plus, with script filters off: a pipeline file must not
 * run code). `data.items`, `$.data.items`, `meta.next`, `results[*]` and `$..id` all work; a path
 * without `$` starts at the root.
 */
export function normalizePath(path: string): string {
  const p = path.trim();
  if (p === '' || p === '$') return '$';
  if (p.startsWith('$')) return p;
  return p.startsWith('[') ? `$${p}` : `$.${p}`;
}

/** Every value the path matches (an empty list when nothing matches). */
export function jsonPathAll(json: unknown, path: string): unknown[] {
  if (json === null || typeof json !== 'object') return normalizePath(path) === '$' ? [json] : [];
  try {
    return JSONPath({ path: normalizePath(path), json, wrap: true, eval: false }) as unknown[];
  } catch (e) {
    throw new CaudalError('validation', `invalid JSON path '${path}': ${(e as Error).message}`, { hint: 'e.g. data.items, $.results[*], meta.next_url' });
  }
}

/** The first value the path matches, or undefined. */
export function jsonPathFirst(json: unknown, path: string): unknown {
  return jsonPathAll(json, path)[0];
}

/**
 * The records a path selects: a path matching one array gives its elements; a path matching
 * several values (`items[*]`, `$..order`) gives those values.
 */
export function jsonPathRecords(json: unknown, path: string): unknown[] {
  const hits = jsonPathAll(json, path);
  if (hits.length === 1 && Array.isArray(hits[0])) return hits[0];
  return hits.filter((h) => h !== undefined && h !== null);
}

/**
 * Whether `path` finds nothing at all in the answer, as opposed to an empty list (or null) there:
 * `data` in `{"error": "upstream timeout"}`, a misspelled path. A path whose last step picks from
 * a list (`data[*]`, `data[0]`, a filter) is missing only when the list itself is; one with
 * recursive descent (`$..order`) never is (nothing found may be no records).
 */
export function recordsPathMissing(json: unknown, path: string): boolean {
  const p = normalizePath(path);
  if (p === '$' || p.includes('..')) return false;
  if (jsonPathAll(json, p).length > 0) return false;
  const parent = p.replace(/(\[[^\]]*\]|\.\*)$/, '');
  return parent === p || parent === '$' ? true : jsonPathAll(json, parent).length === 0;
}
