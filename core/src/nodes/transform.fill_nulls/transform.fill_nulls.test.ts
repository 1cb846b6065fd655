import { beforeAll, describe, expect, it } from 'vitest';
import { inspect, pipeline, preview, problemsOf, tempDir } from '../../../../test/support/pipeline.js';

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-fill-');
});

const SRC = `SELECT * FROM (VALUES
  (1::INTEGER, 'A', DATE '2025-01-01', 10::INTEGER, 'José Muñoz', 1.5::DOUBLE),
  (2, 'A', DATE '2025-01-02', NULL, NULL, NULL),
  (3, 'A', DATE '2025-01-03', 13, 'Zoë', 2.5),
  (4, 'B', DATE '2025-01-01', NULL, NULL, 4.0),
  (5, 'B', DATE '2025-01-02', 20, 'Zoë', NULL),
  (6, NULL, DATE '2025-01-01', NULL, 'x', NULL)
) t(id, "Group", day, qty, name, price)`;

const fillOver = (params: Record<string, unknown>, query = SRC) =>
  pipeline(
    [
      { id: 'src', type: 'transform.sql', params: { query } },
      { id: 'fill', type: 'transform.fill_nulls', params },
    ],
    ['src -> fill'],
  );
type Row = Record<string, unknown>;
const rowsOf = async (params: Record<string, unknown>, query = SRC) => (await preview(fillOver(params, query), dir, 'fill')).rows.sort((a: Row, b: Row) => Number(a.id) - Number(b.id));
const column = async (params: Record<string, unknown>, name: string) => (await rowsOf(params)).map((r) => r[name]);
const messages = async (params: Record<string, unknown>) => (await problemsOf(fillOver(params), dir)).map((p) => `${p.path}: ${p.message}`);

describe('transform.fill_nulls', () => {
  it('fills constants converted to each column type, leaving other values and columns alone', async () => {
    const r = await preview(
      fillOver({
        rules: [
          { column: 'qty', strategy: 'constant', value: 0 },
          { column: 'name', strategy: 'constant', value: 'unknown' },
          { column: 'price', strategy: 'constant', value: '9.5' },
          { column: 'day', strategy: 'constant', value: '2000-01-01' },
        ],
      }),
      dir,
      'fill',
    );
    expect(r.columns.map((c) => `${c.name} ${c.type}`)).toEqual(['id INTEGER', 'Group VARCHAR', 'day DATE', 'qty INTEGER', 'name VARCHAR', 'price DOUBLE']);
    expect(r.rows.sort((a, b) => Number(a.id) - Number(b.id))).toEqual([
      { id: 1, Group: 'A', day: '2025-01-01', qty: 10, name: 'José Muñoz', price: 1.5 },
      { id: 2, Group: 'A', day: '2025-01-02', qty: 0, name: 'unknown', price: 9.5 },
      { id: 3, Group: 'A', day: '2025-01-03', qty: 13, name: 'Zoë', price: 2.5 },
      { id: 4, Group: 'B', day: '2025-01-01', qty: 0, name: 'unknown', price: 4 },
      { id: 5, Group: 'B', day: '2025-01-02', qty: 20, name: 'Zoë', price: 9.5 },
      { id: 6, Group: null, day: '2025-01-01', qty: 0, name: 'x', price: 9.5 },
    ]);
  });

  it('reports a constant that does not convert to the column type before the run, naming the column', async () => {
    expect(await messages({ rules: [{ column: 'qty', strategy: 'constant', value: 'lots' }] })).toEqual([
      `nodes[1].params.rules[0].value: node 'fill': the fill value "lots" for column 'qty' does not convert to its type INTEGER without change`,
    ]);
  });

  it('refuses a constant that its column type would change (DuckDB\'s cast would fill 2 for 1.5), and takes exact ones', async () => {
    expect(await messages({ rules: [{ column: 'qty', strategy: 'constant', value: 1.5 }] })).toEqual([
      `nodes[1].params.rules[0].value: node 'fill': the fill value 1.5 for column 'qty' does not convert to its type INTEGER without change`,
    ]);
    expect(await messages({ rules: [{ column: 'day', strategy: 'constant', value: '2025-01-01 10:00' }] })).toEqual([
      `nodes[1].params.rules[0].value: node 'fill': the fill value "2025-01-01 10:00" for column 'day' does not convert to its type DATE without change`,
    ]);
    expect(await messages({ rules: [{ column: 'qty', strategy: 'constant', value: '7' }, { column: 'day', strategy: 'constant', value: '2025-01-01' }] })).toEqual([]);
  });

  it('checks a list constant element by element (DuckDB\'s cast would fill [2, 2] for [1.5, 2]), and fills exact ones', async () => {
    const lists = `SELECT * FROM (VALUES (1, [1, 2]::INTEGER[], [DATE '2025-01-01']), (2, NULL, NULL)) t(id, qty, days)`;
    const listMessages = async (rules: unknown[]) => (await problemsOf(fillOver({ rules }, lists), dir)).map((p) => p.message);
    expect(await listMessages([{ column: 'qty', strategy: 'constant', value: '[1.5, 2]' }])).toEqual([
      `node 'fill': the fill value "[1.5, 2]" for column 'qty' does not convert to its type INTEGER[] without change`,
    ]);
    expect(await listMessages([{ column: 'qty', strategy: 'constant', value: '[0x10]' }])).toHaveLength(1);
    expect(await listMessages([{ column: 'days', strategy: 'constant', value: '[2025-01-01 10:00]' }])).toHaveLength(1);
    expect(await listMessages([{ column: 'qty', strategy: 'constant', value: 7 }])).toHaveLength(1);
    const filled = await preview(fillOver({ rules: [{ column: 'qty', strategy: 'constant', value: '[7, NULL, -1]' }, { column: 'days', strategy: 'constant', value: '[2025-02-03]' }] }, lists), dir, 'fill');
    expect(filled.rows.map((r) => [r.qty, r.days])).toEqual([
      [[1, 2], ['2025-01-01']],
      [[7, null, -1], ['2025-02-03']],
    ]);
  });

  it('refuses a constant written other than as a plain number for a number column, or beyond what its type holds', async () => {
    const q = `SELECT * FROM (VALUES (1, 1::BIGINT, 1.5::DOUBLE, 1.5::DECIMAL(10,2)), (2, NULL, NULL, NULL)) t(id, big, dbl, dec)`;
    const refused = async (column: string, value: unknown) =>
      (await problemsOf(fillOver({ rules: [{ column, strategy: 'constant', value }] }, q), dir)).map((p) => p.message);
    // DuckDB reads '0x10' as 16, '1_000' as 1000, '1e400' as Infinity and '1e-400' as 0.
    for (const [column, value] of [['big', '0x10'], ['big', '0b11'], ['big', '1_000'], ['big', ' 7'], ['big', true], ['dbl', '1e400'], ['dbl', '-1e400'], ['dbl', '1e-400'], ['dbl', 'inf'], ['dbl', 'nan'], ['dbl', '0x10'], ['dec', '0x10']] as const)
      expect(await refused(column, value), `${column} ${String(value)}`).toEqual([expect.stringContaining(`the fill value ${JSON.stringify(value)} for column '${column}' does not convert to its type`)]);
    const r = await preview(fillOver({ rules: [{ column: 'big', strategy: 'constant', value: '1e3' }, { column: 'dbl', strategy: 'constant', value: '-0.0e5' }, { column: 'dec', strategy: 'constant', value: '+2.50' }] }, q), dir, 'fill');
    expect(r.rows.find((x) => x.id === 2)).toEqual({ id: 2, big: '1000', dbl: -0, dec: '2.50' });
  });

  it('fills the mean and median of integer and DECIMAL columns exactly (not through DOUBLE), rounded half away from zero', async () => {
    const q = `SELECT * FROM (VALUES
      (1, 'a', 9007199254740993::BIGINT, 1::BIGINT, -1::INTEGER, 1.50::DECIMAL(10,2)),
      (2, 'a', 9007199254740993, 2, -2, 2.25),
      (3, 'a', NULL, NULL, NULL, NULL),
      (4, 'b', 9007199254740993, 4, 7, 0.01),
      (5, 'b', NULL, NULL, NULL, NULL)
    ) t(id, g, big, small, neg, dec)`;
    const filled = async (strategy: string, partition: string[]) => {
      const rules = ['big', 'small', 'neg', 'dec'].map((column) => ({ column, strategy }));
      const r = await preview(fillOver({ rules, partition_by: partition }, q), dir, 'fill');
      return r.rows.filter((x) => x.id === 3 || x.id === 5).sort((a, b) => Number(a.id) - Number(b.id)).map((x) => [x.big, x.small, x.neg, x.dec]);
    };
    // Whole column: big 9007199254740993 (DOUBLE would give ...992); small (1+2+4)/3 = 2.33 → 2; neg (-1-2+7)/3 = 1.33 → 1;
    // dec (1.50+2.25+0.01)/3 = 1.2533 → 1.25.
    expect(await filled('mean', [])).toEqual([
      ['9007199254740993', '2', 1, '1.25'],
      ['9007199254740993', '2', 1, '1.25'],
    ]);
    // Per group a: small 1.5 → 2, neg -1.5 → -2, dec 1.875 → 1.88; group b: its single values.
    expect(await filled('mean', ['g'])).toEqual([
      ['9007199254740993', '2', -2, '1.88'],
      ['9007199254740993', '4', 7, '0.01'],
    ]);
    // Median of group a: between the two middle values, exactly, then rounded the same way.
    expect(await filled('median', ['g'])).toEqual([
      ['9007199254740993', '2', -2, '1.88'],
      ['9007199254740993', '4', 7, '0.01'],
    ]);
    expect(await filled('median', [])).toEqual([
      ['9007199254740993', '2', -1, '1.50'],
      ['9007199254740993', '2', -1, '1.50'],
    ]);
  });

  it('fills the median of a DATE column half-way between two days with the later one, as integers round', async () => {
    const q = `SELECT * FROM (VALUES (1, DATE '2024-01-01'), (2, DATE '2024-01-02'), (3, NULL), (4, DATE '2024-03-01'), (5, DATE '2024-03-05'), (6, NULL)) t(id, day)`;
    const days = async (partition: string[]) => {
      const grouped = partition.length > 0 ? `SELECT *, id > 3 AS late FROM (${q})` : q;
      const r = await preview(fillOver({ rules: [{ column: 'day', strategy: 'median' }], partition_by: partition }, grouped), dir, 'fill');
      return r.rows.filter((x) => x.id === 3 || x.id === 6).sort((a, b) => Number(a.id) - Number(b.id)).map((x) => x.day);
    };
    expect(await days(['late'])).toEqual(['2024-01-02', '2024-03-03']);
    // Whole column: 2024-01-02 and 2024-03-01 are the middle two, 59 days apart: half-way is 2024-01-31 12:00.
    expect(await days([])).toEqual(['2024-02-01', '2024-02-01']);
  });

  it('fills with the mean, median and mode of the whole column, rounded to the column type', async () => {
    const r = await rowsOf({
      rules: [
        { column: 'qty', strategy: 'mean' }, // (10 + 13 + 20) / 3 = 14.33 → 14
        { column: 'price', strategy: 'median' }, // 1.5, 2.5, 4 → 2.5
        { column: 'name', strategy: 'mode' }, // Zoë twice
      ],
    });
    expect(r.map((x) => [x.qty, x.price, x.name])).toEqual([
      [10, 1.5, 'José Muñoz'],
      [14, 2.5, 'Zoë'],
      [13, 2.5, 'Zoë'],
      [14, 4, 'Zoë'],
      [20, 2.5, 'Zoë'],
      [14, 2.5, 'x'],
    ]);
  });

  it('computes statistics per group; a tie for the mode goes to the smallest value; an all-NULL group stays NULL', async () => {
    const r = await rowsOf({
      partition_by: ['Group'],
      rules: [
        { column: 'qty', strategy: 'mean' }, // A: (10 + 13) / 2 = 11.5 → 12, B: 20, NULL group: no values
        { column: 'name', strategy: 'mode' }, // A: 'José Muñoz' and 'Zoë' once each → 'José Muñoz'
      ],
    });
    expect(r.map((x) => [x.id, x.qty, x.name])).toEqual([
      [1, 10, 'José Muñoz'],
      [2, 12, 'José Muñoz'],
      [3, 13, 'Zoë'],
      [4, 20, 'Zoë'],
      [5, 20, 'Zoë'],
      [6, null, 'x'],
    ]);
  });

  it('fills down and up within groups, in the order given', async () => {
    const base = { partition_by: ['Group'], order_by: [{ column: 'day' }] };
    expect(await column({ ...base, rules: [{ column: 'qty', strategy: 'previous' }] }, 'qty')).toEqual([10, 10, 13, null, 20, null]);
    expect(await column({ ...base, rules: [{ column: 'qty', strategy: 'next' }] }, 'qty')).toEqual([10, 13, 13, 20, 20, null]);
    // descending: the "previous" row of id 2 is now id 3
    expect(await column({ ...base, order_by: [{ column: 'day', direction: 'desc' }], rules: [{ column: 'qty', strategy: 'previous' }] }, 'qty')).toEqual([10, 13, 13, 20, 20, null]);
  });

  it('without groups, previous/next run over the whole input', async () => {
    expect(await column({ order_by: [{ column: 'id' }], rules: [{ column: 'price', strategy: 'previous' }] }, 'price')).toEqual([1.5, 1.5, 2.5, 4, 4, 4]);
  });

  it('breaks ties in the order by the other columns, so the result does not depend on the input order', async () => {
    const q = `SELECT * FROM (VALUES (1::INTEGER, 1::INTEGER, 'b'), (2, 1, 'a'), (3, 2, NULL)) t(id, d, v)`;
    const params = { order_by: [{ column: 'd' }], rules: [{ column: 'v', strategy: 'previous' }] };
    // rows 1 and 2 tie on d; among them id 1 sorts first, so row 2 is "last" before row 3
    expect((await rowsOf(params, q)).map((r) => r.v)).toEqual(['b', 'a', 'a']);
    expect((await rowsOf(params, `SELECT * FROM (${q}) ORDER BY id DESC`)).map((r) => r.v)).toEqual(['b', 'a', 'a']);
  });

  it('drops rows first, then takes statistics from the rows that remain', async () => {
    const r = await rowsOf({ rules: [{ column: 'name', strategy: 'drop_row' }, { column: 'price', strategy: 'mean' }] });
    // remaining prices 1.5, 2.5 (ids 1, 3) → mean 2
    expect(r.map((x) => [x.id, x.price])).toEqual([
      [1, 1.5],
      [3, 2.5],
      [5, 2],
      [6, 2],
    ]);
  });

  it('keeps an input column whose name looks like the helper the grouped mode uses', async () => {
    const q = `SELECT 1::INTEGER AS id, 'A' AS g, NULL::VARCHAR AS v, 7 AS _caudal_mode_count_0 UNION ALL SELECT 2, 'A', 'x', 8`;
    const r = await preview(fillOver({ partition_by: ['g'], rules: [{ column: 'v', strategy: 'mode' }] }, q), dir, 'fill');
    expect(r.columns.map((c) => c.name)).toEqual(['id', 'g', 'v', '_caudal_mode_count_0']);
    expect(r.rows.sort((a, b) => Number(a.id) - Number(b.id))).toEqual([
      { id: 1, g: 'A', v: 'x', _caudal_mode_count_0: 7 },
      { id: 2, g: 'A', v: 'x', _caudal_mode_count_0: 8 },
    ]);
  });

  it('an empty input gives an empty output with the same columns', async () => {
    const r = await preview(fillOver({ rules: [{ column: 'qty', strategy: 'mean' }, { column: 'name', strategy: 'mode' }] }, `${SRC} WHERE false`), dir, 'fill');
    expect(r.rows).toEqual([]);
    expect(r.columns.map((c) => c.name)).toEqual(['id', 'Group', 'day', 'qty', 'name', 'price']);
  });

  it('refuses a mean of a text column, naming it', async () => {
    expect(await messages({ rules: [{ column: 'name', strategy: 'mean' }] })).toEqual([
      "nodes[1].params.rules[0].strategy: node 'fill': column 'name' is VARCHAR; the mean needs a numeric column",
    ]);
  });

  it('reports unknown columns with the closest name, and rules that cannot work', async () => {
    expect(await messages({ rules: [{ column: 'quantity', strategy: 'mean' }, { column: 'qty', strategy: 'mean' }] })).toEqual([
      expect.stringMatching(/^nodes\[1\]\.params\.rules\[0\]\.column: unknown column 'quantity' in node 'fill'/),
    ]);
    expect(await messages({ partition_by: ['grup'], rules: [{ column: 'qty', strategy: 'mean' }] })).toEqual([
      "nodes[1].params.partition_by[0]: unknown column 'grup' in node 'fill' (did you mean 'Group'?)",
    ]);
    expect(await messages({ rules: [{ column: 'qty', strategy: 'previous' }, { column: 'name', strategy: 'constant' }, { column: 'QTY', strategy: 'mean', value: 1 }] })).toEqual([
      "nodes[1].params.rules[2].column: node 'fill' (transform.fill_nulls): column 'QTY' has two rules",
      "nodes[1].params.order_by: node 'fill' (transform.fill_nulls): filling 'qty' with the previous value needs an order",
      "nodes[1].params.rules[1].value: node 'fill' (transform.fill_nulls): a constant fill for 'name' needs a value",
      'nodes[1].params.rules[2].value: node \'fill\' (transform.fill_nulls): a value is only used with the "constant" strategy, not "mean"',
    ]);
  });

  it('compiles to one SELECT * REPLACE with coalesce per column', async () => {
    const result = await inspect({
      pipeline: fillOver({
        partition_by: ['Group'],
        order_by: [{ column: 'day' }],
        rules: [
          { column: 'qty', strategy: 'previous' },
          { column: 'price', strategy: 'constant', value: 0 },
          { column: 'name', strategy: 'mode' },
          { column: 'id', strategy: 'drop_row' },
        ],
      }),
      baseDir: dir,
    });
    expect(result.problems).toEqual([]);
    expect(result.nodes.find((n) => n.nodeId === 'fill')!.outputs[0]!.sql).toMatchSnapshot();
  });
});
