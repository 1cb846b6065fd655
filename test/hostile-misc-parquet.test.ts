import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pipeline, problemsOf, tempDir } from './support/pipeline.js';

const source = (p: string) => pipeline([{ id: 'src', type: 'source.parquet', params: { path: p } }]);

/**
 * A file named .parquet that holds another format (a CSV export renamed, a JSON file, an HTML error
 * page saved by a download) has no footer either, but it is not "still being written": a Parquet
 * writer puts PAR1 first. The problem says what the file is not, not to wait for a writer.
 */
describe('source.parquet: a file that is not Parquet at all', () => {
  it('a CSV file named .parquet is said to be no Parquet file, naming the file and its first bytes', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'orders.parquet');
    await writeFile(file, 'id,amount\n1,2.50\n2,3.75\n');
    const problems = await problemsOf(source(file), dir);
    expect(problems).toEqual([
      expect.objectContaining({
        code: 'io_error',
        path: 'nodes[0].params.path',
        message: `node 'src': ${file} is not a Parquet file: it does not start with PAR1, as every Parquet file does (its first bytes: "id,amount\\n1,2.50\\n2,3.75\\n")`,
        hint: expect.stringContaining('another format'),
      }),
    ]);
    expect(problems[0]!.message).not.toMatch(/still be writing/);
  });
});
