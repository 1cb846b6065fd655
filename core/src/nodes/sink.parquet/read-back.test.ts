import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/support/pipeline.js';
import { Db } from '../../compiler/db.js';
import { stringLiteral } from '../../compiler/sql.js';
import { parquetReadBack } from './read-back.js';

/**
 * A Parquet sink offers to read its staged file back (so a node it writes need not also be kept in
 * a temp table) exactly when every column comes back from the file with the type it was written
 * with. Checked against this DuckDB's real round trip, type by type.
 */

let db: Db;
let dir: string;
beforeAll(async () => {
  db = await Db.open();
  dir = await tempDir('caudal-parquet-read-back-');
});
afterAll(() => db.close());

const VALUES: Array<[string, string]> = [
  ['BOOLEAN', 'true'],
  ['TINYINT', '-5'],
  ['SMALLINT', '300'],
  ['INTEGER', '70000'],
  ['BIGINT', '9007199254740993'],
  ['UTINYINT', '200'],
  ['UBIGINT', '18446744073709551615'],
  ['HUGEINT', '170141183460469231731687303715884105727'],
  ['UHUGEINT', '1'],
  ['FLOAT', '1.5'],
  ['DOUBLE', '-0.25'],
  ['DECIMAL(4,1)', '123.4'],
  ['DECIMAL(38,10)', '1234567890123456789012345678.0123456789'],
  ['VARCHAR', "'José'"],
  ['BLOB', "'\\xAA'::BLOB"],
  ['DATE', "'2024-02-29'"],
  ['TIME', "'12:34:56.789'"],
  ['TIMESTAMP', "'2024-02-29 12:34:56.123456'"],
  ['TIMESTAMP_S', "'2024-02-29 12:34:56'"],
  ['TIMESTAMP_MS', "'2024-02-29 12:34:56.123'"],
  ['TIMESTAMP_NS', "'2024-02-29 12:34:56.123456789'"],
  ['TIMESTAMP WITH TIME ZONE', "'2024-02-29 12:34:56+02'"],
  ['UUID', "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'"],
  ['INTERVAL', "INTERVAL 3 DAY"],
  ['BIT', "'0101'"],
  ["ENUM('a', 'b')", "'b'"],
  ['INTEGER[]', '[1, 2]'],
  ['INTEGER[2]', '[1, 2]'],
  ['STRUCT(a INTEGER, "b c" VARCHAR)', "{'a': 1, 'b c': 'x'}"],
  ['STRUCT(a HUGEINT)', "{'a': 1}"],
  ['MAP(VARCHAR, DOUBLE)', "MAP {'k': 1.5}"],
  ['UNION(n INTEGER, s VARCHAR)', '1'],
  ['JSON', `'{"a": 1}'`],
];

describe('Parquet read-back offered exactly for the types a Parquet file gives back unchanged', () => {
  it.each(VALUES)('%s', async (type, value) => {
    const file = path.join(dir, `${type.replace(/\W+/g, '_')}.parquet`);
    await db.run(`CREATE OR REPLACE TEMP TABLE t AS SELECT CAST(${value} AS ${type}) AS x`);
    const [written] = await db.rows('DESCRIBE t');
    await db.run(`COPY t TO ${stringLiteral(file)} (FORMAT parquet, COMPRESSION 'zstd')`);
    const [read] = await db.rows(`DESCRIBE SELECT * FROM read_parquet(${stringLiteral(file)})`);
    const sameType = read!.column_type === written!.column_type;
    const sameValue = sameType && (await db.count(`SELECT count(*) FROM (SELECT * FROM t EXCEPT ALL SELECT * FROM read_parquet(${stringLiteral(file)}))`)) === 0;
    const offered = parquetReadBack([{ name: 'x', type: String(written!.column_type) }]) !== undefined;
    expect({ type: written!.column_type, offered }).toEqual({ type: written!.column_type, offered: sameType && sameValue });
  });

  it('reads the file given to it, as it is', async () => {
    const file = path.join(dir, "it's.parquet");
    await db.run(`COPY (SELECT 1 AS id, 'a' AS "Name") TO ${stringLiteral(file)} (FORMAT parquet)`);
    const query = parquetReadBack([{ name: 'id', type: 'INTEGER' }, { name: 'Name', type: 'VARCHAR' }])!(file);
    expect(await db.rows(query)).toEqual([{ id: 1, Name: 'a' }]);
  });
});
