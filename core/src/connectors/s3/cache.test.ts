import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deadOwnerTag, liveOwnerTag } from '../../../../test/support/owners.js';
import { cacheFile, prune, storeBytes } from './cache.js';

describe('the S3 sample cache', () => {
  let root: string;
  let env: NodeJS.ProcessEnv;
  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'caudal-s3-cache-'));
    env = { CAUDAL_CACHE_DIR: root };
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('removes a sample a killed process was downloading, and keeps the entries and what a live writer is writing', async () => {
    const entry = cacheFile({ bucket: 'lake', key: 'sales/2025.csv', etag: '"abc"', kind: 'head' }, env);
    await mkdir(path.dirname(entry), { recursive: true });
    await writeFile(entry, 'id,amount\n1,2\n');
    const shard = path.dirname(entry);
    const killed = `.${path.basename(entry)}.${deadOwnerTag()}-1a2b3c4d.tmp`;
    const live = `.${path.basename(entry)}.${liveOwnerTag()}-5e6f7a8b.tmp`;
    await writeFile(path.join(shard, killed), Buffer.alloc(64 * 1024));
    await writeFile(path.join(shard, live), 'id,');
    await prune(env);
    expect((await readdir(shard)).sort()).toEqual([path.basename(entry), live].sort());
  });

  it('writes an entry whole, under a temp name that does not stay', async () => {
    const entry = cacheFile({ bucket: 'lake', key: 'sales/2026.json', etag: '"def"', kind: 'head' }, env);
    await storeBytes(entry, Buffer.from('{"id":1}\n'));
    expect(await readdir(path.dirname(entry))).toEqual([path.basename(entry)]);
  });
});
