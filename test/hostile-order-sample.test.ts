/*
 * Hostile round on transform.sample: a row count DuckDB's reservoir cannot take is refused before
 * the run, on the `size` param, instead of an "invalid SQL" or cast error about the generated query.
 */
import { describe, expect, it } from 'vitest';
import { pipeline, preview, problemsOf, tempDir } from './support/pipeline.js';

const sampleOver = (params: Record<string, unknown>) =>
  pipeline(
    [
      { id: 'src', type: 'transform.sql', params: { query: 'SELECT range AS id FROM range(100)' } },
      { id: 's', type: 'transform.sample', params },
    ],
    ['src -> s'],
  );

describe('transform.sample: row counts past the reservoir limit', () => {
  for (const size of [1_000_000_001, 9_007_199_254_740_991, 1e21]) {
    it(`size ${size} is a problem on params.size that says the limit`, async () => {
      const dir = await tempDir('caudal-order-');
      const problems = await problemsOf(sampleOver({ unit: 'rows', size }), dir);
      expect(problems).toEqual([
        expect.objectContaining({
          path: 'nodes[1].params.size',
          message: expect.stringContaining('at most 1000000000 rows'),
        }),
      ]);
    });
  }

  it('the largest count DuckDB takes still keeps every row of a smaller input', async () => {
    const dir = await tempDir('caudal-order-');
    const r = await preview(sampleOver({ unit: 'rows', size: 1_000_000_000 }), dir, 's', { limit: 1000 });
    expect(r.rows).toHaveLength(100);
  });
});
