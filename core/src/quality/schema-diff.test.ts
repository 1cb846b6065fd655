import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Db } from '../compiler/db.js';
import { canonicalType, resolveType } from '../util/duckdb-type.js';
import { schemaDiff } from './schema-diff.js';
import { pinnedSchemaDrift } from './schema-pin.js';

let db: Db;
beforeAll(async () => {
  db = await Db.open();
});
afterAll(() => db.close());

/** Spellings of types, each resolved by DuckDB itself below. */
const SPELLINGS = [
  'INT', 'int4', 'INT32', 'SIGNED', 'INT8', 'LONG', 'INT64', 'INT2', 'SHORT', 'INT1', 'INT128', 'HUGEINT', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'UINT128',
  'VARINT', 'DOUBLE PRECISION', 'double  precision', 'FLOAT8', 'FLOAT', 'FLOAT4', 'REAL', 'FLOAT(10)', 'FLOAT(30)', 'BOOL', 'LOGICAL', 'DATETIME', 'TIMESTAMP_US',
  'TIMESTAMP_S', 'TIMESTAMP_MS', 'TIMESTAMP_NS', 'TIMESTAMP(0)', 'TIMESTAMP(3)', 'TIMESTAMP(6)', 'TIMESTAMP(9)', 'timestamptz', 'TIMESTAMP WITH TIME ZONE',
  'TIMESTAMP WITHOUT TIME ZONE', 'TIMETZ', 'TIME WITH TIME ZONE', 'TIME', 'TIME_NS', 'INTERVAL', 'STRING', 'TEXT', 'CHAR(3)', 'BPCHAR', 'NVARCHAR', 'CHARACTER VARYING',
  'VARCHAR(10)', 'BYTEA', 'BINARY', 'VARBINARY', 'BITSTRING', 'GUID', 'UUID', 'JSON', 'NUMERIC', 'DEC', 'DECIMAL(5)', 'NUMERIC(10, 2)', 'DECIMAL(38,0)',
  'DECIMAL ( 10 , 2 )', 'INT[]', 'INT [ ]', 'int[][]', 'INT[3]', 'INT ARRAY', 'INTEGER ARRAY[3]', 'STRUCT(x INT)', 'ROW(x INT)', 'STRUCT("x y" INT, "it""s" TEXT)',
  'STRUCT(x STRUCT(y INT[]))[]', 'MAP(TEXT,INT)', 'MAP(INT, STRUCT(a INT))[2][]', 'UNION(a INT, b TEXT)', "ENUM('a','b c', 'it''s')", 'STRUCT(Ab INT, a_1 INT)',
];

describe('schema types: compared by the name DuckDB gives them', () => {
  it('resolves every spelling to the type DuckDB names it (typeof CAST(NULL AS …))', async () => {
    for (const t of SPELLINGS) {
      const [r] = await db.rows(`SELECT typeof(CAST(NULL AS ${t})) AS t`);
      expect(canonicalType(t), t).toBe(r!.t);
    }
  });

  it('equal types written differently are no drift (schema check and expect_schema)', () => {
    const actual = [
      { name: 'a', type: 'DECIMAL(10,2)' },
      { name: 'b', type: 'DECIMAL(18,3)' },
      { name: 'c', type: 'INTEGER' },
      { name: 'd', type: 'INTEGER[]' },
      { name: 'f', type: 'DOUBLE' },
      { name: 'g', type: 'TIMESTAMP WITH TIME ZONE' },
      { name: 'h', type: 'STRUCT(x INTEGER)' },
      { name: 'm', type: 'MAP(VARCHAR, BIGINT)' },
      { name: 's', type: 'STRUCT("a b" INTEGER, C VARCHAR)' },
      { name: 'k', type: 'STRUCT("select" INTEGER)' },
    ];
    const expected = [
      { name: 'a', type: 'DECIMAL(10, 2)' },
      { name: 'b', type: 'NUMERIC' },
      { name: 'c', type: 'int4' },
      { name: 'd', type: 'INT[]' },
      { name: 'f', type: 'DOUBLE PRECISION' },
      { name: 'g', type: 'timestamptz' },
      { name: 'h', type: 'STRUCT(x INT)' },
      { name: 'm', type: 'MAP(TEXT, INT8)' },
      // Field names, like column names, without regard to case.
      { name: 's', type: 'STRUCT("a b" INT, c TEXT)' },
      { name: 'k', type: 'ROW("select" INT)' },
    ];
    expect(schemaDiff(actual, expected, false)).toEqual([]);
    expect(pinnedSchemaDrift('src', 'nodes[0]', { expect_schema: expected }, actual)).toEqual({});
  });

  it('different types still differ, and the message shows what the expected type means', () => {
    const actual = [
      { name: 'a', type: 'DECIMAL(10,2)' },
      { name: 'd', type: 'INTEGER[]' },
      { name: 'e', type: 'INTEGER[3]' },
      { name: 'h', type: 'STRUCT(x INTEGER)' },
      { name: 'n', type: "ENUM('a', 'b')" },
    ];
    expect(schemaDiff(actual, [
      { name: 'a', type: 'NUMERIC' },
      { name: 'd', type: 'BIGINT[]' },
      { name: 'e', type: 'INT[]' },
      { name: 'h', type: 'STRUCT(y INT)' },
      { name: 'n', type: "ENUM('A', 'b')" },
    ], true)).toEqual([
      "column 'a' is DECIMAL(10,2), expected NUMERIC (DECIMAL(18,3))",
      "column 'd' is INTEGER[], expected BIGINT[]",
      "column 'e' is INTEGER[3], expected INT[] (INTEGER[])",
      "column 'h' is STRUCT(x INTEGER), expected STRUCT(y INT) (STRUCT(y INTEGER))",
      "column 'n' is ENUM('a', 'b'), expected ENUM('A', 'b')",
    ]);
  });

  it('a type DuckDB does not know is named with its column: a line of the schema check, a problem of the pin', () => {
    expect(resolveType('INTEGR')).toEqual({ problem: "'INTEGR' is not a DuckDB type: no type is named INTEGR (did you mean INTEGER?)" });
    expect(resolveType('DECIMAL(39,2)')).toEqual({ problem: "'DECIMAL(39,2)' is not a DuckDB type: DECIMAL width must be between 1 and 38 (got 39)" });
    expect(resolveType('INTEGER); DROP TABLE x; --')).toMatchObject({ problem: expect.stringContaining('is not a DuckDB type') });
    expect(resolveType('STRUCT(x INT, X INT)')).toMatchObject({ problem: expect.stringContaining("field 'X' appears twice") });
    expect(resolveType('MAP(INT)')).toMatchObject({ problem: expect.stringContaining('MAP takes a key type and a value type') });
    const actual = [{ name: 'id', type: 'INTEGER' }];
    expect(schemaDiff(actual, [{ name: 'id', type: 'INTEGR' }], true)).toEqual(["column 'id': the expected type 'INTEGR' is not a DuckDB type: no type is named INTEGR (did you mean INTEGER?)"]);
    for (const on_drift of ['warn', 'error']) {
      expect(pinnedSchemaDrift('src', 'nodes[0]', { expect_schema: [{ name: 'id', type: 'INTEGR' }], on_drift }, actual)).toEqual({
        problem: {
          code: 'invalid_param',
          path: 'nodes[0].params.expect_schema[0].type',
          nodeId: 'src',
          column: 'id',
          message: "node 'src': expect_schema pins column 'id' to 'INTEGR' is not a DuckDB type: no type is named INTEGR (did you mean INTEGER?)",
          hint: expect.any(String),
        },
      });
    }
    // A type of an extension the parser does not know, written as DuckDB names the column's: a match.
    expect(schemaDiff([{ name: 'g', type: 'SOME_EXT_TYPE' }], [{ name: 'g', type: 'SOME_EXT_TYPE' }], true)).toEqual([]);
    expect(pinnedSchemaDrift('src', 'nodes[0]', { expect_schema: [{ name: 'g', type: 'SOME_EXT_TYPE' }] }, [{ name: 'g', type: 'SOME_EXT_TYPE' }])).toEqual({});
  });
});
