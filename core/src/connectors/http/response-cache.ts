import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { atomicTempName, isAtomicTempName, isDeadTempName } from '../../util/atomic-write.js';

/**
 * A persistent cache of HTTP answers, one small JSON file per request (request hash → status and
 * body) in sharded folders: concurrent runs and previews can share it (writes are renames), and it
 * stays under `maxBytes` by dropping the least recently used answers. Keys never hold credentials:
 * callers hash the request without them. An answer is written under a temp name that carries its
 * writer (`util/atomic-write.ts`); one a killed run left is removed by the next prune.
 */
export interface CachedAnswer {
  status: number;
  body: string;
  /** When it was fetched (ms since epoch). */
  at: number;
}

export class ResponseCache {
  private written = 0;

  constructor(
    readonly folder: string,
    private readonly maxBytes: number,
    private readonly ttlMs?: number,
  ) {}

  static key(parts: unknown): string {
    return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
  }

  private file(key: string): string {
    return path.join(this.folder, key.slice(0, 2), `${key}.json`);
  }

  async get(key: string): Promise<CachedAnswer | undefined> {
    const file = this.file(key);
    let answer: CachedAnswer;
    try {
      answer = JSON.parse(await readFile(file, 'utf8')) as CachedAnswer;
    } catch {
      return undefined;
    }
    if (this.ttlMs !== undefined && Date.now() - answer.at > this.ttlMs) return undefined;
    const now = new Date();
    await utimes(file, now, now).catch(() => undefined);
    return answer;
  }

  async set(key: string, answer: CachedAnswer): Promise<void> {
    const file = this.file(key);
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = atomicTempName(file);
    const text = JSON.stringify(answer);
    try {
      await writeFile(tmp, text);
      await rename(tmp, file);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
    this.written += text.length;
  }

  /** Forgets an answer (one that must not be kept, written by an earlier version). */
  async drop(key: string): Promise<void> {
    await rm(this.file(key), { force: true });
  }

  /**
   * After a run or preview: removes what killed writers left, then, when this one wrote answers,
   * drops the least recently used ones until the cache fits its bound.
   */
  async prune(): Promise<void> {
    const entries: Array<{ file: string; used: number; bytes: number }> = [];
    for (const shard of await readdir(this.folder).catch(() => [] as string[])) {
      for (const name of await readdir(path.join(this.folder, shard)).catch(() => [] as string[])) {
        const file = path.join(this.folder, shard, name);
        if (isAtomicTempName(name)) {
          if (isDeadTempName(name)) await rm(file, { force: true });
          continue;
        }
        if (this.written === 0) continue;
        const s = await stat(file).catch(() => undefined);
        if (s?.isFile()) entries.push({ file, used: s.mtimeMs, bytes: s.size });
      }
    }
    if (this.written === 0) return;
    let total = entries.reduce((a, e) => a + e.bytes, 0);
    for (const e of entries.sort((a, b) => a.used - b.used)) {
      if (total <= this.maxBytes) break;
      await rm(e.file, { force: true });
      total -= e.bytes;
    }
    this.written = 0;
  }
}
