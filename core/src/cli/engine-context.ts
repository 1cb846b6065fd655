import path from 'node:path';
import { ConnectionService } from '../connections/service.js';
import type { Pipeline } from '../model/schema.js';
import type { ResolvedConnection } from '../nodes/define.js';
import { EnvSecretStore } from '../secrets/env-store.js';
import { KeychainSecretStore } from '../secrets/keychain-store.js';

/** Environment variables first so a headless run can override the keychain; `add` writes to the keychain. */
export function cliConnectionService(projectDir: string | undefined): ConnectionService {
  const keychain = new KeychainSecretStore();
  return new ConnectionService({ stores: [new EnvSecretStore(), keychain], writeStore: keychain, projectDir });
}

/**
 * What a CLI engine request needs beyond the document: the connections it declares, resolved
 * with their secrets (project file next to the pipeline, or --project), and the state folder.
 */
export async function engineContext(
  pipeline: Pipeline,
  baseDir: string,
  values: { project?: string; 'state-dir'?: string },
): Promise<{ connections?: Record<string, ResolvedConnection>; stateDir?: string }> {
  const connections = Object.keys(pipeline.connections).length > 0 ? await cliConnectionService(path.resolve(values.project ?? baseDir)).resolveFor(pipeline) : undefined;
  return { connections, stateDir: values['state-dir'] === undefined ? undefined : path.resolve(values['state-dir']) };
}
