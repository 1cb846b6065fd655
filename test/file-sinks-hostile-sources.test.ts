import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { inDb } from './support/duckdb.js';
import { inspect, pipeline, problemsOf, run, tempDir } from './support/pipeline.js';
import { pyarrowScript } from './support/pyarrow.js';

/**
 * source.parquet over files another program is still writing (or that were cut off): a Parquet
 * file's footer is written last, so such a file has none. The error must say which file and what
 * to do, on the path param, not DuckDB's "No magic bytes found at end of file".
 */
let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-fsh-sources-');
  await mkdir(path.join(dir, 'landing'), { recursive: true });
  await inDb(':memory:', `COPY (SELECT range AS id FROM range(100000)) TO '${path.join(dir, 'landing', 'a.parquet')}'`);
  const whole = await readFile(path.join(dir, 'landing', 'a.parquet'));
  await writeFile(path.join(dir, 'landing', 'b.parquet'), whole.subarray(0, Math.floor(whole.length / 2)));
  await mkdir(path.join(dir, 'empty'), { recursive: true });
  await writeFile(path.join(dir, 'empty', 'c.parquet'), '');
});

const source = (p: string) => pipeline([{ id: 'src', type: 'source.parquet', params: { path: p } }, { id: 'out', type: 'sink.csv', params: { path: `out-${p.replace(/\W/g, '_')}.csv` } }], ['src -> out']);

describe('source.parquet reading a file that is still being written or was cut off', () => {
  it.each([
    ['a glob matching a half-written file', 'landing/*.parquet', 'landing/b.parquet'],
    ['the half-written file itself', 'landing/b.parquet', 'landing/b.parquet'],
    ['an empty file', 'empty/*.parquet', 'empty/c.parquet'],
  ])('%s: the problem names the file, says it is incomplete, and points at the path param', async (_what, pattern, file) => {
    const problems = await problemsOf(source(pattern), dir);
    expect(problems).toEqual([
      expect.objectContaining({
        code: 'io_error',
        nodeId: 'src',
        path: 'nodes[0].params.path',
        message: `node 'src': ${path.join(dir, file)} is not a complete Parquet file (it has no footer): another program may still be writing it, or it was cut off`,
        hint: expect.stringContaining('wait until the writer has finished'),
      }),
    ]);
    const { summary } = await run(source(pattern), dir);
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toContain('is not a complete Parquet file');
  });
});

/**
 * pyarrow (and so Spark, Polars, pandas through it) writes column names DuckDB cannot keep apart:
 * the same name twice, names differing only in letter case (DuckDB matches names without regard to
 * case), an empty name. DuckDB renames them (id_1, C0) without a word, so `columns: [id]` or a
 * downstream node reading `id` silently gets another column than the one the file calls `id`.
 */
describe('source.parquet reading a file whose column names DuckDB renames', () => {
  let names: string;
  beforeAll(async () => {
    names = path.join(dir, 'names');
    await mkdir(names, { recursive: true });
    await pyarrowScript(`
pq.write_table(pa.Table.from_arrays([pa.array([1, 2]), pa.array(['a', 'b'])], names=['ID', 'id']), ${JSON.stringify(path.join(names, 'case.parquet'))})
pq.write_table(pa.Table.from_arrays([pa.array([1]), pa.array(['x']), pa.array([2.5])], names=['', 'x', 'x']), ${JSON.stringify(path.join(names, 'blank.parquet'))})
pq.write_table(pa.Table.from_arrays([pa.array([1]), pa.array([{'a': 1, 'A': 2}])], names=['id', 's']), ${JSON.stringify(path.join(names, 'nested.parquet'))})
`);
  });

  const warnings = async (p: string) => ((await inspect({ pipeline: pipeline([{ id: 'src', type: 'source.parquet', params: { path: p } }]), baseDir: dir })).warnings ?? []).map((w) => w.message);

  it('warns naming the file and each renamed column with the name it is read under', async () => {
    expect(await warnings('names/case.parquet')).toEqual([
      `node 'src': ${path.join(names, 'case.parquet')} has column names DuckDB cannot keep apart (it matches names without regard to case) or that are empty, and reads them under other names: column 2 'id' as 'id_1'; refer to them by those names, or rename them where the file is written`,
    ]);
    expect(await warnings('names/blank.parquet')).toEqual([
      `node 'src': ${path.join(names, 'blank.parquet')} has column names DuckDB cannot keep apart (it matches names without regard to case) or that are empty, and reads them under other names: column 1 '' as 'C0', column 3 'x' as 'x_1'; refer to them by those names, or rename them where the file is written`,
    ]);
  });

  it('a glob names each such file; files with distinct names (nested fields included) give no warning', async () => {
    expect(await warnings('names/nested.parquet')).toEqual([]);
    const all = await warnings('names/*.parquet');
    expect(all.filter((w) => w.includes('cannot keep apart'))).toEqual([expect.stringContaining('blank.parquet'), expect.stringContaining('case.parquet')]);
  });
});

/**
 * A view whose table was dropped, or a query naming a table the file does not have: DuckDB's
 * "Table with name gone does not exist" was explained as for a SQL transform ("node 'src' reads
 * 'gone', which is not one of its inputs", "connect the node you want to read"), which sends the user
 * to the canvas instead of to the database file.
 */
describe('source.duckdb reading a view whose table is gone, or a query naming a missing table', () => {
  let db: string;
  beforeAll(async () => {
    db = path.join(dir, 'views.duckdb');
    await inDb(db, `CREATE TABLE orders AS SELECT 1 AS id; CREATE TABLE gone AS SELECT 1 AS q; CREATE VIEW broken AS SELECT q FROM gone; DROP TABLE gone CASCADE;`);
  });
  const read = (params: Record<string, unknown>) => pipeline([{ id: 'src', type: 'source.duckdb', params: { database: 'views.duckdb', ...params } }]);

  it('a broken view: the problem names the view, the missing table and the file', async () => {
    const problems = await problemsOf(read({ table: 'broken' }), dir);
    expect(problems).toEqual([
      expect.objectContaining({
        nodeId: 'src',
        path: 'nodes[0].params.table',
        message: `node 'src': view 'broken' of ${db} refers to 'gone', which is not in the database file`,
        hint: 'recreate the view in the database, or read the tables it was built on; tables and views there: broken, orders',
      }),
    ]);
  });

  it('a query naming a missing table: the problem names it, the closest table and the file', async () => {
    const problems = await problemsOf(read({ query: 'SELECT * FROM ordrs' }), dir);
    expect(problems).toEqual([
      expect.objectContaining({
        nodeId: 'src',
        path: 'nodes[0].params.query',
        message: `node 'src': the query reads 'ordrs', which is not a table or view in schema 'main' of ${db} (did you mean 'orders'?)`,
        hint: 'tables and views there: broken, orders',
      }),
    ]);
  });
});
