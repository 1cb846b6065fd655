import { createHash } from 'node:crypto';
import type { StateKey } from '../define.js';

/**
 * The key of a node's state: a hash of what the node reads (`identity`, plain JSON with no secrets)
 * and those facts in words. Object keys are sorted first, so the same source always hashes the same.
 */
export function stateKey(identity: unknown, source: string): StateKey {
  const key = createHash('sha256').update(canonicalJson(identity)).digest('hex').slice(0, 16);
  return { key, source };
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object')
    return `{${Object.entries(v)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`)
      .join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}
