import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { inDb } from './support/duckdb.js';
import { pipeline, preview, problemsOf, tempDir } from './support/pipeline.js';

// Hostile column names. DuckDB ignores the case of the ASCII letters A–Z only: `select 1 "é", 2 "É"`
// has two columns, and so has `select 1 "σ", 2 "Σ"`. The nodes matched names with JavaScript's
// toLowerCase, which folds every letter, and so converted, replaced or refused the wrong column.

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-hostile-names-');
  await inDb(path.join(dir, 'empty.duckdb'), 'SELECT 1');
});

// The rows come from a DuckDB source's query, as DuckDB names its columns.
const over = (query: string, type: string, params: Record<string, unknown>) =>
  pipeline([{ id: 'src', type: 'source.duckdb', params: { database: 'empty.duckdb', query } }, { id: 't', type, params }], ['src -> t']);
const rowsOf = async (query: string, type: string, params: Record<string, unknown>) => (await preview(over(query, type, params), dir, 't')).rows;

describe('column names that differ only in the case of a non-ASCII letter are two columns', () => {
  it('transform.cast converts the column named, not its other-case twin', async () => {
    expect(await rowsOf(`SELECT '1' AS "σ", '2' AS "Σ"`, 'transform.cast', { columns: [{ column: 'Σ', type: 'INTEGER' }] })).toEqual([{ σ: '1', Σ: 2 }]);
    expect(await rowsOf(`SELECT '1' AS "σ", '2' AS "Σ"`, 'transform.cast', { columns: [{ column: 'σ', type: 'INTEGER' }] })).toEqual([{ σ: 1, Σ: '2' }]);
  });

  it('transform.cast still finds a column named in another ASCII case, and reports one that is not there', async () => {
    expect(await rowsOf(`SELECT '1' AS "Qty"`, 'transform.cast', { columns: [{ column: 'QTY', type: 'INTEGER' }] })).toEqual([{ Qty: 1 }]);
    // Only 'é' exists: 'É' is another name, as in DuckDB.
    expect(await problemsOf(over(`SELECT '1' AS "é"`, 'transform.cast', { columns: [{ column: 'É', type: 'INTEGER' }] }), dir)).toEqual([
      expect.objectContaining({ code: 'unknown_column', path: 'nodes[1].params.columns[0].column', message: expect.stringContaining("unknown column 'É' in node 't'") }),
    ]);
  });

  it('transform.parse_dates parses the column named, not its other-case twin', async () => {
    const r = await preview(over(`SELECT '2024-01-02' AS "é", '2024-03-04' AS "É"`, 'transform.parse_dates', { columns: [{ column: 'É', formats: ['%Y-%m-%d'] }] }), dir, 't');
    expect(r.columns.map((c) => `${c.name} ${c.type}`)).toEqual(['é VARCHAR', 'É DATE']);
    expect(r.rows[0]!.é).toBe('2024-01-02');
  });

  it('transform.parse_dates refuses a non-text column by its own type, not its twin\'s', async () => {
    expect(await problemsOf(over(`SELECT 7 AS "é", '2024-01-02' AS "É"`, 'transform.parse_dates', { columns: [{ column: 'É', formats: ['%Y-%m-%d'] }] }), dir)).toEqual([]);
  });

  it('transform.derive replaces the column named and adds É next to é (as DuckDB does)', async () => {
    expect(await rowsOf(`SELECT 1 AS "é", 2 AS "É"`, 'transform.derive', { columns: [{ name: 'é', expression: '100' }] })).toEqual([{ é: 100, É: 2 }]);
    const added = await preview(over(`SELECT 1 AS "é"`, 'transform.derive', { columns: [{ name: 'É', expression: '100' }] }), dir, 't');
    expect(added.columns.map((c) => c.name)).toEqual(['é', 'É']);
    expect(added.rows).toEqual([{ é: 1, É: 100 }]);
    // ASCII letters still ignore case: STATUS replaces status where it stands.
    expect(await rowsOf(`SELECT 1 AS status, 2 AS n`, 'transform.derive', { columns: [{ name: 'STATUS', expression: '9' }] })).toEqual([{ status: 9, n: 2 }]);
  });

  it('a SQL node\'s output may hold é and É', async () => {
    const r = await preview(pipeline([{ id: 'q', type: 'transform.sql', params: { query: `SELECT 1 AS "é", 2 AS "É"` } }]), dir, 'q');
    expect(r.rows).toEqual([{ é: 1, É: 2 }]);
  });

  it('select, aggregate, window and derive accept é and É as two names', async () => {
    const q = `SELECT 1 AS "é", 2 AS "É", 'g' AS g`;
    expect(await rowsOf(q, 'transform.select', { columns: [{ column: 'é' }, { column: 'É' }] })).toEqual([{ é: 1, É: 2 }]);
    expect(await rowsOf(q, 'transform.select', { columns: [{ column: 'g', as: 'ä' }, { column: 'é', as: 'Ä' }] })).toEqual([{ ä: 'g', Ä: 1 }]);
    expect(
      await rowsOf(q, 'transform.aggregate', {
        group_by: ['g'],
        aggregations: [
          { name: 'ø', function: 'sum', column: 'é' },
          { name: 'Ø', function: 'sum', column: 'É' },
        ],
      }),
    ).toEqual([{ g: 'g', ø: '1', Ø: '2' }]);
    expect(await rowsOf(`SELECT 1 AS "é"`, 'transform.window', { columns: [{ name: 'É', function: 'running_sum', column: 'é' }] })).toEqual([{ é: 1, É: '1' }]);
    expect(await rowsOf(`SELECT 1 AS x`, 'transform.derive', { columns: [{ name: 'é', expression: '1' }, { name: 'É', expression: '2' }] })).toEqual([{ x: 1, é: 1, É: 2 }]);
  });

  it('join keeps a right column É next to a left é; union by name keeps them apart; rules set the column named', async () => {
    const two = (type: string, params: Record<string, unknown>, left: string, right: string, ports: [string, string]) =>
      pipeline(
        [
          { id: 'l', type: 'source.duckdb', params: { database: 'empty.duckdb', query: left } },
          { id: 'r', type: 'source.duckdb', params: { database: 'empty.duckdb', query: right } },
          { id: 't', type, params },
        ],
        [`l -> t:${ports[0]}`, `r -> t:${ports[1]}`],
      );
    const joined = await preview(two('transform.join', { on: [{ left: 'k' }] }, `SELECT 1 AS k, 2 AS "é"`, `SELECT 1 AS k, 3 AS "É"`, ['left', 'right']), dir, 't');
    expect(joined.rows).toEqual([{ k: 1, é: 2, É: 3 }]);
    const stacked = await preview(two('transform.union', { match: 'by_name' }, `SELECT 1 AS "é"`, `SELECT 2 AS "É"`, ['in', 'in']), dir, 't');
    expect(stacked.columns.map((c) => c.name)).toEqual(['é', 'É']);
    const ruled = await rowsOf(`SELECT 1 AS "é", 2 AS "É"`, 'transform.rules', { rules: [{ name: 'r', condition: 'true', set: [{ column: 'É', expression: '20' }] }] });
    expect(ruled).toEqual([{ é: 1, É: 20 }]);
  });

  it('ASCII case twins are still refused', async () => {
    expect(await problemsOf(over(`SELECT 1 AS x`, 'transform.derive', { columns: [{ name: 'a', expression: '1' }, { name: 'A', expression: '2' }] }), dir)).toEqual([
      expect.objectContaining({ path: 'nodes[1].params.columns[1].name', message: expect.stringContaining("column 'A' is derived twice") }),
    ]);
    expect(await problemsOf(over(`SELECT 1 AS "Tot"`, 'transform.window', { columns: [{ name: 'TOT', function: 'row_number' }], order_by: [{ column: 'Tot' }] }), dir)).toEqual([
      expect.objectContaining({ message: expect.stringContaining("output column 'TOT' already exists in the input") }),
    ]);
  });
});

describe('transform.pivot column names are the pattern with the value put in as it is', () => {
  const values = ['{aggregate}', 'a$&b', '$$', 'x$`y', '{column}'];
  const q = `SELECT * FROM (VALUES ('{aggregate}', 1), ('a$&b', 2), ('$$', 3), ('x$\`y', 4), ('{column}', 5)) t(k, v)`;

  it('a value holding a placeholder or $ patterns is not read as one', async () => {
    const r = await preview(over(q, 'transform.pivot', { pivot_column: 'k', values, value_column: 'v', column_name: 'p_{value}_{aggregate}' }), dir, 't');
    expect(r.columns.map((c) => c.name)).toEqual(['p_{aggregate}_sum', 'p_a$&b_sum', 'p_$$_sum', 'p_x$`y_sum', 'p_{column}_sum']);
    expect(r.rows).toEqual([{ 'p_{aggregate}_sum': '1', 'p_a$&b_sum': '2', 'p_$$_sum': '3', 'p_x$`y_sum': '4', 'p_{column}_sum': '5' }]);
  });

  it('such values do not clash with one another', async () => {
    // Read as patterns, '{aggregate}' and 'sum' both gave p_sum, and '{column}' and 'v' both p_v.
    expect(await problemsOf(over(`SELECT 'sum' AS k, 1 AS v`, 'transform.pivot', { pivot_column: 'k', values: ['{aggregate}', 'sum', '{column}', 'v'], value_column: 'v', column_name: 'p_{value}' }), dir)).toEqual([]);
  });

  it('names that differ in the case of a non-ASCII letter are two columns; in ASCII case they clash', async () => {
    const accents = await preview(over(`SELECT 'é' AS k, 1 AS v UNION ALL SELECT 'É', 2`, 'transform.pivot', { pivot_column: 'k', values: ['é', 'É'], value_column: 'v' }), dir, 't');
    expect(accents.rows).toEqual([{ é: '1', É: '2' }]);
    expect(await problemsOf(over(`SELECT 'a' AS k, 1 AS v`, 'transform.pivot', { pivot_column: 'k', values: ['a', 'A'], value_column: 'v' }), dir)).toEqual([
      expect.objectContaining({ path: 'nodes[1].params.values[1]', message: expect.stringContaining('values "a" and "A" differ only in the case of their letters') }),
    ]);
  });

  it('two values that are one value of the pivot column\'s type are refused (they would give two columns with the same cells)', async () => {
    expect(await problemsOf(over(`SELECT 2024 AS y, 1 AS v`, 'transform.pivot', { pivot_column: 'y', values: ['2024', '02024'], value_column: 'v', column_name: 'y{value}' }), dir)).toEqual([
      expect.objectContaining({ path: 'nodes[1].params.values[1]', message: "node 't': the values \"2024\" and \"02024\" are one INTEGER, 2024, in the pivot column 'y': their two columns would hold the same cells" }),
    ]);
    expect(await problemsOf(over(`SELECT 2024 AS y, 1 AS v`, 'transform.pivot', { pivot_column: 'y', values: [2024, '2025'], value_column: 'v', column_name: 'y{value}' }), dir)).toEqual([]);
  });
});
