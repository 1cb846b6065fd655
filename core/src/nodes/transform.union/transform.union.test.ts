import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { inspect, pipeline, preview, problemsOf, run, tempDir } from '../../../../test/support/pipeline.js';

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-union-');
});

const A = `SELECT * FROM (VALUES (1, 'Zoë', 10), (2, NULL, 20)) t(id, "Full Name", qty)`;
const B = `SELECT * FROM (VALUES (3::BIGINT, 'José Muñoz', 1.5)) t(id, "Full Name", "Extra Col")`;
const C = `SELECT * FROM (VALUES (1, 'Zoë', 10)) t(x, y, z)`;

const unionOf = (params: Record<string, unknown>, sources: Record<string, string>) =>
  pipeline(
    [...Object.entries(sources).map(([id, query]) => ({ id, type: 'transform.sql', params: { query } })), { id: 'u', type: 'transform.union', params }],
    Object.keys(sources).map((id) => `${id} -> u`),
  );
const rowsOf = async (params: Record<string, unknown>, sources: Record<string, string>) => {
  const r = await preview(unionOf(params, sources), dir, 'u', { limit: 100000 });
  return { columns: r.columns.map((c) => `${c.name} ${c.type}`), rows: r.rows };
};
const byId = (rows: Record<string, unknown>[]) => [...rows].sort((a, b) => Number(a.id) - Number(b.id));

describe('transform.union', () => {
  it('by name: lines up columns by name, fills missing ones with NULL and widens types', async () => {
    const r = await rowsOf({}, { a: A, b: B });
    expect(r.columns).toEqual(['id BIGINT', 'Full Name VARCHAR', 'qty INTEGER', 'Extra Col DECIMAL(2,1)']);
    expect(byId(r.rows)).toEqual([
      { id: '1', 'Full Name': 'Zoë', qty: 10, 'Extra Col': null },
      { id: '2', 'Full Name': null, qty: 20, 'Extra Col': null },
      { id: '3', 'Full Name': 'José Muñoz', qty: null, 'Extra Col': '1.5' },
    ]);
  });

  it('by position: keeps the first input\'s names', async () => {
    const r = await rowsOf({ match: 'by_position' }, { a: A, c: C });
    expect(r.columns).toEqual(['id INTEGER', 'Full Name VARCHAR', 'qty INTEGER']);
    expect(r.rows).toHaveLength(3);
    expect(r.rows).toContainEqual({ id: 1, 'Full Name': 'Zoë', qty: 10 });
  });

  it('by position: warns when an input has the same names in another order (its values would land under the other names)', async () => {
    const r = await inspect({ pipeline: unionOf({ match: 'by_position' }, { a: `SELECT 1 AS a, 2 AS b`, s: `SELECT 40 AS b, 30 AS a` }), baseDir: dir });
    expect(r.problems).toEqual([]);
    expect(r.warnings).toEqual([
      expect.objectContaining({
        nodeId: 'u',
        message: "input 's' has the same columns as 'a' in another order (b, a); by position its values go under the names of 'a' (a, b): use match by_name to line them up by name",
      }),
    ]);
    expect((await inspect({ pipeline: unionOf({ match: 'by_position' }, { a: A, c: C }), baseDir: dir })).warnings).toEqual([]);
  });

  it('by position: refuses inputs with a different column count, naming the input', async () => {
    const problems = await problemsOf(unionOf({ match: 'by_position' }, { a: A, b: B, c: `SELECT 1 AS x` }), dir);
    expect(problems).toEqual([
      expect.objectContaining({
        code: 'invalid_param',
        path: 'nodes[3].params.match',
        message: "input 'c' of node 'u' has 1 columns but 'a' has 3: a union by position needs the same number of columns",
      }),
    ]);
  });

  it('reports number and date columns that cannot be combined before the run, naming both inputs', async () => {
    const problems = await problemsOf(unionOf({ match: 'by_position' }, { a: `SELECT 1 AS id, 2 AS n`, d: `SELECT 1 AS id, DATE '2024-01-01' AS day` }), dir);
    expect(problems).toEqual([
      expect.objectContaining({ path: 'nodes[2].params.match', message: "column 'n' of node 'u' is INTEGER in input 'a' but DATE in input 'd': a union cannot combine them" }),
    ]);
    const byName = await problemsOf(unionOf({}, { a: `SELECT 1 AS id, 2.5 AS "Day"`, d: `SELECT TIMESTAMP '2024-01-01 10:00' AS day` }), dir);
    expect(byName.map((p) => p.message)).toEqual(["column 'Day' of node 'u' is DECIMAL(2,1) in input 'a' but TIMESTAMP in input 'd': a union cannot combine them"]);
    expect(await problemsOf(unionOf({}, { a: `SELECT 1 AS id, 'x' AS "Day"`, d: `SELECT 2::BIGINT AS id, DATE '2024-01-01' AS day` }), dir)).toEqual([]);
  });

  it('stops the run on an integer or decimal that the common DOUBLE type would change, naming the column, the value and the inputs', async () => {
    const ids = { a: `SELECT 9007199254740993::BIGINT AS id`, b: `SELECT 1.5::DOUBLE AS id` };
    const doc = pipeline(
      [...Object.entries(ids).map(([id, query]) => ({ id, type: 'transform.sql', params: { query } })), { id: 'u', type: 'transform.union', params: {} }, { id: 'dst', type: 'sink.csv', params: { path: 'widened.csv' } }],
      ['a -> u', 'b -> u', 'u -> dst'],
    );
    const { summary } = await run(doc, dir);
    expect(summary.error?.message).toContain("node 'u' (transform.union), column 'id' failed");
    expect(summary.error?.message).toContain(
      `column "id" holds 9007199254740993 (BIGINT in input 'a'), which the union's DOUBLE column (its type in input 'b') cannot hold exactly: it would become 9007199254740992.0; give the column one type in every input first`,
    );
    await expect(stat(join(dir, 'widened.csv'))).rejects.toThrow();
    // By position, and a DECIMAL with more digits than a DOUBLE keeps.
    await expect(rowsOf({ match: 'by_position' }, { d: `SELECT 1234567890123456.78::DECIMAL(18,2) AS amount`, f: `SELECT 0.5::DOUBLE AS x` })).rejects.toThrow(
      /column "amount" holds 1234567890123456\.78 \(DECIMAL\(18,2\) in input 'd'\), which the union's DOUBLE column \(its type in input 'f'\) cannot hold exactly/,
    );
    // FLOAT keeps 24 bits: 16777217 would become 16777216.
    await expect(rowsOf({}, { i: `SELECT 16777217 AS n`, f: `SELECT 0.5::FLOAT AS n` })).rejects.toThrow(/holds 16777217 \(INTEGER in input 'i'\), which the union's FLOAT column/);
  });

  it('keeps the largest scale where DuckDB\'s common DECIMAL would drop places (DECIMAL(38,0) with DECIMAL(38,2) is DECIMAL(38,2))', async () => {
    const r = await rowsOf({}, { a: `SELECT 'a' AS id, 1::DECIMAL(38,0) AS k`, b: `SELECT * FROM (VALUES ('b', 2.5::DECIMAL(38,2)), ('c', 1234.56), ('d', -0.5)) t(id, k)` });
    expect(r.columns).toEqual(['id VARCHAR', 'k DECIMAL(38,2)']);
    expect(r.rows.map((x) => [x.id, x.k]).sort()).toEqual([['a', '1.00'], ['b', '2.50'], ['c', '1234.56'], ['d', '-0.50']]);
    // By position too, and a scale of 10: 0.0000000001 stays itself.
    const tiny = await rowsOf({ match: 'by_position' }, { a: `SELECT 0.0000000001::DECIMAL(38,10) AS x`, b: `SELECT 7::DECIMAL(38,0) AS y` });
    expect(tiny.columns).toEqual(['x DECIMAL(38,10)']);
    expect(tiny.rows.map((x) => x.x).sort()).toEqual(['0.0000000001', '7.0000000000']);
  });

  it('stops the run on a value whose digits before the point the scale-keeping DECIMAL cannot hold, naming the node, column, value and inputs', async () => {
    const big = '1234567890123456789012345678901234567'; // 37 digits: DECIMAL(38,2) holds 36 before the point
    const doc = pipeline(
      [
        { id: 'a', type: 'transform.sql', params: { query: `SELECT ${big}::DECIMAL(38,0) AS k` } },
        { id: 'b', type: 'transform.sql', params: { query: `SELECT 2.5::DECIMAL(38,2) AS k` } },
        { id: 'u', type: 'transform.union', params: {} },
        { id: 'dst', type: 'sink.csv', params: { path: 'too-long.csv' } },
      ],
      ['a -> u', 'b -> u', 'u -> dst'],
    );
    const { summary } = await run(doc, dir);
    expect(summary.error?.message).toContain("node 'u' (transform.union), column 'k' failed");
    expect(summary.error?.message).toContain(`column "k" holds ${big} (DECIMAL(38,0) in input 'a'), which the union's DECIMAL(38,2) column (its type in input 'b') cannot hold exactly: it does not convert; DECIMAL(38,2) holds 36 digits before the point`);
    await expect(stat(join(dir, 'too-long.csv'))).rejects.toThrow();
  });

  it('refuses a boolean column meeting a number column before the run (true would become 1), naming both inputs', async () => {
    const problems = await problemsOf(unionOf({}, { a: `SELECT true AS k`, b: `SELECT 5 AS k` }), dir);
    expect(problems).toEqual([
      expect.objectContaining({
        path: 'nodes[2].params.match',
        message: "column 'k' of node 'u' is BOOLEAN in input 'a' but INTEGER in input 'b': a union cannot combine them (true would become 1)",
        hint: expect.stringContaining('CASE WHEN k THEN 1 ELSE 0 END'),
      }),
    ]);
    expect(await problemsOf(unionOf({ match: 'by_position' }, { a: `SELECT 2.5 AS n`, b: `SELECT false AS flag` }), dir)).toEqual([expect.objectContaining({ message: expect.stringContaining("is DECIMAL(2,1) in input 'a' but BOOLEAN in input 'b'") })]);
  });

  it('checks values inside lists, structs and maps as for plain columns: one the common type would change stops the run', async () => {
    await expect(rowsOf({}, { a: `SELECT [1, 9007199254740993]::BIGINT[] AS v`, b: `SELECT [0.5]::DOUBLE[] AS v` })).rejects.toThrow(
      "column \"v\" holds [1, 9007199254740993] (BIGINT[] in input 'a'), which the union's DOUBLE[] column (its type in input 'b') cannot hold exactly: it would become [1.0, 9007199254740992.0]",
    );
    await expect(rowsOf({}, { a: `SELECT {'amount': 1.25::DECIMAL(38,2)} AS v`, b: `SELECT {'amount': 7::DECIMAL(38,0)} AS v` })).rejects.toThrow(/holds \{'amount': 1\.25\} .*it would become \{'amount': 1\}/);
    await expect(rowsOf({}, { a: `SELECT MAP {'k': 9007199254740993::BIGINT} AS v`, b: `SELECT MAP {'k': 0.5::DOUBLE} AS v` })).rejects.toThrow(/holds \{k=9007199254740993\}/);
    // Values that convert exactly pass, and the types inside still widen.
    const ok = await rowsOf({}, { a: `SELECT [1, 9007199254740992]::BIGINT[] AS v, {'a': 1} AS s`, b: `SELECT [0.5]::DOUBLE[] AS v, {'b': 'x'} AS s` });
    expect(ok.columns).toEqual(['v DOUBLE[]', 's STRUCT(a INTEGER, b VARCHAR)']);
    expect(ok.rows.map((x) => x.v)).toEqual(expect.arrayContaining([[1, 9007199254740992], [0.5]]));
  });

  it('refuses lists whose values are booleans in one input and numbers in another before the run', async () => {
    expect(await problemsOf(unionOf({}, { a: `SELECT [true] AS flags`, b: `SELECT [2] AS flags` }), dir)).toEqual([
      expect.objectContaining({
        message: "column 'flags' of node 'u' is BOOLEAN[] in input 'a' but INTEGER[] in input 'b': a union cannot combine them (inside them, BOOLEAN meets INTEGER: a boolean would become a number, a date/time would fail to convert)",
      }),
    ]);
    expect(await problemsOf(unionOf({}, { a: `SELECT {'d': DATE '2024-01-01'} AS s`, b: `SELECT {'d': 5} AS s` }), dir)).toEqual([expect.objectContaining({ message: expect.stringContaining('inside them, DATE meets INTEGER') })]);
  });

  it('widens integers and decimals to DOUBLE when every value converts exactly, large ones included', async () => {
    const r = await rowsOf({}, {
      a: `SELECT * FROM (VALUES (1::BIGINT, 12.34::DECIMAL(18,2)), (9007199254740992::BIGINT, 123456789012345.67::DECIMAL(18,2)), (NULL, NULL)) t(id, amount)`,
      b: `SELECT 1.5::DOUBLE AS id, 0.25::DOUBLE AS amount`,
    });
    expect(r.columns).toEqual(['id DOUBLE', 'amount DOUBLE']);
    expect(r.rows.map((x) => x.id)).toEqual(expect.arrayContaining([1, 9007199254740992, null, 1.5]));
    expect(r.rows.map((x) => x.amount)).toEqual(expect.arrayContaining([12.34, 123456789012345.67, null, 0.25]));
  });

  it('records where each row came from in the source column, placed last', async () => {
    const r = await rowsOf({ source_column: 'from node' }, { a: A, b: B });
    expect(r.columns).toEqual(['id BIGINT', 'Full Name VARCHAR', 'qty INTEGER', 'Extra Col DECIMAL(2,1)', 'from node VARCHAR']);
    expect(byId(r.rows).map((x) => x['from node'])).toEqual(['a', 'a', 'b']);
  });

  it('refuses a source column that clashes with an input column', async () => {
    const problems = await problemsOf(unionOf({ source_column: 'QTY' }, { a: A, b: B }), dir);
    expect(problems).toEqual([expect.objectContaining({ path: 'nodes[2].params.source_column', message: "source column 'QTY' of node 'u' clashes with a column of input 'a'" })]);
  });

  it('removes duplicate rows across inputs with distinct (NULLs equal), keeps them otherwise', async () => {
    const dup = `SELECT * FROM (VALUES (2, NULL, 20), (2, NULL, 20), (5, 'Ann', 1)) t(id, "Full Name", qty)`;
    expect((await rowsOf({}, { a: A, d: dup })).rows).toHaveLength(5);
    expect(byId((await rowsOf({ distinct: true }, { a: A, d: dup })).rows)).toEqual([
      { id: 1, 'Full Name': 'Zoë', qty: 10 },
      { id: 2, 'Full Name': null, qty: 20 },
      { id: 5, 'Full Name': 'Ann', qty: 1 },
    ]);
  });

  it('handles empty inputs and a single input', async () => {
    expect(byId((await rowsOf({}, { a: A, e: `${B} WHERE false` })).rows)).toHaveLength(2);
    expect((await rowsOf({ source_column: 'src' }, { a: A })).rows).toEqual([
      { id: 1, 'Full Name': 'Zoë', qty: 10, src: 'a' },
      { id: 2, 'Full Name': null, qty: 20, src: 'a' },
    ]);
  });

  it('compiles to one UNION ALL BY NAME', async () => {
    const result = await inspect({ pipeline: unionOf({ source_column: 'source' }, { a: A, b: B }), baseDir: dir });
    expect(result.problems).toEqual([]);
    expect(result.nodes.find((n) => n.nodeId === 'u')!.outputs[0]!.sql).toMatchSnapshot();
  });

  it('property: UNION ALL has as many rows as its inputs together, and exactly their rows', async () => {
    const table = fc.array(fc.tuple(fc.integer({ min: -5, max: 5 }), fc.option(fc.constantFrom('a', 'Zoë', "o'brien"), { nil: null })), { maxLength: 12 });
    await fc.assert(
      fc.asyncProperty(fc.array(table, { minLength: 1, maxLength: 4 }), fc.constantFrom('by_name', 'by_position'), async (tables, match) => {
        const sources = Object.fromEntries(tables.map((rows, i) => [`t${i}`, valuesQuery(rows)]));
        const r = await preview(unionOf({ match, source_column: 'src' }, sources), dir, 'u', { limit: 100000 });
        expect(r.rows.length).toBe(tables.reduce((n, t) => n + t.length, 0));
        const got = r.rows.map((x) => JSON.stringify([x.src, x.k, x.v])).sort();
        const want = tables.flatMap((t, i) => t.map(([k, v]) => JSON.stringify([`t${i}`, k, v]))).sort();
        expect(got).toEqual(want);
      }),
      { numRuns: 12 },
    );
  });
});

/** A query returning exactly these (k INTEGER, v VARCHAR) rows, also when there are none. */
function valuesQuery(rows: Array<[number, string | null]>): string {
  const lit = (v: string | null) => (v === null ? 'NULL' : `'${v.replaceAll("'", "''")}'`);
  const body = rows.length > 0 ? rows.map(([k, v]) => `(${k}, ${lit(v)})`).join(', ') : '(0, NULL)';
  return `SELECT k::INTEGER AS k, v::VARCHAR AS v FROM (VALUES ${body}) t(k, v)${rows.length > 0 ? '' : ' WHERE false'}`;
}
