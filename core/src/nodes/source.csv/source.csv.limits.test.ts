import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { pipeline, problemsOf, run, tempDir } from '../../../../test/support/pipeline.js';

let dir: string;
const LONG = 2_500_000;

const csv = (params: Record<string, unknown>) => pipeline([{ id: 'src', type: 'source.csv', params }]);
const counted = (params: Record<string, unknown>) =>
  pipeline(
    [
      { id: 'src', type: 'source.csv', params },
      { id: 'out', type: 'sink.csv', params: { path: 'out/copy.csv', if_exists: 'overwrite' } },
    ],
    ['src -> out'],
  );

beforeAll(async () => {
  dir = await tempDir('caudal-csv-limits-');
  // A file that is one huge line (no newline at all), like a JSON dump saved as .csv.
  await writeFile(path.join(dir, 'one_line.csv'), `a,b,${'x'.repeat(LONG)}`);
  // A normal head, then one huge line far past the rows detection samples.
  const lines = ['name,n', ...Array.from({ length: 30_000 }, (_, i) => `r${i},${i}`), `${'y'.repeat(LONG)},1`, 'last,2'];
  await writeFile(path.join(dir, 'late_long.csv'), lines.join('\n') + '\n');
  // In Windows-1252, a line of 1.5 million é is 1.5 MB; converted to UTF-8 (what DuckDB reads), 3 MB.
  lines[30_001] = `${'\u00e9'.repeat(1_500_000)},1`;
  await writeFile(path.join(dir, 'late_long_1252.csv'), Buffer.from(lines.join('\n') + '\n', 'latin1'));
});

describe('source.csv: max_line_size', () => {
  it('refuses a file whose first line is longer than the limit before detecting anything', async () => {
    const problems = await problemsOf(csv({ path: 'one_line.csv' }), dir);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ code: 'invalid_param', nodeId: 'src', path: 'nodes[0].params.max_line_size' });
    expect(problems[0]?.message).toBe(`node 'src': line 1 of ${path.join(dir, 'one_line.csv')} is longer than max_line_size (2,000,000 bytes)`);
    expect(problems[0]?.hint).toContain('raise max_line_size');
  });

  for (const on_error of ['fail', 'reject']) {
    it(`stops a run at a long line far down the file, naming file, line and limit (on_error "${on_error}")`, async () => {
      const { summary } = await run(counted({ path: 'late_long.csv', on_error }), dir);
      expect(summary.status).toBe('failed');
      expect(summary.error?.nodeId).toBe('src');
      expect(summary.error?.message).toBe(`node 'src': line 30002 of ${path.join(dir, 'late_long.csv')} is longer than max_line_size (2,000,000 bytes)`);
      expect(summary.error?.problems?.[0]?.hint ?? summary.error?.hint).toContain('raise max_line_size');
    });
  }

  it('stops a run at a line that is too long once converted from Windows-1252, naming the user\'s file', async () => {
    const { summary } = await run(counted({ path: 'late_long_1252.csv', on_error: 'reject' }), dir);
    expect(summary.status).toBe('failed');
    expect(summary.error).toMatchObject({ nodeId: 'src', message: `node 'src': line 30002 of ${path.join(dir, 'late_long_1252.csv')} is longer than max_line_size (2,000,000 bytes)` });
    expect(summary.error?.hint).toContain('raise max_line_size');
  });

  it('reads such lines once the limit is raised', async () => {
    const { summary } = await run(counted({ path: 'late_long.csv', max_line_size: 4_000_000 }), dir);
    expect(summary.error).toBeUndefined();
    expect(summary.outputs[0]?.rows).toBe(30_002);
  });

  it('checks the limit is plausible', async () => {
    const problems = await problemsOf(csv({ path: 'late_long.csv', max_line_size: 10 }), dir);
    expect(problems.map((p) => p.path)).toEqual(['nodes[0].params.max_line_size']);
  });
});
