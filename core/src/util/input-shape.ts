/**
 * Checks on the raw input of a host call before its schema sees it, for the two shapes of JSON
 * that would otherwise fail without a word about what to fix:
 *
 * - nesting deeper than any pipeline has: the schema, the canonical serializer and the engine all
 *   recurse, so a value nested ten thousand levels deep ends in "Maximum call stack size exceeded";
 * - a `__proto__` key: `JSON.parse` (and Electron's structured clone) keep it as a key, but
 *   copying the object, as the document schema does, drops it, so the value would be silently lost.
 *
 * The walk is iterative, so checking cannot overflow the stack either.
 */

/** Far above the deepest real input (an Elasticsearch mapping in a node's params is about 20). */
export const MAX_INPUT_DEPTH = 128;

export interface InputShapeProblem {
  /** JSON path from the input's root, e.g. ['document', 'nodes', 0, 'params']. */
  path: Array<string | number>;
  message: string;
}

interface Visit {
  value: unknown;
  depth: number;
  parent?: Visit;
  key?: string | number;
}

function pathOf(visit: Visit): Array<string | number> {
  const path: Array<string | number> = [];
  for (let v: Visit | undefined = visit; v?.key !== undefined; v = v.parent) path.unshift(v.key);
  return path;
}

/** A deep value is named by where it starts (the param holding it), not by all its levels. */
function whereNestingStarts(path: Array<string | number>): Array<string | number> {
  const head = path.slice(0, 8);
  const lastKey = head.findLastIndex((p) => typeof p === 'string');
  return head.slice(0, lastKey + 1);
}

export function inputShapeProblem(input: unknown): InputShapeProblem | undefined {
  const stack: Visit[] = [{ value: input, depth: 0 }];
  while (stack.length > 0) {
    const visit = stack.pop()!;
    const { value, depth } = visit;
    if (value === null || typeof value !== 'object') continue;
    if (depth > MAX_INPUT_DEPTH) return { path: whereNestingStarts(pathOf(visit)), message: `is nested more than ${MAX_INPUT_DEPTH} levels deep inside the input: a pipeline never needs that many` };
    if (Array.isArray(value)) {
      value.forEach((v, i) => stack.push({ value: v, depth: depth + 1, parent: visit, key: i }));
      continue;
    }
    if (Object.prototype.hasOwnProperty.call(value, '__proto__')) return { path: pathOf(visit), message: "has a key '__proto__', which cannot be kept: rename it" };
    for (const [k, v] of Object.entries(value)) stack.push({ value: v, depth: depth + 1, parent: visit, key: k });
  }
  return undefined;
}
