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
    for (const store of stores) {
      try {
        value = await store.get(connection, field);
      } catch (e) {
        // A store that cannot be reached (no keychain on a server) must not hide one that has the secret.
        unavailable.push(`${store.label}: ${e instanceof Error ? e.message : String(e)}`);
        continue;
      }
      if (value !== undefined) break;
    }
    if (value === undefined) {
      const why = unavailable.length > 0 ? ` (${unavailable.join('; ')})` : '';
      throw new CaudalError('usage', `connection '${connection}' needs its ${field}, which is not in the ${stores.map((s) => s.label).join(' or the ')}${why}`, {
        hint: `run \`caudal connections add ${connection}\` to store it in the OS keychain, or set ${secretEnvName(connection, field)} for a headless run`,
      });
    }
    out[field] = value;
  }
  return out;
}
