import os from 'node:os';
import path from 'node:path';
import { userConnectionsPath } from '../connections/file.js';
import { EnvSecretStore } from '../secrets/env-store.js';
import { KeychainSecretStore } from '../secrets/keychain-store.js';
import { HostService, type HostServiceOptions } from './host-service.js';
import { warmUp } from '../engine/engine.js';
import type { DialogPort } from './ports.js';

/**
 * A HostService with the usual stores and folders: secrets from the environment then the OS
 * keychain (where `connections.add` writes), host files next to the user's connections file.
 * Used by `caudal serve` and the Electron main process.
 */
export function createNodeHost(opts: { mode: HostServiceOptions['mode']; workspaceDir: string; dialogs?: DialogPort; env?: NodeJS.ProcessEnv; userDataDir?: string }): HostService {
  const env = opts.env ?? process.env;
  const keychain = new KeychainSecretStore();
  // The studio's first preview should not wait for an engine worker to start.
  warmUp();
  return new HostService({
    mode: opts.mode,
    dialogs: opts.dialogs,
    env,
    secrets: { stores: [new EnvSecretStore(env), keychain], writeStore: keychain },
    paths: {
      userDataDir: opts.userDataDir ?? path.dirname(userConnectionsPath(env)),
      workspaceDir: path.resolve(opts.workspaceDir),
      homeDir: os.homedir(),
    },
  });
}
