import { createHash } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { atomicTempName, isAtomicTempName, isDeadTempName } from '../../util/atomic-write.js';
import { caudalCacheDir } from '../../util/cache-dir.js';

/**
 * A local cache of object samples for planning and previews, keyed by bucket, key and ETag: an
 * unchanged object is never read again, a changed one has a new ETag and a new entry. Entries are
 * whole files (or sparse files holding a Parquet footer and first row group). The folder is
 * `$CAUDAL_CACHE_DIR/s3` (default `$XDG_CACHE_HOME/caudal/s3`, else `~/.cache/caudal/s3`), kept
 * under `CAUDAL_S3_CACHE_MB` (1024 by default) by removing the least recently used entries; delete
 * it any time. Entries are written under temp names that carry their writer (`util/atomic-write.ts`):
 * one a killed process left (a large sample, perhaps) is removed by the next prune.
 */
export function s3CacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(caudalCacheDir(env), 's3');
}

export function cacheFile(parts: { endpoint?: string; bucket: string; key: string; etag: string; kind: string }, env?: NodeJS.ProcessEnv): string {
  const h = createHash('sha256').update(JSON.stringify([parts.endpoint ?? 'aws', parts.bucket, parts.key, parts.etag, parts.kind])).digest('hex').slice(0, 40);
  // The extension tells DuckDB a compression (.gz) or format; one longer than any such (a key
  // `data.<280 letters>`) would make the name longer than the disk takes.
  const ext = path.extname(parts.key).toLowerCase().replace(/[^.a-z0-9]/g, '');
  return path.join(s3CacheDir(env), h.slice(0, 2), `${h}${ext.length <= 16 ? ext : ''}`);
}

/** Marks an entry as used (least recently used entries go first). */
export async function touch(file: string): Promise<boolean> {
  const now = new Date();
  return utimes(file, now, now).then(
    () => true,
    () => false,
  );
}

/** Writes an entry atomically. */
export async function store(file: string, write: (tmp: string) => Promise<void>): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = atomicTempName(file);
  try {
    await write(tmp);
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  await prune().catch(() => undefined);
}

export async function storeBytes(file: string, data: Buffer): Promise<void> {
  await store(file, (tmp) => writeFile(tmp, data));
}

/**
 * Removes what killed writers left, then least recently used entries until the cache is under its
 * bound (disk blocks, so sparse files count what they use). Live writers' temp files are theirs.
 */
export async function prune(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const limit = Number(env.CAUDAL_S3_CACHE_MB ?? 1024) * 1024 * 1024;
  const dir = s3CacheDir(env);
  const entries: Array<{ file: string; used: number; bytes: number }> = [];
  for (const shard of await readdir(dir).catch(() => [] as string[])) {
    for (const name of await readdir(path.join(dir, shard)).catch(() => [] as string[])) {
      const file = path.join(dir, shard, name);
      if (isAtomicTempName(name)) {
        if (isDeadTempName(name)) await rm(file, { force: true });
        continue;
      }
      const s = await stat(file).catch(() => undefined);
      if (s?.isFile()) entries.push({ file, used: s.mtimeMs, bytes: s.blocks * 512 });
    }
  }
  let total = entries.reduce((a, e) => a + e.bytes, 0);
  for (const e of entries.sort((a, b) => a.used - b.used)) {
    if (total <= limit) break;
    await rm(e.file, { force: true });
    total -= e.bytes;
  }
}
