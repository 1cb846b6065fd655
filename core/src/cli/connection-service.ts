import { ConnectionService } from '../connections/service.js';
import { EnvSecretStore } from '../secrets/env-store.js';
import { KeychainSecretStore } from '../secrets/keychain-store.js';

/** Environment variables first so a headless run can override the keychain; `add` writes to the keychain. */
export function cliConnectionService(projectDir: string | undefined): ConnectionService {
  const keychain = new KeychainSecretStore();
  return new ConnectionService({ stores: [new EnvSecretStore(), keychain], writeStore: keychain, projectDir });
}
