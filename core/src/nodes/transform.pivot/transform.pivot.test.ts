import { beforeAll, describe, expect, it } from 'vitest';
import { inspect, pipeline, preview, problemsOf, tempDir } from '../../../../test/support/pipeline.js';

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-pivot-');
});

const SRC = `SELECT * FROM (VALUES
  ('José Muñoz', 'web',   5, DATE '2024-01-03'),
  ('José Muñoz', 'web',   7, DATE '2024-01-01'),
  ('José Muñoz', 'store', NULL, DATE '2024-01-02'),
  ('Zoë',        'store', 2, DATE '2024-01-05'),
  ('Zoë',        'fax',   9, DATE '2024-01-04'),
  ('Zoë',        NULL,    4, DATE '2024-01-06'),
  (NULL,         'web',   1, NULL)
) t("Customer Name", channel, qty, "Order Day")`;

const pivotOver = (params: Record<string, unknown>, src = SRC) =>
  pipeline(
    [
      { id: 'src', type: 'transform.sql', params: { query: src } },
      { id: 'p', type: 'transform.pivot', params },
      { id: 'sorted', type: 'transform.sort', params: { by: [{ column: 'Customer Name' }] } },
    ],
    ['src -> p', 'p -> sorted'],
  );
const table = async (params: Record<string, unknown>, src = SRC) => {
  const r = await preview(pivotOver(params, src), dir, 'sorted');
  return { columns: r.columns.map((c) => `${c.name} ${c.type}`), rows: r.rows };
};
const base = { group_by: ['Customer Name'], pivot_column: 'channel', values: ['web', 'store'] };

describe('transform.pivot', () => {
  it('sums a value column per group and listed value; unlisted and NULL pivot values count for no cell', async () => {
    expect(await table({ ...base, aggregate: 'sum', value_column: 'qty' })).toEqual({
      columns: ['Customer Name VARCHAR', 'web HUGEINT', 'store HUGEINT'],
      rows: [
        { 'Customer Name': 'José Muñoz', web: '12', store: null },
        { 'Customer Name': 'Zoë', web: null, store: '2' },
        { 'Customer Name': null, web: '1', store: null },
      ],
    });
  });

  it('counts rows (0 for an empty cell) or non-null values', async () => {
    expect((await table({ ...base, aggregate: 'count' })).rows).toEqual([
      { 'Customer Name': 'José Muñoz', web: '2', store: '1' },
      { 'Customer Name': 'Zoë', web: '0', store: '1' },
      { 'Customer Name': null, web: '1', store: '0' },
    ]);
    expect((await table({ ...base, aggregate: 'count', value_column: 'qty' })).rows[0]).toEqual({ 'Customer Name': 'José Muñoz', web: '2', store: '0' });
  });

  it('averages, and takes min and max', async () => {
    expect((await table({ ...base, aggregate: 'avg', value_column: 'qty' })).rows[0]).toEqual({ 'Customer Name': 'José Muñoz', web: 6, store: null });
    expect((await table({ ...base, aggregate: 'min', value_column: 'Order Day' })).rows[0]).toEqual({ 'Customer Name': 'José Muñoz', web: '2024-01-01', store: '2024-01-02' });
    expect((await table({ ...base, aggregate: 'max', value_column: 'qty' })).rows[0]).toEqual({ 'Customer Name': 'José Muñoz', web: 7, store: null });
  });

  it('takes the first value by order_by, whatever the row order, skipping rows without a value or an order (as transform.aggregate)', async () => {
    expect((await table({ ...base, aggregate: 'first', value_column: 'qty', order_by: 'Order Day' })).rows).toEqual([
      { 'Customer Name': 'José Muñoz', web: 7, store: null },
      { 'Customer Name': 'Zoë', web: null, store: 2 },
      // its one web row has no Order Day
      { 'Customer Name': null, web: null, store: null },
    ]);
  });

  it('names columns from the pattern, keeping accents and spaces', async () => {
    const r = await table({ ...base, values: ['web', 'tienda física'], aggregate: 'count', column_name: '{value} {aggregate}' });
    expect(r.columns).toEqual(['Customer Name VARCHAR', 'web count BIGINT', 'tienda física count BIGINT']);
  });

  it('gives one row without group-by columns, and matches numbers given as text', async () => {
    const nums = `SELECT * FROM (VALUES (2023, 1.5), (2024, 2.0), (2024, 3.0)) t(yr, amount)`;
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: nums } },
        { id: 'p', type: 'transform.pivot', params: { pivot_column: 'yr', values: ['2024', 2023], value_column: 'amount', column_name: 'y{value}' } },
      ],
      ['src -> p'],
    );
    expect((await preview(doc, dir, 'p')).rows).toEqual([{ y2024: '5.0', y2023: '1.5' }]);
  });

  it('refuses a value the pivot column type would change before the run (it would match other rows)', async () => {
    const src = `SELECT * FROM (VALUES (13, DATE '2024-01-31', 1.5)) t(n, day, amount)`;
    const problemsFor = (params: Record<string, unknown>) =>
      problemsOf(pipeline([{ id: 'src', type: 'transform.sql', params: { query: src } }, { id: 'p', type: 'transform.pivot', params: { value_column: 'amount', ...params } }], ['src -> p']), dir);
    const [n] = await problemsFor({ pivot_column: 'n', values: ['12.5'], column_name: 'n{value}' });
    expect(n).toMatchObject({ code: 'invalid_param', path: 'nodes[1].params.values[0]' });
    expect(n!.message).toBe(`node 'p': the value "12.5" is not a valid INTEGER (or would change converting to it), the type of the pivot column 'n'`);
    const [d] = await problemsFor({ pivot_column: 'day', values: ['2024-01-30', '2024-01-31 10:00'] });
    expect(d).toMatchObject({ path: 'nodes[1].params.values[1]' });
    expect(await problemsFor({ pivot_column: 'day', values: ['2024-01-31'] })).toEqual([]);
  });

  it('refuses a number or boolean value for a text pivot column before the run (DuckDB would read each text as a number: \'01\', \'1.0\', \' 1\' all count as 1)', async () => {
    const codes = `SELECT * FROM (VALUES ('a', '1', 10), ('a', '01', 20), ('a', '1.0', 30), ('a', ' 1', 40), ('a', 'abc', 50)) t(g, p, v)`;
    const doc = (values: unknown[]) => pivotOver({ group_by: ['g'], pivot_column: 'p', values, value_column: 'v', column_name: 'code_{value}' }, codes);
    const problems = await problemsOf(doc([1, 2]), dir);
    expect(problems).toEqual([
      expect.objectContaining({
        code: 'invalid_param',
        path: 'nodes[1].params.values[0]',
        message: `node 'p': the value 1 is a number, but the pivot column 'p' is text (VARCHAR): comparing them would read each text as a number, so text written another way (a leading zero or space, a trailing .0) would count as 1 too, and text that is not a number would stop the run`,
        hint: 'write the value as text, "1", to match exactly that text (or convert the column first with transform.cast)',
      }),
    ]);
    expect(await problemsOf(doc(['1', true]), dir)).toEqual([expect.objectContaining({ path: 'nodes[1].params.values[1]', message: expect.stringContaining(`the value true is a boolean, but the pivot column 'p' is text (VARCHAR)`) })]);
    // Written as text, the value matches exactly that text.
    expect((await preview(doc(['1', '01']), dir, 'p')).rows).toEqual([{ g: 'a', code_1: '10', code_01: '20' }]);
  });

  it('refuses a value that gives an empty column name, and unknown placeholders in column_name', async () => {
    const messages = async (params: Record<string, unknown>) =>
      (await problemsOf(pivotOver({ ...base, aggregate: 'count', ...params }), dir)).map((p) => [p.path, p.message.replace(/^node 'p' \(transform.pivot\): /, ''), p.hint]);
    expect(await messages({ values: ['web', ''] })).toEqual([
      ['nodes[1].params.values[1]', 'value "" gives an empty column name', 'set column_name to a pattern with text around {value}, e.g. {value}_{aggregate} or code_{value}'],
    ]);
    expect(await messages({ values: ['web', ''], column_name: 'ch_{value}' })).toEqual([]);
    expect(await messages({ column_name: '{value}_{foo}_{Value}' })).toEqual([
      ['nodes[1].params.column_name', "column_name has unknown placeholders '{foo}', '{Value}': the placeholders are {value}, {aggregate}, {column}", 'e.g. {value}_{aggregate}'],
    ]);
  });

  it('gives no rows for an empty input, with the columns already known', async () => {
    expect(await table({ ...base, aggregate: 'sum', value_column: 'qty' }, `${SRC} WHERE false`)).toEqual({
      columns: ['Customer Name VARCHAR', 'web HUGEINT', 'store HUGEINT'],
      rows: [],
    });
  });

  it('compiles to one GROUP BY with an aggregate per value (CASE, not FILTER: many FILTER clauses cost DuckDB time squared)', async () => {
    const result = await inspect({ pipeline: pivotOver({ ...base, values: ['web', "o'clock"], aggregate: 'first', value_column: 'qty', order_by: 'Order Day', column_name: '{value}_{column}' }), baseDir: dir });
    expect(result.problems).toEqual([]);
    expect(result.nodes.find((n) => n.nodeId === 'p')!.outputs[0]!.sql).toMatchSnapshot();
  });

  it('reports unknown columns with the closest name, before running', async () => {
    for (const [params, name, near] of [
      [{ ...base, pivot_column: 'chanel', aggregate: 'count' }, 'chanel', 'channel'],
      [{ ...base, aggregate: 'sum', value_column: 'qtty' }, 'qtty', 'qty'],
      [{ ...base, group_by: ['Customer name '], aggregate: 'count' }, 'Customer name ', 'Customer Name'],
    ] as const) {
      const problems = await problemsOf(pivotOver(params), dir);
      expect(problems).toEqual([expect.objectContaining({ code: 'unknown_column', message: expect.stringContaining(`unknown column '${name}' in node 'p' (did you mean '${near}'?)`) })]);
    }
  });

  it('refuses clashing output names, a missing value column and first without order_by', async () => {
    const problems = await problemsOf(pivotOver({ group_by: ['Customer Name', 'web'], pivot_column: 'channel', values: ['web', 'Store', 'store'], aggregate: 'first' }), dir);
    expect(problems.map((p) => [p.path, p.message.replace(/^node 'p' \(transform.pivot\): /, '')])).toEqual([
      ['nodes[1].params.value_column', "aggregate 'first' needs a value column"],
      ['nodes[1].params.order_by', "aggregate 'first' needs order_by to say which row is first"],
      ['nodes[1].params.values[0]', `value "web" gives column 'web', which clashes with group-by column 'web'`],
      [
        'nodes[1].params.values[2]',
        `values "Store" and "store" differ only in the case of their letters, and column names do not (they ignore the case of A-Z): their columns would clash whatever column_name says`,
      ],
    ]);
    const [twins] = await problemsOf(pivotOver({ ...base, values: ['n1', 'N1'], column_name: '{value}_{aggregate}', aggregate: 'count' }), dir);
    expect(twins?.hint).toBe('make them one spelling before the pivot (transform.clean_text with case lower or upper, or transform.map_values), then list that spelling once');
  });

  it('gives NaN and ±Infinity of a DOUBLE pivot column their cells, written as text', async () => {
    const src = `SELECT * FROM (VALUES ('a', 'nan'::DOUBLE, 1), ('a', 'inf'::DOUBLE, 2), ('a', '-inf'::DOUBLE, 4), ('a', 0.5, 8), ('a', 'nan'::DOUBLE, 16)) t(g, f, qty)`;
    const r = await preview(pivotOver({ group_by: ['g'], pivot_column: 'f', values: ['nan', 'inf', '-inf', 0.5], aggregate: 'sum', value_column: 'qty' }, src), dir, 'p');
    expect(r.rows).toEqual([{ g: 'a', nan: '17', inf: '2', '-inf': '4', '0.5': '8' }]);
    const [problem] = await problemsOf(pivotOver({ group_by: ['g'], pivot_column: 'f', values: ['nope'], aggregate: 'count' }, src), dir);
    expect(problem?.hint).toBe('write it as a DOUBLE, as the column\'s values are (NaN and Infinity as the text "nan", "inf" or "-inf")');
  });
});
