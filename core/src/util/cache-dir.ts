import os from 'node:os';
import path from 'node:path';

/**
 * Caudal's cache folder: `$CAUDAL_CACHE_DIR`, else `$XDG_CACHE_HOME/caudal`, else `~/.cache/caudal`.
 * Everything under it can be deleted at any time (S3 samples, the engine worker's code cache).
 */
export function caudalCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.CAUDAL_CACHE_DIR || path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'caudal');
}
