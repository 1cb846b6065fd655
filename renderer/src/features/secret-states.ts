import type { HostConnectionInfo } from '../model/types.js';

/**
 * How the connections list shows each secret field: stored, missing, or, when the keychain failed
 * to answer (locked, access refused), that it could not be read and why: "missing" would send the
 * user to type a password the keychain may well hold.
 */
export function secretStates(c: Pick<HostConnectionInfo, 'secrets' | 'unreadable'>): string {
  const state = (field: string, has: boolean) => (has ? 'stored' : c.unreadable?.[field] !== undefined ? `could not be read (${c.unreadable[field]})` : 'missing');
  return Object.entries(c.secrets).map(([field, has]) => `${field}: ${state(field, has)}`).join(', ') || '–';
}
