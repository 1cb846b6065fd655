import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { pipeline, problemsOf, tempDir } from './support/pipeline.js';
import { csvSource } from './support/csv-source.js';

/**
 * A file DuckDB cannot read at all (not the compression its name says) is no fault of its
 * format: the problem says which file, why, and what to do, instead of "set the delimiter".
 */
describe('source.csv: a file that cannot be read is not blamed on its format', () => {
  it('a .csv.gz file that is not gzip says so, naming the file', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'orders.csv.gz');
    await writeFile(file, 'id,amount\n1,2\n');
    const problems = await problemsOf(csvSource({ path: file }), dir);
    expect(problems).toHaveLength(1);
    const [p] = problems;
    expect(p).toMatchObject({ code: 'io_error', path: 'nodes[0].params.path', nodeId: 'src' });
    expect(p!.message).toContain(`cannot read ${file}: its name says it is compressed`);
    expect(p!.message).not.toMatch(/cannot tell the CSV format/);
    expect(p!.hint).toMatch(/rename the file without the compression ending/);
  });

  it('a complete .csv.gz file still reads (the check blames only what DuckDB cannot open)', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'ok.csv.gz');
    await writeFile(file, gzipSync(Buffer.from('id,amount\n1,2\n3,4\n')));
    expect(await problemsOf(csvSource({ path: file }), dir)).toEqual([]);
  });
});

/** A glob skips named pipes, but a path naming one exactly was read: planning waited for a writer forever. */
describe('file sources: a path naming a named pipe is refused at once, not waited on', () => {
  it.each([
    ['source.csv', 'feed.csv.gz'],
    ['source.csv', 'feed.csv'],
    ['source.json', 'feed.json'],
    ['source.json', 'feed.jsonl'],
    ['source.parquet', 'feed.parquet'],
  ])('%s whose path names a named pipe (%s)', async (type, name) => {
    const dir = await tempDir();
    const fifo = path.join(dir, name);
    execFileSync('mkfifo', [fifo]);
    const hung = new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 15_000).unref());
    const problems = await Promise.race([problemsOf(pipeline([{ id: 'src', type, params: { path: name } }]), dir), hung]);
    expect(problems).toEqual([
      expect.objectContaining({
        code: 'io_error',
        path: 'nodes[0].params.path',
        message: `node 'src': ${fifo} is a named pipe (FIFO), not a file: reading it would wait for whatever writes to it, and never end if nothing does`,
      }),
    ]);
  }, 30_000);
});
