import { mkdir, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { caudal } from './support/cli.js';
import { deadOwnerTag } from './support/owners.js';
import { tempDir } from './support/pipeline.js';

/**
 * The built engine worker runs from one bundle with a V8 code cache in `$CAUDAL_CACHE_DIR/code`
 * (core/src/engine/worker-boot.ts). The cache only saves time: a missing, damaged or unwritable
 * cache must never change what a run does.
 */
describe('engine worker code cache', () => {
  async function setup(cacheDir?: string) {
    const dir = await tempDir();
    const file = path.join(dir, 'p.json');
    const out = path.join(dir, 'out.csv');
    await writeFile(
      file,
      JSON.stringify({
        format: 'caudal.pipeline/1',
        name: 'boot',
        params: {},
        nodes: [
          { id: 'nums', type: 'transform.sql', params: { query: 'SELECT range AS n FROM range(5)' } },
          { id: 'out', type: 'sink.csv', params: { path: out, if_exists: 'overwrite' } },
        ],
        edges: [{ from: 'nums:out', to: 'out:in' }],
      }),
    );
    const cache = cacheDir ?? path.join(dir, 'cache');
    const run = async () => {
      const r = await caudal(['run', file], { env: { CAUDAL_CACHE_DIR: cache } });
      expect(r.code, r.stderr).toBe(0);
      expect((await readFile(out, 'utf8')).trim().split('\n')).toEqual(['n', '0', '1', '2', '3', '4']);
    };
    const cacheFiles = async () => (await readdir(path.join(cache, 'code')).catch(() => [] as string[])).map((f) => path.join(cache, 'code', f));
    return { cache, run, cacheFiles };
  }

  it('the first run writes the cache (private to the user) and later runs use it', async () => {
    const { run, cacheFiles } = await setup();
    await run();
    const files = await cacheFiles();
    expect(files).toHaveLength(1);
    expect(path.basename(files[0]!)).toMatch(/^engine-worker-[0-9a-f]{32}\.bin$/);
    const before = await readFile(files[0]!);
    expect(before.length).toBeGreaterThan(100_000);
    expect((await stat(files[0]!)).mode & 0o777).toBe(0o600);
    await run();
    // Accepted by V8, so not written again.
    expect(await readFile(files[0]!)).toEqual(before);
  });

  it('a damaged cache is rejected by V8, the run is unaffected and the cache is written again', async () => {
    const { run, cacheFiles } = await setup();
    await run();
    const [file] = await cacheFiles();
    await writeFile(file!, Buffer.from('not a V8 code cache'));
    await run();
    expect((await readFile(file!)).length).toBeGreaterThan(100_000);
  });

  it('keeps the four newest cache files: older builds of the bundle do not pile up', async () => {
    const { cache, run, cacheFiles } = await setup();
    await mkdir(path.join(cache, 'code'), { recursive: true });
    for (let i = 0; i < 6; i++) {
      const old = path.join(cache, 'code', `engine-worker-${String(i).repeat(32)}.bin`);
      await writeFile(old, 'an older build');
      await utimes(old, new Date(2026, 0, 1 + i), new Date(2026, 0, 1 + i));
    }
    await run();
    const names = (await cacheFiles()).map((f) => path.basename(f)).sort();
    expect(names).toHaveLength(4);
    // the new one and the three newest of the others (days 4, 5, 6)
    expect(names.filter((n) => /^engine-worker-(3|4|5)\1{31}\.bin$/.test(n))).toHaveLength(3);
  });

  it('a cache half written by a killed worker is not left behind', async () => {
    const { cache, run, cacheFiles } = await setup();
    await mkdir(path.join(cache, 'code'), { recursive: true });
    // What a worker killed between writing its cache and renaming it leaves (util/atomic-write.ts).
    const left = `.engine-worker-${'a'.repeat(32)}.bin.${deadOwnerTag()}-1a2b3c4d.tmp`;
    await writeFile(path.join(cache, 'code', left), 'half a code cache');
    await run();
    const names = (await cacheFiles()).map((f) => path.basename(f));
    expect(names).toHaveLength(1);
    expect(names[0]).toMatch(/^engine-worker-[0-9a-f]{32}\.bin$/);
  });

  it('a cache folder that cannot be made only costs the time it would have saved', async () => {
    const dir = await tempDir();
    // Under a regular file, so no folder can be made there, not even by root.
    await writeFile(path.join(dir, 'a-file'), '');
    const { run, cacheFiles } = await setup(path.join(dir, 'a-file', 'cache'));
    await run();
    expect(await cacheFiles()).toEqual([]);
  });
});
