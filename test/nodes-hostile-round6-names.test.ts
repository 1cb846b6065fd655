import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { nestedMayChange } from '../core/src/nodes/shared/nested-types.js';
import { partitionLayoutConflict } from '../core/src/nodes/source.s3/object-checks.js';
import { inDb } from './support/duckdb.js';
import { pipeline, preview, problemsOf, run, tempDir } from './support/pipeline.js';

// The file sources, the DuckDB source and sink, and the nested-type checks still matched names with
// JavaScript's toLowerCase (or SQL's lower()), which folds every letter. DuckDB ignores the case of
// the ASCII letters A–Z only: a file may hold the columns ü and Ü, a database the schemas é and É.
// Folded together, a node read the other column, refused a list naming both, or compared a table
// with its twin's columns.

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-hostile-names-6-');
  await inDb(':memory:', `COPY (SELECT 1 AS "ü", 'two' AS "Ü", 3 AS id) TO '${path.join(dir, 'twins.parquet')}' (FORMAT parquet)`);
  await mkdir(path.join(dir, 'many'));
  for (const n of [1, 2]) await inDb(':memory:', `COPY (SELECT ${n} AS "ü", 'x${n}' AS "Ü") TO '${path.join(dir, 'many', `${n}.parquet`)}' (FORMAT parquet)`);
  await mkdir(path.join(dir, 'drift'));
  await inDb(':memory:', `COPY (SELECT 1 AS "ü", 'x' AS "Ü") TO '${path.join(dir, 'drift', '1.parquet')}' (FORMAT parquet)`);
  await inDb(':memory:', `COPY (SELECT '0042' AS "ü", 'y' AS "Ü") TO '${path.join(dir, 'drift', '2.parquet')}' (FORMAT parquet)`);
  await inDb(
    path.join(dir, 'twins.duckdb'),
    `CREATE TABLE "é" AS SELECT 1 AS "ü";
     CREATE TABLE "É" AS SELECT 'x' AS other;
     CREATE SCHEMA "s_é"; CREATE SCHEMA "s_É";
     CREATE TABLE "s_é".t AS SELECT 1 AS a;
     CREATE TABLE "s_É".t AS SELECT 2 AS b;`,
  );
});

const parquet = (params: Record<string, unknown>) => pipeline([{ id: 'src', type: 'source.parquet', params }]);

describe('source.parquet: columns ü and Ü are two', () => {
  it('reads the column listed, not its other-case twin', async () => {
    expect((await preview(parquet({ path: 'twins.parquet', columns: ['ü'] }), dir, 'src')).rows).toEqual([{ ü: 1 }]);
    expect((await preview(parquet({ path: 'twins.parquet', columns: ['Ü', 'ID'] }), dir, 'src')).rows).toEqual([{ Ü: 'two', id: 3 }]);
  });

  it('takes ü and Ü listed together, and still refuses id and ID', async () => {
    expect(await problemsOf(parquet({ path: 'twins.parquet', columns: ['Ü', 'ü'] }), dir)).toEqual([]);
    expect(await problemsOf(parquet({ path: 'twins.parquet', columns: ['id', 'ID'] }), dir)).toEqual([
      expect.objectContaining({ path: 'nodes[0].params.columns[1]', message: expect.stringContaining("column 'ID' is listed twice") }),
    ]);
  });

  it('compares each file\'s ü with the first file\'s ü, not with its Ü', async () => {
    expect(await problemsOf(parquet({ path: 'many/*.parquet' }), dir)).toEqual([]);
    expect((await preview(parquet({ path: 'many/*.parquet' }), dir, 'src')).rows).toEqual([
      { ü: 1, Ü: 'x1' },
      { ü: 2, Ü: 'x2' },
    ]);
    // A later file's ü of another type than the first file's ü is refused, whatever their Ü.
    expect(await problemsOf(parquet({ path: 'drift/*.parquet' }), dir)).toEqual([
      expect.objectContaining({ column: 'ü', message: expect.stringContaining("column 'ü' is VARCHAR in") }),
    ]);
  });
});

describe('source.json and source.csv: listed names ü and Ü are two', () => {
  it('source.json takes the keys ü and Ü listed together', async () => {
    await writeFile(path.join(dir, 'twins.ndjson'), '{"ü": 1, "Ü": "two"}\n');
    const doc = pipeline([{ id: 'src', type: 'source.json', params: { path: 'twins.ndjson', columns: [{ name: 'ü', type: 'INTEGER' }, { name: 'Ü', type: 'VARCHAR' }] } }]);
    expect(await problemsOf(doc, dir)).toEqual([]);
    expect((await preview(doc, dir, 'src')).rows).toEqual([{ ü: 1, Ü: 'two' }]);
  });

  it('source.csv takes the columns ü and Ü listed in the header\'s order, and refuses them swapped', async () => {
    await writeFile(path.join(dir, 'twins.csv'), 'ü,Ü\n1,two\n');
    const csv = (columns: string[]) => pipeline([{ id: 'src', type: 'source.csv', params: { path: 'twins.csv', columns: columns.map((name) => ({ name, type: 'VARCHAR' })) } }]);
    expect(await problemsOf(csv(['ü', 'Ü']), dir)).toEqual([]);
    expect((await preview(csv(['ü', 'Ü']), dir, 'src')).rows).toEqual([{ ü: '1', Ü: 'two' }]);
    expect(await problemsOf(csv(['Ü', 'ü']), dir)).toEqual([
      expect.objectContaining({ path: 'nodes[0].params.columns', message: expect.stringContaining("the column list names the header's columns in another order") }),
    ]);
  });

  it('source.csv refuses a second file whose header says Ü where the first says ü (read by position, its values would land under ü)', async () => {
    await mkdir(path.join(dir, 'csvs'));
    await writeFile(path.join(dir, 'csvs', 'a.csv'), 'ü,n\n1,2\n');
    await writeFile(path.join(dir, 'csvs', 'b.csv'), 'Ü,n\n3,4\n');
    expect(await problemsOf(pipeline([{ id: 'src', type: 'source.csv', params: { path: 'csvs/*.csv' } }]), dir)).toEqual([
      expect.objectContaining({ message: expect.stringContaining('does not have the columns of') }),
    ]);
    // Files whose headers differ in ASCII case only are one layout, as DuckDB reads them.
    await mkdir(path.join(dir, 'csvs-ascii'));
    await writeFile(path.join(dir, 'csvs-ascii', 'a.csv'), 'id,n\n1,2\n');
    await writeFile(path.join(dir, 'csvs-ascii', 'b.csv'), 'ID,N\n3,4\n');
    expect(await problemsOf(pipeline([{ id: 'src', type: 'source.csv', params: { path: 'csvs-ascii/*.csv' } }]), dir)).toEqual([]);
  });
});

describe('DuckDB databases: tables and schemas é and É are two', () => {
  it('sink.duckdb appends to é comparing its columns only, not those of É', async () => {
    const doc = pipeline(
      [
        { id: 'src', type: 'source.duckdb', params: { database: 'twins.duckdb', query: 'SELECT 2 AS "ü"' } },
        { id: 'out', type: 'sink.duckdb', params: { database: 'twins.duckdb', table: 'é', mode: 'append' } },
      ],
      ['src -> out'],
    );
    const { summary } = await run(doc, dir);
    expect(summary.status, JSON.stringify(summary.error)).toBe('succeeded');
    expect(await inDb(path.join(dir, 'twins.duckdb'), 'SELECT "ü" FROM "é" ORDER BY 1')).toEqual([{ ü: 1 }, { ü: 2 }]);
    expect(await inDb(path.join(dir, 'twins.duckdb'), 'SELECT * FROM "É"')).toEqual([{ other: 'x' }]);
  });

  it('source.duckdb lists the columns of the schema named, not of its other-case twin', async () => {
    const table = (schema: string, columns: string[]) => pipeline([{ id: 'src', type: 'source.duckdb', params: { database: 'twins.duckdb', schema, table: 't', columns } }]);
    expect((await preview(table('s_é', ['a']), dir, 'src')).rows).toEqual([{ a: 1 }]);
    expect((await preview(table('s_É', ['b']), dir, 'src')).rows).toEqual([{ b: 2 }]);
    expect(await problemsOf(table('s_é', ['b']), dir)).toEqual([expect.objectContaining({ message: expect.stringContaining("column 'b' not found in s_é.t") })]);
  });
});

describe('names inside types and object keys', () => {
  it('a struct of é BIGINT and É VARCHAR widened to é DOUBLE is a change to check', () => {
    expect(nestedMayChange('STRUCT("é" BIGINT, "É" VARCHAR)', 'STRUCT("é" DOUBLE, "É" VARCHAR)')).toBe(true);
    expect(nestedMayChange('STRUCT("é" INTEGER, "É" VARCHAR)', 'STRUCT("é" BIGINT, "É" VARCHAR)')).toBe(false);
  });

  it('objects under the folders É=1 and é=1 have two partition layouts; K=1 and k=1 one', () => {
    expect(partitionLayoutConflict(['data/É=1/a.csv', 'data/é=1/b.csv'])).toBeDefined();
    expect(partitionLayoutConflict(['data/K=1/a.csv', 'data/k=1/b.csv'])).toBeUndefined();
  });
});
