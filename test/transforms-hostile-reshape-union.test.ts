import { beforeAll, describe, expect, it } from 'vitest';
import { pipeline, preview, problemsOf, tempDir } from './support/pipeline.js';

// Hostile column types for Union: date/time kinds that DuckDB accepts while planning but cannot
// convert once rows flow (DATE with TIME, TIMESTAMP with INTERVAL), and TIME with TIME WITH TIME
// ZONE, whose common type depends on the input order and drops the offset without converting.

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-hostile-union-');
});

const unionOf = (inputs: Record<string, string>, params: Record<string, unknown> = {}) =>
  pipeline(
    [...Object.entries(inputs).map(([id, query]) => ({ id, type: 'transform.sql', params: { query } })), { id: 'u', type: 'transform.union', params }],
    Object.keys(inputs).map((id) => `${id} -> u`),
  );

describe('transform.union: date/time kinds that cannot be combined are reported before the run', () => {
  const cases: Array<[string, string, string, string]> = [
    ["DATE '2024-01-05'", "TIME '10:00'", 'DATE', 'TIME'],
    ["TIMESTAMP '2024-01-05 10:00'", "TIME '10:00'", 'TIMESTAMP', 'TIME'],
    ["TIMESTAMPTZ '2024-01-05 10:00:00+00'", 'INTERVAL 1 DAY', 'TIMESTAMP WITH TIME ZONE', 'INTERVAL'],
    ["DATE '2024-01-05'", 'INTERVAL 1 DAY', 'DATE', 'INTERVAL'],
    ["TIME '10:00'", "'10:00:00+02'::TIMETZ", 'TIME', 'TIME WITH TIME ZONE'],
  ];
  for (const [a, b, ta, tb] of cases)
    it(`${ta} with ${tb}`, async () => {
      expect(await problemsOf(unionOf({ a: `SELECT ${a} AS at`, b: `SELECT ${b} AS "AT"` }), dir)).toEqual([
        expect.objectContaining({
          path: 'nodes[2].params.match',
          message: `column 'at' of node 'u' is ${ta} in input 'a' but ${tb} in input 'b': a union cannot combine them`,
          hint: expect.stringContaining('convert one of them first'),
        }),
      ]);
    });

  it('by position too', async () => {
    expect(await problemsOf(unionOf({ a: `SELECT 1 AS id, DATE '2024-01-05' AS day`, b: `SELECT 2 AS id, TIME '10:00' AS at` }, { match: 'by_position' }), dir)).toEqual([
      expect.objectContaining({ message: "column 'day' of node 'u' is DATE in input 'a' but TIME in input 'b': a union cannot combine them" }),
    ]);
  });

  it('DATE with TIMESTAMP still combines (a date is its midnight)', async () => {
    const doc = unionOf({ a: `SELECT DATE '2024-01-05' AS at`, b: `SELECT TIMESTAMP '2024-01-05 10:00' AS at` });
    expect(await problemsOf(doc, dir)).toEqual([]);
    const r = await preview(doc, dir, 'u');
    expect(r.columns.map((c) => c.type)).toEqual(['TIMESTAMP']);
    expect(r.rows.map((x) => x.at).sort()).toEqual(['2024-01-05 00:00:00', '2024-01-05 10:00:00']);
  });
});
