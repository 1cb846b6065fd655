import { createRequire } from 'node:module';
import type * as Keyring from '@napi-rs/keyring';
import { CaudalError, errorMessage } from '../util/errors.js';
import type { SecretStore } from './secret-store.js';

/** The service name under which every Caudal secret is filed in the OS keychain. */
export const KEYCHAIN_SERVICE = 'caudal';

/** The keychain account of one secret: `<connection>/<field>`. */
export function keychainAccount(connection: string, field: string): string {
  return `${connection}/${field}`;
}

/**
 * The OS keychain through @napi-rs/keyring: Secret Service on Linux (GNOME Keyring, KWallet),
 * Keychain on macOS, Credential Manager on Windows. Loaded on first use, so headless runs that only
 * use environment variables never need a keychain or a D-Bus session.
 */
export class KeychainSecretStore implements SecretStore {
  readonly label = 'OS keychain';
  private lib: typeof Keyring | undefined;

  private entry(connection: string, field: string): Keyring.Entry {
    try {
      this.lib ??= createRequire(import.meta.url)('@napi-rs/keyring') as typeof Keyring;
    } catch (e) {
      throw new CaudalError('io', `the OS keychain is not available on this system (${errorMessage(e)})`, {
        hint: 'use environment variables for secrets instead (see docs/connections.md)',
      });
    }
    return new this.lib.Entry(KEYCHAIN_SERVICE, keychainAccount(connection, field));
  }

  async get(connection: string, field: string): Promise<string | undefined> {
    return this.call('read', connection, field, (e) => e.getPassword() ?? undefined);
  }

  async set(connection: string, field: string, value: string): Promise<void> {
    this.call('store', connection, field, (e) => e.setPassword(value));
  }

  async delete(connection: string, field: string): Promise<boolean> {
    return this.call('delete', connection, field, (e) => e.deleteCredential());
  }

  private call<T>(what: string, connection: string, field: string, fn: (e: Keyring.Entry) => T): T {
    const entry = this.entry(connection, field);
    try {
      return fn(entry);
    } catch (e) {
      // The library's messages never contain the secret itself; they name the platform failure.
      throw new CaudalError('io', `could not ${what} the ${field} of connection '${connection}' in the OS keychain: ${errorMessage(e)}`, {
        hint: 'on Linux the keychain needs a running Secret Service (GNOME Keyring or KWallet) on the session bus; headless runs can use environment variables instead',
      });
    }
  }
}
