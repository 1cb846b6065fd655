import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import { atomicTempName, removeDeadTempsSync } from '../util/atomic-write.js';
import { caudalCacheDir } from '../util/cache-dir.js';

/**
 * Starts the bundled engine worker (worker.bundle.cjs, core/scripts/bundle-worker.mjs) with a V8
 * code cache: compiling the 1.7 MB bundle is most of a worker's start, and Node 20 caches nothing
 * by itself. The cache lives in `$CAUDAL_CACHE_DIR/code` (default `~/.cache/caudal/code`), one file
 * per bundle version (path, size, modification time, Node version); V8 rejects a cache that does not
 * fit the source or this V8, and a rejected or missing cache is written again (keeping the few
 * newest files of other versions: another install, another Node). Any failure to read or write it
 * only costs the time it would have saved.
 */
const bundle = fileURLToPath(new URL('./worker.bundle.cjs', import.meta.url));
const source = readFileSync(bundle, 'utf8');
const stat = statSync(bundle);
const key = createHash('sha256').update(JSON.stringify([bundle, stat.size, stat.mtimeMs, process.version, process.arch])).digest('hex').slice(0, 32);
const cacheFile = path.join(caudalCacheDir(), 'code', `engine-worker-${key}.bin`);

let cachedData: Buffer | undefined;
try {
  cachedData = readFileSync(cacheFile);
} catch {
  cachedData = undefined;
}
const script = new Script(Module.wrap(source), { filename: bundle, cachedData });
const run = script.runInThisContext() as (exports: object, require: NodeJS.Require, module: object, filename: string, dirname: string) => void;
const module = { exports: {} };
run.call(module.exports, module.exports, createRequire(bundle), module, bundle, path.dirname(bundle));

if (!cachedData || script.cachedDataRejected) {
  // After the bundle ran, so the cache also holds the functions its start compiled.
  try {
    mkdirSync(path.dirname(cacheFile), { recursive: true, mode: 0o700 });
    const tmp = atomicTempName(cacheFile);
    try {
      writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
      renameSync(tmp, cacheFile);
    } finally {
      rmSync(tmp, { force: true });
    }
    pruneOtherVersions(path.dirname(cacheFile), 4);
  } catch {
    // A read-only or full disk: the next worker compiles the bundle again.
  }
}

/** Each build of the bundle leaves a file: all but the `keep` newest go, with what killed writers left. */
function pruneOtherVersions(dir: string, keep: number): void {
  removeDeadTempsSync(dir);
  const files = readdirSync(dir)
    .filter((f) => /^engine-worker-[0-9a-f]{32}\.bin$/.test(f))
    .map((f) => ({ file: path.join(dir, f), at: statSync(path.join(dir, f)).mtimeMs }))
    .sort((a, b) => b.at - a.at);
  for (const old of files.slice(keep)) rmSync(old.file, { force: true });
}
