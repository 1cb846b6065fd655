import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { afterFile } from './support/cleanup.js';
import { canMount, fill, useTmpfs } from './support/tmpfs.js';

const tmpfs = useTmpfs();

/**
 * A file that is not UTF-8 is converted into a copy in the temp folder before DuckDB detects its
 * format. With that folder's disk full, planning said only "ENOSPC: no space left on device, write"
 * (as a bind error on the params): not which folder, nor what to do.
 */
describe.skipIf(!canMount)('source.csv: the temp folder full while converting a file to detect its format', () => {
  it('names the file, the temp folder and what to do', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'caudal-misc-full-'));
    const full = await tmpfs.mount(dir, 'tmp', '256k');
    afterFile(async () => {
      const { rm } = await import('node:fs/promises');
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    });
    await fill(full);
    // The engine's worker copies the environment when it starts (below, on the first import's use).
    process.env.TMPDIR = full;
    const { problemsOf } = await import('./support/pipeline.js');
    const { csvSource } = await import('./support/csv-source.js');
    const file = path.join(dir, 'latin.csv');
    await writeFile(file, Buffer.from('name,n\ncaf\xe9,2\n'.repeat(10), 'latin1'));
    const problems = await problemsOf(csvSource({ path: file, encoding: 'windows-1252' }), dir);
    expect(problems).toEqual([
      expect.objectContaining({
        code: 'io_error',
        path: 'nodes[0].params.path',
        message: expect.stringContaining(`node 'src': cannot convert ${file} to UTF-8 to detect its format: the disk holding the temp folder ${full} is full`),
        hint: expect.stringMatching(/free space on the disk holding .*, or set TMPDIR to a folder with space/),
      }),
    ]);
  });
});
