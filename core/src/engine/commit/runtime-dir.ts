import os from 'node:os';
import path from 'node:path';

/**
 * Per-user folder for what runs in progress keep outside their destinations: the commit journals
 * (journal.ts) and the run locks (locks.ts). $CAUDAL_RUNTIME_DIR, else $XDG_STATE_HOME/caudal,
 * else ~/.local/state/caudal. Local to the machine: a journal names processes of this host.
 */
export function runtimeDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CAUDAL_RUNTIME_DIR) return path.resolve(env.CAUDAL_RUNTIME_DIR);
  return path.join(env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state'), 'caudal');
}

export const journalsDir = (env?: NodeJS.ProcessEnv) => path.join(runtimeDir(env), 'runs');
export const locksDir = (env?: NodeJS.ProcessEnv) => path.join(runtimeDir(env), 'locks');
