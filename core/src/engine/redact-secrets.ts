import { getConnectionType } from '../connections/registry.js';
import { combinedSecrets, redactText, secretForms } from '../connections/redact.js';
import type { ResolvedConnection } from '../nodes/define.js';

/**
 * The secret values among a request's resolved connections (fields its type marks secret; empty
 * ones are no secret), each in every form it travels in (`secretForms`), and the Basic credentials
 * the connection's fields combine into.
 */
export function secretValues(connections: Record<string, ResolvedConnection> | undefined): string[] {
  const out = new Set<string>();
  for (const c of Object.values(connections ?? {})) {
    const secretFields = getConnectionType(c.type)?.secrets ?? [];
    for (const field of secretFields) {
      const v = c.config[field];
      if (typeof v === 'string') for (const form of secretForms(v)) out.add(form);
    }
    if (secretFields.length > 0) for (const combined of combinedSecrets(c.config)) out.add(combined);
  }
  return [...out];
}

/**
 * The message with every secret replaced by `***` inside its string values (see `redactText` for
 * which appearances count). The worker passes everything it sends through this, so a driver that
 * echoes a password in an error cannot leak it to the host. Only strings change: keys, numbers,
 * booleans and null are kept, so the message keeps its shape whatever the password (`1000`,
 * `false`, `"`). Parts without a secret are returned as they are (no copy); binary data
 * (typed arrays, buffers) and dates pass untouched.
 */
export function redactDeep<T>(message: T, secrets: readonly string[]): T {
  if (secrets.length === 0) return message;
  return walk(message, secrets) as T;
}

function walk(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === 'string') return redactText(value, secrets);
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((v, i) => {
      const r = walk(v, secrets);
      if (r !== v) (copy ??= [...value])[i] = r;
    });
    return copy ?? value;
  }
  if (value instanceof Error) {
    // Structured cloning keeps an error's name, message and stack (own fields are dropped).
    const e = new Error(redactText(value.message, secrets));
    e.name = value.name;
    e.stack = value.stack === undefined ? undefined : redactText(value.stack, secrets);
    return e;
  }
  if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value) && !(value instanceof ArrayBuffer) && !(value instanceof Date)) {
    let copy: Record<string, unknown> | undefined;
    for (const [k, v] of Object.entries(value)) {
      const r = walk(v, secrets);
      if (r !== v) (copy ??= { ...value })[k] = r;
    }
    return copy ?? value;
  }
  return value;
}
