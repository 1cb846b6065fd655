import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pipeline, problemsOf, tempDir } from './support/pipeline.js';

/**
 * A .json.gz file that is not gzip (saved uncompressed under a compressed name): DuckDB's "Input is
 * not a GZIP stream" came with the hint about relative paths, which is not what is wrong. The
 * problem says the file's bytes are not what its name says, and what to do.
 */
describe('source.json: a file whose name says compressed and whose bytes are not', () => {
  it('names the file, says why, and says what to do', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'events.json.gz');
    await writeFile(file, '{"id":1}\n{"id":2}\n');
    const problems = await problemsOf(pipeline([{ id: 'src', type: 'source.json', params: { path: file } }]), dir);
    expect(problems).toEqual([
      expect.objectContaining({
        code: 'io_error',
        path: 'nodes[0].params.path',
        message: expect.stringContaining(`node 'src': cannot read ${file}: its name says it is compressed, but its bytes are not`),
        hint: expect.stringContaining('rename the file without the compression ending'),
      }),
    ]);
  });
});
