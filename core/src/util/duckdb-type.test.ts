import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Db } from '../compiler/db.js';
import { canonicalType, resolveType, sqlType, typeProblem } from './duckdb-type.js';

let db: Db;
beforeAll(async () => {
  db = await Db.open();
});
afterAll(() => db.close());

describe('DuckDB type names as users write them', () => {
  it('knows every name DuckDB knows for a type (duckdb_types()), as DuckDB names it', async () => {
    // Types that need members or arguments are covered by the spellings in schema-diff.test.ts.
    const rows = await db.rows(
      `SELECT DISTINCT type_name, logical_type FROM duckdb_types() WHERE schema_name = 'main'
       AND logical_type NOT IN ('ARRAY', 'LIST', 'MAP', 'STRUCT', 'UNION', 'ENUM', 'TYPE', 'NULL', 'DECIMAL')`,
    );
    expect(rows.length).toBeGreaterThan(60);
    for (const r of rows) {
      const [d] = await db.rows(`SELECT typeof(CAST(NULL AS ${String(r.type_name)})) AS t`);
      expect(canonicalType(String(r.type_name)), String(r.type_name)).toBe(d!.t);
    }
  });

  it('gives the SQL form with every field name quoted, which DuckDB reads as the same type', async () => {
    const written = ['STRUCT(select INT, "a b" dec(10,2)[], Ab ROW(x int4))', 'MAP(text, UNION(n INT, "order" TEXT))', "enum('it''s', 'b')[]"];
    expect(written.map(sqlType)).toEqual([
      'STRUCT("select" INTEGER, "a b" DECIMAL(10,2)[], "Ab" STRUCT("x" INTEGER))',
      'MAP(VARCHAR, UNION("n" INTEGER, "order" VARCHAR))',
      "ENUM('it''s', 'b')[]",
    ]);
    for (const t of written.slice(1)) {
      const [d] = await db.rows(`SELECT typeof(CAST(NULL AS ${sqlType(t)})) AS s, typeof(CAST(NULL AS ${t})) AS w`);
      expect(d!.s, t).toBe(d!.w);
    }
    // Text that is no type comes back as written, for the node's check to report.
    expect(sqlType('VARCHR')).toBe('VARCHR');
  });

  it.each([
    ['', 'is not a DuckDB type (e.g. VARCHAR'],
    ['INTEGR', 'no type is named INTEGR (did you mean INTEGER?)'],
    ['DECIMAL(40,2)', 'DECIMAL width must be between 1 and 38 (got 40)'],
    ['DECIMAL(5,7)', 'DECIMAL scale (7) cannot exceed its width (5)'],
    ['DECIMAL(a)', 'DECIMAL takes a width and an optional scale, e.g. DECIMAL(12,2)'],
    ['STRUCT', 'STRUCT needs its members in parentheses, e.g. STRUCT(a INTEGER, b VARCHAR)'],
    ['STRUCT()', 'nothing between the parentheses'],
    ['MAP(INT)', 'MAP takes a key type and a value type'],
    ['STRUCT(x INT, X INT)', "field 'X' appears twice"],
    ['INTEGER(3)', 'INTEGER takes no arguments in parentheses'],
    ['VARCHAR(2', "expected ')'"],
    ["x'; DROP TABLE t; --", 'is not a DuckDB type'],
    // Balanced parentheses with SQL hidden behind a comment inside them.
    ['STRUCT(a INT /*((*/)) AS "k", (SELECT 42) AS evil, CAST(NULL AS STRUCT(b INT /*))*/)', 'is not a DuckDB type'],
    ['STRUCT(a INT) AS x, (SELECT 1) AS y', "unexpected 'AS x, (SELECT 1) AS y'"],
  ])('refuses %j: %s', (t, why) => {
    expect(typeProblem(t)).toContain(why);
    expect(resolveType(t)).toEqual({ problem: expect.stringContaining(why) });
  });

  it.each(['VARCHAR', 'bigint', 'DECIMAL(12,2)', 'numeric(5)', 'TIMESTAMP WITH TIME ZONE', 'INTEGER[]', 'VARCHAR[3]', 'STRUCT(a INTEGER, b VARCHAR)', "ENUM('a', 'b')", 'MAP(VARCHAR, INTEGER)', 'varchar(20)', 'TIMESTAMP(3)', 'FLOAT(30)', 'oid', 'integral'])(
    'accepts %s',
    (t) => expect(typeProblem(t)).toBeUndefined(),
  );
});
