import { CaudalError } from '../util/errors.js';
import { secretEnvName } from './env-store.js';
import type { SecretStore } from './secret-store.js';

/**
 * Reads secret fields of a connection from the stores in order (environment first, so a run can
 * override the keychain), failing with the connection and field named and both ways to provide it.
 */
export async function resolveSecrets(connection: string, fields: readonly string[], stores: readonly SecretStore[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const field of fields) {
    let value: string | undefined;
    const unavailable: string[] = [];
    let storeHint: string | undefined;
    for (const store of stores) {
      try {
        value = await store.get(connection, field);
      } catch (e) {
        // A store that cannot be reached (no keychain on a server) must not hide one that has the secret.
        unavailable.push(`${store.label}: ${e instanceof Error ? e.message : String(e)}`);
        storeHint ??= e instanceof CaudalError ? e.hint : undefined;
        continue;
      }
      if (value !== undefined) break;
    }
    if (value === undefined) {
      const why = unavailable.length > 0 ? ` (${unavailable.join('; ')})` : '';
      const missing = missingSecret(connection, field, `${stores.map((s) => s.label).join(' or the ')}${why}`);
      // A store that failed may hold it: how to make that store answer comes first.
      if (storeHint) throw new CaudalError(missing.kind, missing.message, { hint: `${storeHint}; ${missing.hint}` });
      throw missing;
    }
    out[field] = value;
  }
  return out;
}

/** How to provide a connection's secret: the keychain through `connections add`, or its variable. */
export function secretHint(connection: string, field: string): string {
  return `run \`caudal connections add ${connection}\` to store it in the OS keychain, or set ${secretEnvName(connection, field)} for a headless run`;
}

/**
 * A secret that is needed but stored nowhere, named with its connection and field and both ways
 * to provide it. `where`: the stores looked in (the engine, which does not see them, says both).
 */
export function missingSecret(connection: string, field: string, where = 'environment or the OS keychain'): CaudalError {
  return new CaudalError('usage', `connection '${connection}' needs its ${field}, which is not in the ${where}`, { hint: secretHint(connection, field) });
}

/** The code of an error a driver wrapper throws when the server asks for a secret that is stored nowhere. */
export const NO_SECRET = 'CAUDAL_NO_SECRET';

/**
 * What a connector throws when the server asks for a secret the connection does not have (it does
 * not know the connection's name): the node's error handling or `connections test` names the
 * connection and both ways to provide it (`missingSecret`).
 */
export function noSecretError(field: string): CaudalError & { code: string; field: string } {
  return Object.assign(new CaudalError('usage', `the server asks for a ${field}, and the connection has none`), { code: NO_SECRET, field });
}

/** The field of a `noSecretError`, else undefined. */
export function missingSecretField(e: unknown): string | undefined {
  const { code, field } = (e ?? {}) as { code?: unknown; field?: unknown };
  return code === NO_SECRET && typeof field === 'string' ? field : undefined;
}

/**
 * A connector's noSecretError (the server asks for a secret the connection has none of) in the
 * words of the node that hit it: which node, which connection, which field, and both ways to
 * provide it (as source.postgres says it). Undefined for any other error.
 */
export function namedMissingSecret(e: unknown, nodeId: string, connection: string): CaudalError | undefined {
  const field = missingSecretField(e);
  if (!field) return undefined;
  const missing = missingSecret(connection, field);
  return new CaudalError('usage', `node '${nodeId}' (connection '${connection}'): the server asks for a ${field}: ${missing.message}`, { nodeId, hint: missing.hint });
}
