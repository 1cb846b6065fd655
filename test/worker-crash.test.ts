import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runPipeline } from '../core/src/engine/engine.js';
import { runtimeDir } from '../core/src/engine/commit/runtime-dir.js';
import { ownerTag } from '../core/src/util/owner.js';
import { pipeline, tempDir } from './support/pipeline.js';

/**
 * A run whose engine worker thread dies of an error nothing catches (CAUDAL_FAILPOINT=crash:<point>
 * throws one there) is recovered at once by the host, as a killed run is by the next one: every
 * destination as it was, or all of the run's rows when its commit was decided; no staging files,
 * no journal, no temp folder. Before, all of that stayed until this process ended (the studio).
 */
beforeAll(async () => {
  // Journals and locks of this file only: the session's other files run pipelines at the same time,
  // and one of their journals in the shared folder would look like debris of this run.
  process.env.CAUDAL_RUNTIME_DIR = path.join(await tempDir('caudal-worker-crash-runtime-'), 'runtime');
});
afterEach(() => {
  delete process.env.CAUDAL_FAILPOINT;
});

// Only this process's: the other test files of the session run pipelines in the same temp folder.
const runTempFolders = async () => (await readdir(os.tmpdir())).filter((f) => f.startsWith(`caudal-run-${ownerTag()}-`));

describe('a run whose engine worker crashes', () => {
  it.each(['after-stage', 'after-prepare', 'after-reversible', 'after-decision'])('at %s: is recovered at once, every destination whole, nothing left behind', { timeout: 60_000 }, async (point) => {
    const dir = await tempDir('caudal-worker-crash-');
    await mkdir(path.join(dir, 'out'));
    await writeFile(path.join(dir, 'in.csv'), 'id\n1\n2\n3\n');
    await writeFile(path.join(dir, 'out/a.csv'), 'id\n0\n');
    await writeFile(path.join(dir, 'out/b.csv'), 'id\n0\n');
    const doc = pipeline(
      [
        { id: 'src', type: 'source.csv', params: { path: 'in.csv' } },
        { id: 'a', type: 'sink.csv', params: { path: 'out/a.csv', if_exists: 'overwrite' } },
        { id: 'b', type: 'sink.csv', params: { path: 'out/b.csv', if_exists: 'overwrite' } },
      ],
      ['src -> a', 'src -> b'],
    );
    const foldersBefore = await runTempFolders();
    process.env.CAUDAL_FAILPOINT = `crash:${point}`;
    const error = await runPipeline({ pipeline: doc, baseDir: dir }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(new RegExp(`^engine worker crashed: failpoint crash:${point}; recovered run \\S+ of 'test', whose engine worker crashed: rolled (back|forward)`));
    const a = await readFile(path.join(dir, 'out/a.csv'), 'utf8');
    expect(['id\n0\n', 'id\n1\n2\n3\n']).toContain(a);
    // Both destinations or neither.
    expect(await readFile(path.join(dir, 'out/b.csv'), 'utf8')).toBe(a);
    if (point === 'after-stage') expect(a).toBe('id\n0\n');
    if (point === 'after-decision') expect(a).toBe('id\n1\n2\n3\n');
    expect((await readdir(path.join(dir, 'out'))).sort()).toEqual(['a.csv', 'b.csv']);
    expect((await readdir(path.join(runtimeDir(), 'runs')).catch(() => [])).filter((f) => f.endsWith('.json'))).toEqual([]);
    expect(await runTempFolders()).toEqual(foldersBefore);
  });
});
