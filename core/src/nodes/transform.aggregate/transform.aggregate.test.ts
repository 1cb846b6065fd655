import { beforeAll, describe, expect, it } from 'vitest';
import { inspect, pipeline, preview, problemsOf, tempDir } from '../../../../test/support/pipeline.js';

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-aggregate-');
});

const SRC = `SELECT * FROM (VALUES
  ('FR', 'José Muñoz', 10::INTEGER, 2.5, DATE '2025-01-03', 'b'),
  ('FR', 'Zoë', 20, 7.5, DATE '2025-01-01', 'a'),
  ('FR', 'Ann', NULL, NULL, DATE '2025-01-02', 'c'),
  ('DE', 'Otto', 5, 1.0, DATE '2025-02-01', 'x'),
  ('DE', 'Otto', 7, 3.0, DATE '2025-02-01', 'y'),
  (NULL, 'Nobody', 1, NULL, NULL, NULL)
) t(country, "Customer Name", qty, price, day, tag)`;
type Agg = Record<string, unknown>;
const over = (params: Record<string, unknown>, src = SRC) =>
  pipeline(
    [
      { id: 'src', type: 'transform.sql', params: { query: src } },
      { id: 'agg', type: 'transform.aggregate', params },
    ],
    ['src -> agg'],
  );
const rows = async (params: Record<string, unknown>, src = SRC) => {
  const r = await preview(over(params, src), dir, 'agg');
  return { columns: r.columns.map((c) => `${c.name} ${c.type}`), rows: [...r.rows].sort((a, b) => String(a.country).localeCompare(String(b.country))) };
};

describe('transform.aggregate', () => {
  it('groups by a column (NULL is a group) and names each aggregation', async () => {
    const aggs: Agg[] = [
      { name: 'orders', function: 'count' },
      { name: 'with qty', function: 'count', column: 'qty' },
      { name: 'customers', function: 'count_distinct', column: 'Customer Name' },
      { name: 'qty', function: 'sum', column: 'qty' },
      { name: 'avg_price', function: 'avg', column: 'price' },
      { name: 'min_day', function: 'min', column: 'day' },
      { name: 'max_qty', function: 'max', column: 'qty' },
    ];
    expect(await rows({ group_by: ['country'], aggregations: aggs })).toEqual({
      columns: ['country VARCHAR', 'orders BIGINT', 'with qty BIGINT', 'customers BIGINT', 'qty HUGEINT', 'avg_price DOUBLE', 'min_day DATE', 'max_qty INTEGER'],
      rows: [
        { country: 'DE', orders: '2', 'with qty': '2', customers: '1', qty: '12', avg_price: 2, min_day: '2025-02-01', max_qty: 7 },
        { country: 'FR', orders: '3', 'with qty': '2', customers: '3', qty: '30', avg_price: 5, min_day: '2025-01-01', max_qty: 20 },
        { country: null, orders: '1', 'with qty': '1', customers: '1', qty: '1', avg_price: null, min_day: null, max_qty: 1 },
      ],
    });
  });

  it('computes median, percentiles (interpolated) and the sample standard deviation', async () => {
    const r = await rows({
      group_by: ['country'],
      aggregations: [
        { name: 'med', function: 'median', column: 'qty' },
        { name: 'p90', function: 'percentile', column: 'qty', p: 0.9 },
        { name: 'sd', function: 'stddev', column: 'price' },
      ],
    });
    expect(r.rows).toEqual([
      { country: 'DE', med: 6, p90: 6.8, sd: Math.SQRT2 },
      { country: 'FR', med: 15, p90: 19, sd: Math.sqrt(12.5) },
      { country: null, med: 1, p90: 1, sd: null },
    ]);
  });

  it('interpolates the median and percentiles of a DECIMAL column as a DOUBLE, never cut to its scale', async () => {
    const r = await rows(
      {
        group_by: [],
        aggregations: [
          { name: 'med', function: 'median', column: 'd' },
          { name: 'p90', function: 'percentile', column: 'd', p: 0.9 },
        ],
      },
      `SELECT * FROM (VALUES (10.25::DECIMAL(5,2)), (10.26::DECIMAL(5,2))) t(d)`,
    );
    expect(r.columns).toEqual(['med DOUBLE', 'p90 DOUBLE']);
    expect(r.rows[0]!.med).toBeCloseTo(10.255, 12);
    expect(r.rows[0]!.p90).toBeCloseTo(10.259, 12);
  });

  it('first/last by an order column, ties broken by the value; NULL order values skipped', async () => {
    const r = await rows({
      group_by: ['country'],
      aggregations: [
        { name: 'first_name', function: 'first', column: 'Customer Name', order_by: 'day' },
        { name: 'last_tag', function: 'last', column: 'tag', order_by: 'day' },
        { name: 'first_tag', function: 'first', column: 'tag', order_by: 'day' },
      ],
    });
    expect(r.rows).toEqual([
      { country: 'DE', first_name: 'Otto', last_tag: 'y', first_tag: 'x' },
      { country: 'FR', first_name: 'Zoë', last_tag: 'b', first_tag: 'a' },
      { country: null, first_name: null, last_tag: null, first_tag: null },
    ]);
  });

  it('string_agg joins values in order (by a column, else by value), with a separator', async () => {
    const r = await rows({
      group_by: ['country'],
      aggregations: [
        { name: 'names', function: 'string_agg', column: 'Customer Name', order_by: 'day', separator: ' | ' },
        { name: 'tags_desc', function: 'string_agg', column: 'tag', descending: true },
        { name: 'qtys', function: 'string_agg', column: 'qty' },
      ],
    });
    expect(r.rows).toEqual([
      { country: 'DE', names: 'Otto | Otto', tags_desc: 'y, x', qtys: '5, 7' },
      { country: 'FR', names: 'Zoë | Ann | José Muñoz', tags_desc: 'c, b, a', qtys: '10, 20' },
      { country: null, names: 'Nobody', tags_desc: null, qtys: '1' },
    ]);
  });

  it('sums UHUGEINT exactly as HUGEINT (DuckDB alone sums it into a DOUBLE: 9007199254740993 came out as ...992)', async () => {
    const src = `SELECT * FROM (VALUES (9007199254740993::UHUGEINT), (0::UHUGEINT)) t(big)`;
    const r = await rows({ aggregations: [{ name: 'total', function: 'sum', column: 'big' }] }, src);
    expect(r.columns).toEqual(['total HUGEINT']);
    expect(r.rows).toEqual([{ total: '9007199254740993' }]);
  });

  it('without group columns: one row for the whole input', async () => {
    expect((await rows({ aggregations: [{ name: 'n', function: 'count' }, { name: 'qty', function: 'sum', column: 'qty' }] })).rows).toEqual([{ n: '6', qty: '43' }]);
  });

  it('an empty input without group columns still gives one row (count 0, others NULL), as SQL does', async () => {
    const empty = `SELECT * FROM (${SRC}) WHERE false`;
    const aggs = [
      { name: 'n', function: 'count' },
      { name: 'qty', function: 'sum', column: 'qty' },
      { name: 'names', function: 'string_agg', column: 'Customer Name' },
    ];
    expect((await rows({ aggregations: aggs }, empty)).rows).toEqual([{ n: '0', qty: null, names: null }]);
    expect((await rows({ group_by: ['country'], aggregations: aggs }, empty)).rows).toEqual([]);
  });

  it('having filters groups on output columns, with pipeline params as literals', async () => {
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: SRC } },
        { id: 'agg', type: 'transform.aggregate', params: { group_by: ['country'], aggregations: [{ name: 'orders', function: 'count' }], having: 'orders >= $min' } },
      ],
      ['src -> agg'],
      { params: { min: { type: 'number', default: 2 } } },
    );
    const r = await preview(doc, dir, 'agg');
    expect([...r.rows].sort((a, b) => String(a.country).localeCompare(String(b.country)))).toEqual([
      { country: 'DE', orders: '2' },
      { country: 'FR', orders: '3' },
    ]);
  });

  it('groups by several columns, names with spaces and mixed case', async () => {
    const r = await preview(over({ group_by: ['country', 'Customer Name'], aggregations: [{ name: 'Total Qty', function: 'sum', column: 'qty' }] }), dir, 'agg');
    expect(r.columns.map((c) => c.name)).toEqual(['country', 'Customer Name', 'Total Qty']);
    expect(r.rows.filter((x) => x.country === 'DE')).toEqual([{ country: 'DE', 'Customer Name': 'Otto', 'Total Qty': '12' }]);
  });

  it('reports an unknown group or aggregated column with the closest name', async () => {
    expect(await problemsOf(over({ group_by: ['contry'], aggregations: [{ name: 'n', function: 'count' }] }), dir)).toEqual([
      expect.objectContaining({ code: 'unknown_column', message: expect.stringContaining("unknown column 'contry' in node 'agg' (did you mean 'country'?)") }),
    ]);
    expect(await problemsOf(over({ aggregations: [{ name: 's', function: 'sum', column: 'qyt' }] }), dir)).toEqual([
      expect.objectContaining({ code: 'unknown_column', message: expect.stringContaining("(did you mean 'qty'?)") }),
    ]);
  });

  it('refuses having on an input column, saying which names having can use', async () => {
    const problems = await problemsOf(over({ group_by: ['country'], aggregations: [{ name: 'total', function: 'sum', column: 'qty' }], having: "sum(price) > 5 AND day > DATE '2025-01-01'" }), dir);
    expect(problems).toEqual([
      expect.objectContaining({
        path: 'nodes[1].params.having',
        message: "node 'agg': having uses 'price', 'day', columns of the input; having filters the grouped rows, so it can use the group columns and the aggregations' names (country, total)",
      }),
    ]);
    // Function names and typed literals are not columns; output names are fine.
    expect(await problemsOf(over({ group_by: ['country'], aggregations: [{ name: 'total', function: 'sum', column: 'qty' }], having: "total > 5 AND country <> 'XX'" }), dir)).toEqual([]);
  });

  it('refuses sum, avg, median, percentile, stddev of a text column, naming the aggregation and column', async () => {
    const problems = await problemsOf(over({ group_by: ['country'], aggregations: [{ name: 'tags', function: 'sum', column: 'tag' }] }), dir);
    expect(problems).toEqual([
      expect.objectContaining({ path: 'nodes[1].params.aggregations[0].column', message: "node 'agg': aggregation 'tags' (sum) needs numbers, but column 'tag' is VARCHAR" }),
    ]);
    expect(problems[0]!.hint).toContain('a Cast node');
  });

  it('reports params that need no data before the run', async () => {
    const problems = await problemsOf(
      over({
        group_by: ['country'],
        aggregations: [
          { name: 'country', function: 'count' },
          { name: 's', function: 'sum' },
          { name: 'p', function: 'percentile', column: 'qty' },
          { name: 'f', function: 'first', column: 'tag' },
        ],
      }),
      dir,
    );
    expect(problems.map((p) => p.path)).toEqual([
      'nodes[1].params.aggregations[0].name',
      'nodes[1].params.aggregations[1].column',
      'nodes[1].params.aggregations[2].p',
      'nodes[1].params.aggregations[3].order_by',
    ]);
  });

  it('compiles to one GROUP BY query (snapshot)', async () => {
    const r = await inspect({
      pipeline: over({
        group_by: ['country'],
        aggregations: [
          { name: 'n', function: 'count' },
          { name: 'p90', function: 'percentile', column: 'qty', p: 0.9 },
          { name: 'last_tag', function: 'last', column: 'tag', order_by: 'day' },
          { name: 'names', function: 'string_agg', column: 'Customer Name', separator: "'; " },
        ],
        having: 'n > 1',
      }),
      baseDir: dir,
    });
    expect(r.problems).toEqual([]);
    expect(r.nodes.find((n) => n.nodeId === 'agg')!.outputs[0]!.sql).toMatchSnapshot();
  });
});
