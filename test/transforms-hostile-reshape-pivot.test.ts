import { beforeAll, describe, expect, it } from 'vitest';
import { pipeline, preview, tempDir } from './support/pipeline.js';

// Hostile sizes for Pivot: a pivot column with a few thousand listed values (one output column each).
// Written as one `agg(v) FILTER (WHERE k = value)` per value, DuckDB spent time that grows with the
// square of the number of values before reading a row: 1,000 values took 9 s on a single input row,
// 2,000 about 35 s, 3,000 minutes.

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-hostile-pivot-');
});

const N = 2000;
const values = Array.from({ length: N }, (_, i) => `c${i}`);
const pivotOver = (query: string, params: Record<string, unknown>) =>
  pipeline([{ id: 'src', type: 'transform.sql', params: { query } }, { id: 'p', type: 'transform.pivot', params: { pivot_column: 'k', values, ...params } }], ['src -> p']);
const SRC = `SELECT g, 'c' || (range % ${N}) AS k, range AS v, -range AS o FROM range(${4 * N}) r, (VALUES ('a'), ('b')) t(g)`;

describe(`transform.pivot: ${N} listed values`, () => {
  it('sum: one column per value, computed in seconds', { timeout: 30_000 }, async () => {
    const r = await preview(pivotOver(SRC, { group_by: ['g'], aggregate: 'sum', value_column: 'v' }), dir, 'p');
    expect(r.columns).toHaveLength(N + 1);
    const a = r.rows.find((x) => x.g === 'a')!;
    // value c7 holds rows 7, 2007, 4007, 6007
    expect(a.c7).toBe(String(7 + 2007 + 4007 + 6007));
    expect(a.c1999).toBe(String(1999 + 3999 + 5999 + 7999));
  });

  it('count without a value column, and first by order_by', { timeout: 30_000 }, async () => {
    const counted = await preview(pivotOver(SRC, { aggregate: 'count' }), dir, 'p');
    expect(counted.rows).toEqual([expect.objectContaining({ c0: '8', c1999: '8' })]);
    // first sorts within each cell (an ordered aggregate), slower per value: 500 of them here
    const first = await preview(pivotOver(SRC, { group_by: ['g'], aggregate: 'first', value_column: 'v', order_by: 'o', values: values.slice(0, 500) }), dir, 'p');
    // o = -v: the first row is the one with the largest v
    expect(first.rows.find((x) => x.g === 'b')).toEqual(expect.objectContaining({ c7: '6007', c499: '6499' }));
  });
});

describe('transform.pivot: cells keep their meaning', () => {
  const Q = `SELECT * FROM (VALUES ('g1', 'paid', 10, 2), ('g1', 'paid', NULL, 1), ('g1', 'open', 5, NULL), ('g2', 'void', 7, 1), ('g2', NULL, 3, 1)) t(g, k, v, o)`;
  const cells = async (params: Record<string, unknown>) =>
    (await preview(pipeline([{ id: 'src', type: 'transform.sql', params: { query: Q } }, { id: 'p', type: 'transform.pivot', params: { group_by: ['g'], pivot_column: 'k', values: ['paid', 'open'], ...params } }], ['src -> p']), dir, 'p')).rows.sort((a, b) => String(a.g).localeCompare(String(b.g)));

  it('a group with only unlisted (or NULL) values keeps its row; count is 0 there, sum NULL', async () => {
    expect(await cells({ aggregate: 'count' })).toEqual([
      { g: 'g1', paid: '2', open: '1' },
      { g: 'g2', paid: '0', open: '0' },
    ]);
    expect(await cells({ aggregate: 'count', value_column: 'v' })).toEqual([
      { g: 'g1', paid: '1', open: '1' },
      { g: 'g2', paid: '0', open: '0' },
    ]);
    expect(await cells({ aggregate: 'sum', value_column: 'v' })).toEqual([
      { g: 'g1', paid: '10', open: '5' },
      { g: 'g2', paid: null, open: null },
    ]);
  });

  it('first: the row with the smallest order_by among the value\'s rows with a value and an order, NULL when it has none', async () => {
    // As transform.aggregate's first: paid's o=1 row has v NULL and is skipped (10 is first), and
    // open's one row has no order (o NULL), so open has no first row.
    expect(await cells({ aggregate: 'first', value_column: 'v', order_by: 'o' })).toEqual([
      { g: 'g1', paid: 10, open: null },
      { g: 'g2', paid: null, open: null },
    ]);
  });
});
