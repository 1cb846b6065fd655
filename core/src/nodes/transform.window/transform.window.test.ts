import { beforeAll, describe, expect, it } from 'vitest';
import { inspect, pipeline, preview, problemsOf, tempDir } from '../../../../test/support/pipeline.js';

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-window-');
});

// Two customers; José has a tie on 2025-01-02 (ids 2 and 3) and a NULL amount.
const SRC = `SELECT * FROM (VALUES
  (1::INTEGER, 'José Muñoz', DATE '2025-01-01', 10::INTEGER),
  (2, 'José Muñoz', DATE '2025-01-02', 20),
  (3, 'José Muñoz', DATE '2025-01-02', 30),
  (4, 'José Muñoz', DATE '2025-01-05', NULL),
  (5, 'Zoë', DATE '2025-01-01', 5),
  (6, 'Zoë', NULL, 7)
) t(id, "Customer Name", day, amount)`;
const over = (params: Record<string, unknown>, src = SRC) =>
  pipeline(
    [
      { id: 'src', type: 'transform.sql', params: { query: src } },
      { id: 'w', type: 'transform.window', params },
    ],
    ['src -> w'],
  );
const rows = async (params: Record<string, unknown>, src = SRC) => {
  const r = await preview(over(params, src), dir, 'w');
  return [...r.rows].sort((a, b) => Number(a.id) - Number(b.id));
};
const BY_CUSTOMER = { partition_by: ['Customer Name'], order_by: [{ column: 'day' }, { column: 'id' }] };
const pick = (rs: Record<string, unknown>[], ...names: string[]) => rs.map((r) => names.map((n) => r[n]));

describe('transform.window', () => {
  it('numbers rows per partition in order, NULL order values last', async () => {
    const r = await rows({ ...BY_CUSTOMER, columns: [{ name: 'seq', function: 'row_number' }] });
    expect(pick(r, 'id', 'seq')).toEqual([
      [1, '1'],
      [2, '2'],
      [3, '3'],
      [4, '4'],
      [5, '1'],
      [6, '2'],
    ]);
  });

  it('rank and dense_rank share ranks between ties; percent_rank goes from 0 to 1', async () => {
    const r = await rows({
      partition_by: ['Customer Name'],
      order_by: [{ column: 'day' }],
      columns: [
        { name: 'rank', function: 'rank' },
        { name: 'dense', function: 'dense_rank' },
        { name: 'pct', function: 'percent_rank' },
      ],
    });
    expect(pick(r, 'id', 'rank', 'dense', 'pct')).toEqual([
      [1, '1', '1', 0],
      [2, '2', '2', 1 / 3],
      [3, '2', '2', 1 / 3],
      [4, '4', '3', 1],
      [5, '1', '1', 0],
      [6, '2', '2', 1],
    ]);
  });

  it('running totals include ties, so they do not depend on how ties are ordered; NULLs are skipped', async () => {
    const r = await rows({
      partition_by: ['Customer Name'],
      order_by: [{ column: 'day' }],
      columns: [
        { name: 'total', function: 'running_sum', column: 'amount' },
        { name: 'n', function: 'running_count' },
        { name: 'n_amount', function: 'running_count', column: 'amount' },
        { name: 'avg', function: 'running_avg', column: 'amount' },
        { name: 'hi', function: 'running_max', column: 'amount' },
        { name: 'lo', function: 'running_min', column: 'amount' },
      ],
    });
    expect(pick(r, 'id', 'total', 'n', 'n_amount', 'avg', 'hi', 'lo')).toEqual([
      [1, '10', '1', '1', 10, 10, 10],
      [2, '60', '3', '3', 20, 30, 10],
      [3, '60', '3', '3', 20, 30, 10],
      [4, '60', '4', '3', 20, 30, 10],
      [5, '5', '1', '1', 5, 5, 5],
      [6, '12', '2', '2', 6, 7, 5],
    ]);
  });

  it('lag and lead read rows before / after, with a typed default', async () => {
    const r = await rows({
      ...BY_CUSTOMER,
      columns: [
        { name: 'prev', function: 'lag', column: 'amount' },
        { name: 'next2', function: 'lead', column: 'amount', offset: 2, default: 0 },
        { name: 'prev_day', function: 'lag', column: 'day', default: '1970-01-01' },
      ],
    });
    expect(pick(r, 'id', 'prev', 'next2', 'prev_day')).toEqual([
      [1, null, 30, '1970-01-01'],
      [2, 10, null, '2025-01-01'],
      [3, 20, 0, '2025-01-02'],
      [4, 30, 0, '2025-01-02'],
      [5, null, 0, '1970-01-01'],
      [6, 5, 0, '2025-01-01'],
    ]);
  });

  it('moving windows cover the last N rows, the current one included', async () => {
    const r = await rows({
      ...BY_CUSTOMER,
      columns: [
        { name: 'ma2', function: 'moving_avg', column: 'amount', rows: 2 },
        { name: 'ms3', function: 'moving_sum', column: 'amount', rows: 3 },
        { name: 'mx2', function: 'moving_max', column: 'amount', rows: 2 },
        { name: 'mn1', function: 'moving_min', column: 'amount', rows: 1 },
      ],
    });
    expect(pick(r, 'id', 'ma2', 'ms3', 'mx2', 'mn1')).toEqual([
      [1, 10, '10', 10, 10],
      [2, 15, '30', 20, 20],
      [3, 25, '60', 30, 30],
      [4, 30, '50', 30, null],
      [5, 5, '5', 5, 5],
      [6, 6, '12', 7, 7],
    ]);
  });

  it('descending order and no partition: one window over everything', async () => {
    const r = await rows({ order_by: [{ column: 'amount', descending: true }, { column: 'id' }], columns: [{ name: 'pos', function: 'row_number' }] });
    expect(pick(r, 'id', 'pos')).toEqual([
      [1, '3'],
      [2, '2'],
      [3, '1'],
      [4, '6'],
      [5, '5'],
      [6, '4'],
    ]);
  });

  it('an empty input stays empty with the new columns', async () => {
    const r = await preview(over({ ...BY_CUSTOMER, columns: [{ name: 'seq', function: 'row_number' }] }, `SELECT * FROM (${SRC}) WHERE false`), dir, 'w');
    expect(r.rows).toEqual([]);
    expect(r.columns.map((c) => `${c.name} ${c.type}`)).toEqual(['id INTEGER', 'Customer Name VARCHAR', 'day DATE', 'amount INTEGER', 'seq BIGINT']);
  });

  it('checks params that need no data before the run', async () => {
    const problems = await problemsOf(
      over({
        columns: [
          { name: 'seq', function: 'row_number' },
          { name: 'total', function: 'running_sum' },
          { name: 'ma', function: 'moving_avg', column: 'amount' },
          { name: 'SEQ', function: 'running_count' },
        ],
      }),
      dir,
    );
    expect(problems.map((p) => p.path)).toEqual([
      'nodes[1].params.columns[0].function',
      'nodes[1].params.columns[1].column',
      'nodes[1].params.columns[2].function',
      'nodes[1].params.columns[2].rows',
      'nodes[1].params.columns[3].name',
    ]);
  });

  it('refuses a setting its function would ignore: rows outside moving_*, a default outside lag/lead, a column for a ranking', async () => {
    const problems = await problemsOf(
      over({
        ...BY_CUSTOMER,
        columns: [
          { name: 'total', function: 'running_sum', column: 'amount', rows: 7 },
          { name: 'top', function: 'running_max', column: 'amount', default: 0 },
          { name: 'r', function: 'rank', column: 'amount' },
          { name: 'prev', function: 'lag', column: 'amount', default: 0 },
          { name: 'ma', function: 'moving_avg', column: 'amount', rows: 3 },
        ],
      }),
      dir,
    );
    expect(problems.map((p) => [p.path, p.message, p.hint])).toEqual([
      ['nodes[1].params.columns[0].rows', "node 'w' (transform.window): running_sum takes no rows (only moving_* functions have a window size)", 'remove rows, or use moving_sum for a window of 7 rows'],
      ['nodes[1].params.columns[1].default', "node 'w' (transform.window): running_max takes no default (only lag and lead have one, for rows without a row before or after)", 'remove default; to replace NULL results, add a Fill nulls node after this one'],
      ['nodes[1].params.columns[2].column', "node 'w' (transform.window): rank takes no column: it ranks rows by order_by", "remove column, and put 'amount' in order_by to rank by it"],
    ]);
  });

  it('running and moving sums of UHUGEINT are exact HUGEINT (DuckDB alone sums it into a rounding DOUBLE)', async () => {
    const src = `SELECT * FROM (VALUES (1, 9007199254740993::UHUGEINT), (2, 0::UHUGEINT)) t(id, big)`;
    const r = await rows({ order_by: [{ column: 'id' }], columns: [{ name: 'run', function: 'running_sum', column: 'big' }, { name: 'mov', function: 'moving_sum', column: 'big', rows: 2 }] }, src);
    expect(pick(r, 'run', 'mov')).toEqual([
      ['9007199254740993', '9007199254740993'],
      ['9007199254740993', '9007199254740993'],
    ]);
  });

  it('refuses an output name the input has, and a default of the wrong type', async () => {
    expect(await problemsOf(over({ ...BY_CUSTOMER, columns: [{ name: 'Amount', function: 'row_number' }] }), dir)).toEqual([
      expect.objectContaining({ code: 'invalid_param', path: 'nodes[1].params.columns[0].name', message: "node 'w': output column 'Amount' already exists in the input" }),
    ]);
    expect(await problemsOf(over({ ...BY_CUSTOMER, columns: [{ name: 'p', function: 'lag', column: 'amount', default: 'none' }] }), dir)).toEqual([
      expect.objectContaining({ code: 'invalid_param', path: 'nodes[1].params.columns[0].default', message: `node 'w': the default "none" for 'p' is not a valid INTEGER (or would change converting to it)` }),
    ]);
    expect(await problemsOf(over({ ...BY_CUSTOMER, columns: [{ name: 'p', function: 'lag', column: 'amount', default: 0.5 }] }), dir)).toEqual([
      expect.objectContaining({ path: 'nodes[1].params.columns[0].default', message: `node 'w': the default 0.5 for 'p' is not a valid INTEGER (or would change converting to it)` }),
    ]);
  });

  it('refuses a lag/lead default not written as a plain number for a number column (DuckDB reads "0x10" as 16)', async () => {
    const src = `SELECT * FROM (VALUES (1, 2::BIGINT, 1.5::DOUBLE)) t(id, big, dbl)`;
    const problem = async (column: string, value: unknown) =>
      (await problemsOf(over({ order_by: [{ column: 'id' }], columns: [{ name: 'p', function: 'lag', column, default: value }] }, src), dir)).map((p) => [p.path, p.message]);
    expect(await problem('big', '0x10')).toEqual([['nodes[1].params.columns[0].default', `node 'w': the default "0x10" for 'p' is not a valid BIGINT (or would change converting to it)`]]);
    expect(await problem('dbl', '1e400')).toEqual([['nodes[1].params.columns[0].default', `node 'w': the default "1e400" for 'p' is not a valid DOUBLE (or would change converting to it)`]]);
    expect(await problem('big', '-16')).toEqual([]);
  });

  it('reports unknown partition, order and value columns with the closest name', async () => {
    expect(await problemsOf(over({ partition_by: ['customer name'], order_by: [{ column: 'dya' }], columns: [{ name: 's', function: 'row_number' }] }), dir)).toEqual([
      expect.objectContaining({ code: 'unknown_column', message: expect.stringContaining("unknown column 'dya' in node 'w' (did you mean 'day'?)") }),
    ]);
    expect(await problemsOf(over({ ...BY_CUSTOMER, columns: [{ name: 's', function: 'running_sum', column: 'amout' }] }), dir)).toEqual([
      expect.objectContaining({ code: 'unknown_column', message: expect.stringContaining("(did you mean 'amount'?)") }),
    ]);
  });

  it('compiles to window functions over the input (snapshot)', async () => {
    const r = await inspect({
      pipeline: over({
        ...BY_CUSTOMER,
        columns: [
          { name: 'seq', function: 'row_number' },
          { name: 'total', function: 'running_sum', column: 'amount' },
          { name: 'prev', function: 'lag', column: 'amount', default: 0 },
          { name: 'ma7', function: 'moving_avg', column: 'amount', rows: 7 },
        ],
      }),
      baseDir: dir,
    });
    expect(r.problems).toEqual([]);
    expect(r.nodes.find((n) => n.nodeId === 'w')!.outputs[0]!.sql).toMatchSnapshot();
  });
});
