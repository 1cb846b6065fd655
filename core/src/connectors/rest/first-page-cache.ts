import { createHash } from 'node:crypto';

/**
 * First pages of REST sources, kept for a minute in the engine worker: the studio validates and
 * previews again after every edit, and each of those would otherwise call the API. Runs never read it.
 */
const TTL_MS = 60_000;
const MAX_ENTRIES = 16;
/** `lines`: the records as the answer's bytes (rest/record-lines.ts), when they can stand for them. */
interface FirstPage {
  records: unknown[];
  lines?: Buffer;
  more: boolean;
}
const entries = new Map<string, FirstPage & { at: number }>();

export function firstPageKey(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

export function cachedFirstPage(key: string): FirstPage | undefined {
  const hit = entries.get(key);
  if (!hit) return undefined;
  if (Date.now() - hit.at > TTL_MS) {
    entries.delete(key);
    return undefined;
  }
  return hit;
}

export function rememberFirstPage(key: string, page: FirstPage): void {
  if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value!);
  entries.set(key, { at: Date.now(), ...page });
}
