import { beforeAll, describe, expect, it } from 'vitest';
import { inspect, pipeline, preview, problemsOf, tempDir } from '../../../../test/support/pipeline.js';

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-unpivot-');
});

const SRC = `SELECT * FROM (VALUES
  (1, 'José Muñoz', 10, 20::BIGINT, 1.5::DOUBLE),
  (2, 'Zoë', NULL, 40, NULL)
) t(id, "Full Name", "Jan Sales", feb, "März")`;

const unpivotOver = (params: Record<string, unknown>, src = SRC) =>
  pipeline(
    [
      { id: 'src', type: 'transform.sql', params: { query: src } },
      { id: 'u', type: 'transform.unpivot', params },
    ],
    ['src -> u'],
  );
const table = async (params: Record<string, unknown>, src = SRC) => {
  const r = await preview(unpivotOver(params, src), dir, 'u');
  return { columns: r.columns.map((c) => `${c.name} ${c.type}`), rows: r.rows };
};

describe('transform.unpivot', () => {
  it('turns the listed columns into name/value rows, widening numeric types, skipping NULLs', async () => {
    expect(await table({ columns: ['Jan Sales', 'feb', 'März'] })).toEqual({
      columns: ['id INTEGER', 'Full Name VARCHAR', 'name VARCHAR', 'value DOUBLE'],
      rows: [
        { id: 1, 'Full Name': 'José Muñoz', name: 'Jan Sales', value: 10 },
        { id: 1, 'Full Name': 'José Muñoz', name: 'feb', value: 20 },
        { id: 1, 'Full Name': 'José Muñoz', name: 'März', value: 1.5 },
        { id: 2, 'Full Name': 'Zoë', name: 'feb', value: 40 },
      ],
    });
  });

  it('keeps NULL values as rows with include_nulls, in the order the columns are listed', async () => {
    const r = await table({ columns: ['feb', 'Jan Sales'], include_nulls: true, name_column: 'Month', value_column: 'Sales Amount' });
    expect(r.columns).toEqual(['id INTEGER', 'Full Name VARCHAR', 'März DOUBLE', 'Month VARCHAR', 'Sales Amount BIGINT']);
    expect(r.rows.map((x) => [x.id, x.Month, x['Sales Amount']])).toEqual([
      [1, 'feb', '20'],
      [1, 'Jan Sales', '10'],
      [2, 'feb', '40'],
      [2, 'Jan Sales', null],
    ]);
  });

  it('unpivots every column except the id columns, casting to VARCHAR when types have no common type', async () => {
    const r = await table({ id_columns: ['id'], include_nulls: true });
    expect(r.columns).toEqual(['id INTEGER', 'name VARCHAR', 'value VARCHAR']);
    expect(r.rows.slice(0, 4)).toEqual([
      { id: 1, name: 'Full Name', value: 'José Muñoz' },
      { id: 1, name: 'Jan Sales', value: '10' },
      { id: 1, name: 'feb', value: '20' },
      { id: 1, name: 'März', value: '1.5' },
    ]);
    expect(r.rows).toHaveLength(8);
  });

  it('casts every value to an explicit value_type', async () => {
    const r = await table({ columns: ['Jan Sales', 'feb'], value_type: 'VARCHAR' });
    expect(r.columns.at(-1)).toBe('value VARCHAR');
    expect(r.rows.map((x) => x.value)).toEqual(['10', '20', '40']);
  });

  it('stops on a value the common DOUBLE type would change, and widens the ones it holds', async () => {
    const ids = `SELECT * FROM (VALUES (1, 9007199254740993::BIGINT, 0.5::DOUBLE)) t(id, a, b)`;
    await expect(table({ id_columns: ['id'] }, ids)).rejects.toThrow(
      `column "a" holds 9007199254740993 (BIGINT in the input), which the value column "value" (DOUBLE, the type of column "b") cannot hold exactly: it would become 9007199254740992.0; give the columns one type first`,
    );
    const fits = await table({ id_columns: ['id'] }, `SELECT * FROM (VALUES (1, 9007199254740992::BIGINT, 0.5::DOUBLE)) t(id, a, b)`);
    expect(fits.rows.map((r) => r.value)).toEqual([9007199254740992, 0.5]);
  });

  it('keeps the largest scale where DuckDB\'s common DECIMAL would drop places; a value too long for it stops the run, naming the column', async () => {
    const src = (a: string) => `SELECT 1 AS id, ${a}::DECIMAL(38,0) AS a, 2.55::DECIMAL(10,2) AS b, 0.0000000001::DECIMAL(38,10) AS c`;
    expect(await table({ id_columns: ['id'] }, src('1'))).toEqual({
      columns: ['id INTEGER', 'name VARCHAR', 'value DECIMAL(38,10)'],
      rows: [
        { id: 1, name: 'a', value: '1.0000000000' },
        { id: 1, name: 'b', value: '2.5500000000' },
        { id: 1, name: 'c', value: '0.0000000001' },
      ],
    });
    await expect(table({ id_columns: ['id'] }, src('1234567890123456789012345678901'))).rejects.toThrow(
      'column "a" holds 1234567890123456789012345678901 (DECIMAL(38,0) in the input), which the value column "value" (DECIMAL(38,10)) cannot hold exactly: it does not convert; DECIMAL(38,10) holds 28 digits before the point',
    );
  });

  it('a boolean column next to number columns comes out as text, not as 1 and 0', async () => {
    expect(await table({ id_columns: ['id'] }, `SELECT 1 AS id, true AS flag, 5 AS n`)).toEqual({
      columns: ['id INTEGER', 'name VARCHAR', 'value VARCHAR'],
      rows: [
        { id: 1, name: 'flag', value: 'true' },
        { id: 1, name: 'n', value: '5' },
      ],
    });
  });

  it('does the same inside lists: a value the common list type would change stops the run, booleans next to numbers come out as text', async () => {
    await expect(table({ id_columns: ['id'] }, `SELECT 1 AS id, [9007199254740993]::BIGINT[] AS a, [0.5]::DOUBLE[] AS b`)).rejects.toThrow(
      `column "a" holds [9007199254740993] (BIGINT[] in the input), which the value column "value" (DOUBLE[], the type of column "b") cannot hold exactly: it would become [9007199254740992.0]`,
    );
    expect(await table({ id_columns: ['id'] }, `SELECT 1 AS id, [true] AS flags, [5] AS n`)).toEqual({
      columns: ['id INTEGER', 'name VARCHAR', 'value VARCHAR'],
      rows: [
        { id: 1, name: 'flags', value: '[true]' },
        { id: 1, name: 'n', value: '[5]' },
      ],
    });
  });

  it('an explicit value_type converts like Cast: strictly from text, and only values it keeps unchanged', async () => {
    const mixed = (a: string, b: string) => `SELECT * FROM (VALUES (1, ${a}, ${b})) t(id, a, b)`;
    expect((await table({ id_columns: ['id'], value_type: 'BIGINT' }, mixed('12.0::DOUBLE', "'7'"))).rows.map((r) => r.value)).toEqual(['12', '7']);
    await expect(table({ id_columns: ['id'], value_type: 'BIGINT' }, mixed('12.5::DOUBLE', '1'))).rejects.toThrow(
      'column "a" holds 12.5 (DOUBLE), which the value type BIGINT cannot hold exactly: it would become 12; convert it on purpose first',
    );
    await expect(table({ id_columns: ['id'], value_type: 'BIGINT' }, mixed("'12.5'", '1'))).rejects.toThrow(`column "a": '12.5' is not a whole number`);
    await expect(table({ id_columns: ['id'], value_type: 'DATE' }, mixed("TIMESTAMP '2024-03-04 10:30'", "DATE '2024-03-05'"))).rejects.toThrow(
      'column "a" holds 2024-03-04 10:30:00 (TIMESTAMP), which the value type DATE cannot hold exactly: it would become 2024-03-04',
    );
    await expect(table({ id_columns: ['id'], value_type: 'DATE' }, mixed("'2024-03-04 10:30'", "DATE '2024-03-05'"))).rejects.toThrow(`column "a": '2024-03-04 10:30' is not a DATE: it has a time`);
    const dates = await table({ id_columns: ['id'], value_type: 'DATE' }, mixed("TIMESTAMP '2024-03-04 00:00'", "'2024-03-05'"));
    expect(dates.rows.map((r) => r.value)).toEqual(['2024-03-04', '2024-03-05']);
  });

  it('gives no rows for an empty input, with the columns already known', async () => {
    expect(await table({ columns: ['Jan Sales', 'feb'] }, `${SRC} WHERE false`)).toEqual({
      columns: ['id INTEGER', 'Full Name VARCHAR', 'März DOUBLE', 'name VARCHAR', 'value BIGINT'],
      rows: [],
    });
  });

  it('compiles to a projection and one UNPIVOT', async () => {
    const result = await inspect({ pipeline: unpivotOver({ id_columns: ['id', 'Full Name'], include_nulls: true, name_column: 'month' }), baseDir: dir });
    expect(result.problems).toEqual([]);
    expect(result.nodes.find((n) => n.nodeId === 'u')!.outputs[0]!.sql).toMatchSnapshot();
  });

  it('reports unknown columns with the closest name, before running', async () => {
    expect(await problemsOf(unpivotOver({ columns: ['Feb'] }), dir)).toEqual([]);
    for (const [params, name, near] of [
      [{ columns: ['feb', 'Jan Sale'] }, 'Jan Sale', 'Jan Sales'],
      [{ id_columns: ['idd'] }, 'idd', 'id'],
    ] as const) {
      const problems = await problemsOf(unpivotOver(params), dir);
      expect(problems).toEqual([expect.objectContaining({ code: 'unknown_column', message: expect.stringContaining(`unknown column '${name}' in node 'u' (did you mean '${near}'?)`) })]);
    }
  });

  it('refuses name or value columns that clash with a kept column or with each other', async () => {
    expect(await problemsOf(unpivotOver({ columns: ['feb'], value_column: 'ID' }), dir)).toEqual([
      expect.objectContaining({ path: 'nodes[1].params.value_column', message: "value column 'ID' of node 'u' clashes with the kept column 'ID'" }),
    ]);
    expect(await problemsOf(unpivotOver({ columns: ['feb'], name_column: 'x', value_column: 'X' }), dir)).toEqual([
      expect.objectContaining({ path: 'nodes[1].params.value_column', message: expect.stringContaining("the name and value columns are both called 'X'") }),
    ]);
    expect(await problemsOf(unpivotOver({ id_columns: ['id', 'Full Name', 'Jan Sales', 'feb', 'März'] }), dir)).toEqual([
      expect.objectContaining({ path: 'nodes[1].params.id_columns', message: "node 'u' has no column left to unpivot" }),
    ]);
  });
});
