import { getConnectionType } from '../connections/registry.js';
import type { ResolvedConnection } from '../nodes/define.js';

/** The secret values among a request's resolved connections (fields its type marks secret). */
export function secretValues(connections: Record<string, ResolvedConnection> | undefined): string[] {
  const out: string[] = [];
  for (const c of Object.values(connections ?? {})) {
    for (const field of getConnectionType(c.type)?.secrets ?? []) {
      const v = c.config[field];
      // Very short values would blank out ordinary words; they are not worth redacting by search.
      if (typeof v === 'string' && v.length >= 4) out.push(v);
    }
  }
  return out;
}

/**
 * A copy of a message with every secret value replaced by `***`. The worker passes everything it
 * sends through this, so a driver that echoes a password in an error cannot leak it to the host.
 */
export function redactDeep<T>(message: T, secrets: readonly string[]): T {
  if (secrets.length === 0) return message;
  const text = JSON.stringify(message);
  if (!secrets.some((s) => text.includes(JSON.stringify(s).slice(1, -1)))) return message;
  let out = text;
  for (const s of secrets) out = out.split(JSON.stringify(s).slice(1, -1)).join('***');
  return JSON.parse(out) as T;
}
