import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deadOwnerTag } from '../../../../test/support/owners.js';
import { ResponseCache } from './response-cache.js';

describe('ResponseCache', () => {
  let folder: string;
  beforeEach(async () => {
    folder = await mkdtemp(path.join(os.tmpdir(), 'caudal-http-cache-'));
  });
  afterEach(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  const files = async () => (await Promise.all((await readdir(folder)).map(async (s) => (await readdir(path.join(folder, s))).map((n) => `${s}/${n}`)))).flat().sort();

  it('keeps an answer under its key and nothing else in the folder', async () => {
    const cache = new ResponseCache(folder, 1 << 20);
    const key = ResponseCache.key(['GET', 'https://api.example.com/geo?q=Madrid']);
    await cache.set(key, { status: 200, body: '{"lat":40.4}', at: Date.now() });
    expect(await cache.get(key)).toMatchObject({ status: 200, body: '{"lat":40.4}' });
    await cache.prune();
    expect(await files()).toEqual([`${key.slice(0, 2)}/${key}.json`]);
  });

  it('removes the half-written answer of a killed run at the next prune, even when nothing new was cached', async () => {
    const key = ResponseCache.key(['GET', 'https://api.example.com/geo?q=Lyon']);
    const shard = path.join(folder, key.slice(0, 2));
    await mkdir(shard, { recursive: true });
    const left = `.${key}.json.${deadOwnerTag()}-1a2b3c4d.tmp`;
    await writeFile(path.join(shard, left), '{"status":200,"bo');
    const cache = new ResponseCache(folder, 1 << 20);
    expect(await cache.get(key)).toBeUndefined();
    await cache.prune();
    expect(await files()).toEqual([]);
  });
});
