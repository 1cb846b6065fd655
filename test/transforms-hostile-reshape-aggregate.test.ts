import { beforeAll, describe, expect, it } from 'vitest';
import { pipeline, preview, tempDir } from './support/pipeline.js';

// Hostile sums for Aggregate and Pivot: DuckDB sums a DECIMAL(p,s) column into a DECIMAL(38,s) and,
// past 38 digits but within its 128-bit accumulator, returns the too-long value without a word
// (99999999999999999999999999999999999999 + 1 came out as a 39-digit DECIMAL(38,0), which a Parquet
// file then holds as an invalid decimal).

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-hostile-aggregate-');
});

const MAX38 = '9'.repeat(38);
const over = (query: string, node: { type: string; params: Record<string, unknown> }) =>
  pipeline([{ id: 'src', type: 'transform.sql', params: { query } }, { id: 'a', ...node }], ['src -> a']);

describe('transform.aggregate: a DECIMAL sum past 38 digits', () => {
  it('stops the run naming the node, the aggregation and the column', async () => {
    const doc = over(`SELECT * FROM (VALUES ('x', ${MAX38}::DECIMAL(38,0)), ('x', 1)) t(g, v)`, {
      type: 'transform.aggregate',
      params: { group_by: ['g'], aggregations: [{ name: 'total', function: 'sum', column: 'v' }] },
    });
    await expect(preview(doc, dir, 'a')).rejects.toThrow(/node 'a': the sum 'total' of column 'v' has more digits than DECIMAL\(38,0\) holds \(38 before the point\)/);
  });

  it('with places after the point too, and for negative sums', async () => {
    const doc = over(`SELECT * FROM (VALUES (-${'9'.repeat(36)}.99::DECIMAL(38,2)), (-1)) t(v)`, {
      type: 'transform.aggregate',
      params: { aggregations: [{ name: 's', function: 'sum', column: 'v' }] },
    });
    await expect(preview(doc, dir, 'a')).rejects.toThrow(/the sum 's' of column 'v' has more digits than DECIMAL\(38,2\) holds \(36 before the point\)/);
  });

  it('the largest sum a DECIMAL(38,s) holds passes unchanged', async () => {
    const doc = over(`SELECT * FROM (VALUES (${'9'.repeat(37)}0::DECIMAL(38,0)), (9)) t(v)`, {
      type: 'transform.aggregate',
      params: { aggregations: [{ name: 's', function: 'sum', column: 'v' }] },
    });
    const r = await preview(doc, dir, 'a');
    expect(r.columns.map((c) => c.type)).toEqual(['DECIMAL(38,0)']);
    expect(r.rows).toEqual([{ s: MAX38 }]);
  });
});

describe('transform.pivot: a DECIMAL cell sum past 38 digits', () => {
  it('stops the run naming the node, the value and the column', async () => {
    const doc = over(`SELECT * FROM (VALUES ('paid', ${MAX38}::DECIMAL(38,0)), ('paid', 1), ('open', 1)) t(status, amount)`, {
      type: 'transform.pivot',
      params: { pivot_column: 'status', values: ['paid', 'open'], aggregate: 'sum', value_column: 'amount' },
    });
    await expect(preview(doc, dir, 'a')).rejects.toThrow(/node 'a': the sum 'paid' of column 'amount' has more digits than DECIMAL\(38,0\) holds/);
  });
});
