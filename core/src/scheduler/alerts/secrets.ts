import { secretEnvName } from '../../secrets/env-store.js';
import { CaudalError } from '../../util/errors.js';
import { resolveSecrets } from '../../secrets/resolve.js';
import type { SecretStore } from '../../secrets/secret-store.js';
import type { AlertChannel } from '../project.js';

/**
 * Alert channels keep their secrets where connections keep theirs (OS keychain, or environment
 * variables for headless servers), under the name `alert-<channel>`: the keychain account
 * `alert-ops/token`, the variable `CAUDAL_SECRET_ALERT_OPS_TOKEN`. Project files never hold them.
 */
export function secretOwner(channel: string): string {
  return `alert-${channel}`;
}

/** The secret fields a channel needs, from its settings. */
export function secretFields(c: AlertChannel): string[] {
  if (c.type === 'webhook') return [...(c.url === undefined ? ['url'] : []), ...(c.auth === 'bearer' ? ['token'] : [])];
  return c.user !== undefined ? ['password'] : [];
}

export async function channelSecrets(name: string, c: AlertChannel, stores: readonly SecretStore[]): Promise<Record<string, string>> {
  const fields = secretFields(c);
  try {
    return await resolveSecrets(secretOwner(name), fields, stores);
  } catch {
    const missing = [];
    for (const f of fields) if (!(await Promise.any(stores.map(async (s) => (await s.get(secretOwner(name), f)) ?? Promise.reject())).catch(() => undefined))) missing.push(f);
    const f = missing[0] ?? fields[0]!;
    throw new CaudalError('usage', `alert channel '${name}' needs its ${f}, which is neither in the OS keychain nor in ${secretVariable(name, f)}`, {
      hint: `store it with \`caudal alerts set-secret ${name} ${f}\`, or set ${secretVariable(name, f)} in the scheduler's environment`,
    });
  }
}

export function secretVariable(channel: string, field: string): string {
  return secretEnvName(secretOwner(channel), field);
}
