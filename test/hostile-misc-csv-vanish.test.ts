import { mkdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { problemsOf, tempDir } from './support/pipeline.js';
import { csvSource } from './support/csv-source.js';

// Detection pauses three seconds before DuckDB first reads the file (failpoint pause:csv-sniff);
// set before the engine's first worker starts, which copies the environment.
process.env.CAUDAL_FAILPOINT = 'pause:csv-sniff';

/** Resolves once `file` has been read (its access time moves past the one set in the past). */
async function readOnce(file: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if ((await stat(file)).atimeMs > 1_000_000) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${file} was never read`);
}

/**
 * A file that vanishes, or becomes a folder, after planning first looked at it and before DuckDB
 * sniffs it is told as such, naming the file: not as a file whose rows do not fit one format.
 */
describe('source.csv: a file moved away while planning', () => {
  for (const [name, replace] of [
    ['deleted', (f: string) => rm(f)],
    ['replaced by a folder', async (f: string) => (await rm(f), mkdir(f))],
  ] as const) {
    it(`${name}: the problem says the file is gone, not that its format is wrong`, async () => {
      const dir = await tempDir();
      const file = path.join(dir, 'orders.csv');
      await writeFile(file, 'id;amount\n1;2\n3;4\n');
      // Access time in 1970: the first read of the file moves it (relatime), which says planning is under way.
      await utimes(file, 1, Date.now() / 1000);
      const pending = problemsOf(csvSource({ path: file }), dir);
      await readOnce(file);
      // Planning's own checks of the bytes end within a second; detection then waits three.
      await new Promise((r) => setTimeout(r, 1000));
      await replace(file);
      const problems = await pending;
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatchObject({ code: 'io_error', path: 'nodes[0].params.path', nodeId: 'src' });
      expect(problems[0]!.message).toContain(`cannot read ${file}: it is no longer a file there`);
      expect(problems[0]!.message).not.toMatch(/cannot tell the CSV format/);
      expect(problems[0]!.hint).toMatch(/nothing moves or deletes the file/);
    }, 30_000);
  }
});
