import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { inspect, pipeline, preview, problemsOf, run, tempDir } from '../../../../test/support/pipeline.js';
import { stringLiteral } from '../../compiler/sql.js';
import { pyarrowScript } from '../../../../test/support/pyarrow.js';
import { duckdbScript } from './write-parquet.js';

let dir: string;

const src = (params: Record<string, unknown>) => pipeline([{ id: 'src', type: 'source.parquet', params }]);
const copy = (select: string, target: string, options = 'FORMAT parquet') => `COPY (${select}) TO ${stringLiteral(path.join(dir, target))} (${options})`;

beforeAll(async () => {
  dir = await tempDir('caudal-parquet-');
  await mkdir(path.join(dir, 'monthly'));
  await mkdir(path.join(dir, 'evolving'));
  await duckdbScript(
    copy(
      `SELECT * FROM (VALUES (1, 'José Muñoz', 12.5::DECIMAL(10,2), DATE '2024-01-03'), (2, 'Zoë', NULL, DATE '2024-02-10'), (3, '🎉 party', 7.25, NULL)) t(id, name, amount, order_date)`,
      'orders.parquet',
    ),
    copy(`SELECT range AS id, 'jan' AS month FROM range(3)`, 'monthly/2024-01.parquet'),
    copy(`SELECT range + 10 AS id, 'feb' AS month FROM range(2)`, 'monthly/2024-02.parquet'),
    copy(`SELECT 1 AS id, 'a' AS name`, 'evolving/v1.parquet'),
    copy(`SELECT 2 AS id, 'b' AS name, 'eu' AS region`, 'evolving/v2.parquet'),
    copy(
      `SELECT range AS id, 2023 + range % 2 AS year, CASE WHEN range % 3 = 0 THEN 'eu' ELSE 'us' END AS region FROM range(12)`,
      'lake',
      'FORMAT parquet, PARTITION_BY (year, region)',
    ),
  );
});

describe('source.parquet', () => {
  it('reads a single file with its own types, Unicode and nulls intact', async () => {
    const r = await preview(src({ path: 'orders.parquet' }), dir, 'src');
    expect(r.columns).toEqual([
      { name: 'id', type: 'INTEGER' },
      { name: 'name', type: 'VARCHAR' },
      { name: 'amount', type: 'DECIMAL(10,2)' },
      { name: 'order_date', type: 'DATE' },
    ]);
    expect(r.rows).toEqual([
      { id: 1, name: 'José Muñoz', amount: '12.50', order_date: '2024-01-03' },
      { id: 2, name: 'Zoë', amount: null, order_date: '2024-02-10' },
      { id: 3, name: '🎉 party', amount: '7.25', order_date: null },
    ]);
    expect(r.sql).toBe(`SELECT *\nFROM read_parquet(${stringLiteral(path.join(dir, 'orders.parquet'))})`);
  });

  it('reads every file of a glob and names the source file in a column', async () => {
    const r = await preview(src({ path: 'monthly/*.parquet', filename_column: 'source_file' }), dir, 'src');
    expect(r.columns.map((c) => c.name)).toEqual(['id', 'month', 'source_file']);
    expect(r.rows).toHaveLength(5);
    const byFile = new Map<string, number>();
    for (const row of r.rows) byFile.set(path.basename(String(row.source_file)), (byFile.get(path.basename(String(row.source_file))) ?? 0) + 1);
    expect(Object.fromEntries(byFile)).toEqual({ '2024-01.parquet': 3, '2024-02.parquet': 2 });
    expect(r.sql).toContain(`filename := 'source_file'`);
  });

  it('turns hive partition folders into columns (auto-detected, forced, or off)', async () => {
    for (const hive of ['auto', true] as const) {
      const r = await preview(src({ path: 'lake/**/*.parquet', hive_partitioning: hive }), dir, 'src', { limit: 100 });
      expect(r.columns).toEqual([
        { name: 'id', type: 'BIGINT' },
        { name: 'region', type: 'VARCHAR' },
        { name: 'year', type: 'BIGINT' },
      ]);
      expect(r.rows).toHaveLength(12);
      for (const row of r.rows) {
        expect(Number(row.year)).toBe(2023 + (Number(row.id) % 2));
        expect(row.region).toBe(Number(row.id) % 3 === 0 ? 'eu' : 'us');
      }
    }
    const off = await inspect({ pipeline: src({ path: 'lake/**/*.parquet', hive_partitioning: false }), baseDir: dir });
    expect(off.problems).toEqual([]);
    expect(off.nodes[0]!.outputs[0]!.columns.map((c) => c.name)).toEqual(['id']);
    expect(off.nodes[0]!.outputs[0]!.sql).toContain('hive_partitioning := FALSE');
  });

  it('combines files with different columns by name when asked', async () => {
    const r = await preview(src({ path: 'evolving/*.parquet', union_by_name: true }), dir, 'src');
    expect(r.columns.map((c) => c.name)).toEqual(['id', 'name', 'region']);
    expect(r.rows).toEqual([
      { id: 1, name: 'a', region: null },
      { id: 2, name: 'b', region: 'eu' },
    ]);
    expect(r.sql).toContain('union_by_name := TRUE');
  });

  it('without union_by_name takes the columns of the first file only (DuckDB drops the others)', async () => {
    const r = await preview(src({ path: 'evolving/*.parquet' }), dir, 'src');
    expect(r.columns.map((c) => c.name)).toEqual(['id', 'name']);
    expect(r.rows).toEqual([
      { id: 1, name: 'a' },
      { id: 2, name: 'b' },
    ]);
  });

  it('refuses a later file whose column has another type (its values would be converted), and reads it by name when asked', async () => {
    await mkdir(path.join(dir, 'drift'));
    await duckdbScript(copy(`SELECT 1::INTEGER AS v, '0001' AS code`, 'drift/a.parquet'), copy(`SELECT 4.5::DOUBLE AS v, '0042' AS code`, 'drift/b.parquet'));
    const problems = await problemsOf(src({ path: 'drift/*.parquet' }), dir);
    expect(problems).toEqual([expect.objectContaining({ path: 'nodes[0].params.path', column: 'v' })]);
    expect(problems[0]!.message).toMatch(/column 'v' is DOUBLE in .*b\.parquet but INTEGER in .*a\.parquet/);
    const byName = await preview(src({ path: 'drift/*.parquet', union_by_name: true }), dir, 'src');
    expect(byName.rows.map((r) => Number(r.v)).sort()).toEqual([1, 4.5]);
  });

  it('combined by name, refuses a file whose BIGINT or long DECIMAL values the combined DOUBLE would change, and reads the ones it holds', async () => {
    await mkdir(path.join(dir, 'widen'));
    await mkdir(path.join(dir, 'widen-ok'));
    await duckdbScript(
      copy(`SELECT 1.5::DOUBLE AS id, 12.5::DOUBLE AS amount`, 'widen/a.parquet'),
      copy(`SELECT * FROM (VALUES (9007199254740993::BIGINT, 1234567890123456.78::DECIMAL(18,2))) t(id, amount)`, 'widen/b.parquet'),
      copy(`SELECT 0.5::DOUBLE AS id, 0.25::DOUBLE AS amount`, 'widen-ok/a.parquet'),
      // Past 2^53, but a DOUBLE holds this one exactly: the statistics cannot clear it, the values do.
      copy(`SELECT * FROM (VALUES (9007199254740994::BIGINT, 12.34::DECIMAL(18,2)), (7, NULL)) t(id, amount)`, 'widen-ok/b.parquet'),
    );
    const problems = await problemsOf(src({ path: 'widen/*.parquet', union_by_name: true }), dir);
    expect(problems).toEqual([expect.objectContaining({ path: 'nodes[0].params.union_by_name', column: 'id' })]);
    expect(problems[0]!.message).toMatch(
      /^node 'src': column "id" holds 9007199254740993 \(BIGINT in .*b\.parquet\), which the DOUBLE type the files are combined into cannot hold exactly: it would become 9007199254740992\.0; rewrite the files/,
    );
    const ok = await preview(src({ path: 'widen-ok/*.parquet', union_by_name: true }), dir, 'src');
    expect(ok.columns.map((c) => `${c.name} ${c.type}`)).toEqual(['id DOUBLE', 'amount DOUBLE']);
    expect(ok.rows.map((r) => r.id).sort()).toEqual([0.5, 7, 9007199254740994]);
  });

  it('combined by name, refuses a file whose decimals the combined decimal type would round, or whose integers a float list would change, also inside structs; exact ones read', async () => {
    for (const d of ['dec-narrow', 'dec-struct', 'dec-ok']) await mkdir(path.join(dir, d));
    await duckdbScript(
      copy(`SELECT 1::BIGINT AS id, 1.99::DECIMAL(38,2) AS x`, 'dec-narrow/a.parquet'),
      copy(`SELECT 2::BIGINT AS id, 5::DECIMAL(38,0) AS x`, 'dec-narrow/b.parquet'),
      copy(`SELECT 1 AS id, {'a': 1.99::DECIMAL(38,2)} AS s`, 'dec-struct/a.parquet'),
      copy(`SELECT 2 AS id, {'a': 5::DECIMAL(38,0)} AS s`, 'dec-struct/b.parquet'),
      // Combined into DECIMAL(38,0) too, but every value is whole: nothing changes.
      copy(`SELECT 1::BIGINT AS id, 3.00::DECIMAL(38,2) AS x`, 'dec-ok/a.parquet'),
      copy(`SELECT 2::BIGINT AS id, 5::DECIMAL(38,0) AS x`, 'dec-ok/b.parquet'),
    );
    const narrow = await problemsOf(src({ path: 'dec-narrow/*.parquet', union_by_name: true }), dir);
    expect(narrow).toEqual([expect.objectContaining({ path: 'nodes[0].params.union_by_name', column: 'x' })]);
    expect(narrow[0]!.message).toMatch(/^node 'src': column "x" holds 1\.99 \(DECIMAL\(38,2\) in .*a\.parquet\), which the DECIMAL\(38,0\) type the files are combined into cannot hold exactly: it would become 2;/);
    const struct = await problemsOf(src({ path: 'dec-struct/*.parquet', union_by_name: true }), dir);
    expect(struct).toEqual([expect.objectContaining({ path: 'nodes[0].params.union_by_name', column: 's' })]);
    expect(struct[0]!.message).toContain("it would become {'a': 2}");
    // A BIGINT inside a list meeting a DOUBLE one is read as DOUBLE[]: 9007199254740993 would become …992.
    await mkdir(path.join(dir, 'list-float'));
    await duckdbScript(copy(`SELECT [0.5]::DOUBLE[] AS v`, 'list-float/a.parquet'), copy(`SELECT [9007199254740993]::BIGINT[] AS v`, 'list-float/b.parquet'));
    const listed = await problemsOf(src({ path: 'list-float/*.parquet', union_by_name: true }), dir);
    expect(listed).toEqual([expect.objectContaining({ path: 'nodes[0].params.union_by_name', column: 'v' })]);
    expect(listed[0]!.message).toContain('it would become [9007199254740992.0]');
    const ok = await preview(src({ path: 'dec-ok/*.parquet', union_by_name: true }), dir, 'src');
    expect(ok.rows.map((r) => [r.id, r.x]).sort()).toEqual([['1', '3'], ['2', '5']]);
  });

  it('reads only the listed columns, in the listed order, plus the file name column', async () => {
    const doc = src({ path: 'lake/**/*.parquet', columns: ['year', 'ID'], filename_column: 'file' });
    const r = await preview(doc, dir, 'src', { limit: 1 });
    expect(r.columns.map((c) => c.name)).toEqual(['year', 'id', 'file']);
    expect(r.sql).toMatch(/^SELECT "year", "id", "file"\nFROM read_parquet\(/);
  });

  it('reports unknown columns with the closest name and the available ones', async () => {
    const problems = await problemsOf(src({ path: 'orders.parquet', columns: ['id', 'nmae', 'total'] }), dir);
    expect(problems).toHaveLength(1);
    // Thrown from compile(): plan.ts turns it into a problem at the node (code bind_error).
    expect(problems[0]).toMatchObject({ nodeId: 'src', path: 'nodes[0].params.columns' });
    expect(problems[0]!.message).toBe(`node 'src': columns 'nmae' (did you mean 'name'?), 'total' not found in orders.parquet`);
    expect(problems[0]!.hint).toBe('columns in the data: id, name, amount, order_date');
  });

  it('refuses a column listed twice before touching the data', async () => {
    const problems = await problemsOf(src({ path: 'orders.parquet', columns: ['id', 'Id'] }), dir);
    expect(problems).toEqual([expect.objectContaining({ code: 'invalid_param', path: 'nodes[0].params.columns[1]', nodeId: 'src' })]);
  });

  it('reports a missing file as an io_error problem naming the node', async () => {
    for (const p of ['nope.parquet', 'missing-folder/*.parquet']) {
      const problems = await problemsOf(src({ path: p }), dir);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatchObject({ code: 'io_error', nodeId: 'src', path: 'nodes[0].params' });
      expect(problems[0]!.message).toContain(`node 'src'`);
      expect(problems[0]!.message).toContain(path.join(dir, p));
    }
  });

  it('reports a file name column that collides with a column in the files', async () => {
    const problems = await problemsOf(src({ path: 'orders.parquet', filename_column: 'name' }), dir);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ nodeId: 'src' });
    expect(problems[0]!.message).toMatch(/node 'src'.*the file name column 'name' \(filename_column\) is also a column of the files read/);
  });

  it('resolves ${param} in the path', async () => {
    const doc = pipeline([{ id: 'src', type: 'source.parquet', params: { path: 'monthly/${month}.parquet' } }], [], {
      params: { month: { type: 'string', default: '2024-02' } },
    });
    const r = await preview(doc, dir, 'src');
    expect(r.rows.map((x) => x.month)).toEqual(['feb', 'feb']);
  });

  it('runs end to end into a sink', async () => {
    const doc = pipeline(
      [
        { id: 'src', type: 'source.parquet', params: { path: 'lake/**/*.parquet', columns: ['id', 'region'] } },
        { id: 'eu', type: 'transform.filter', params: { condition: "region = 'eu'" } },
        { id: 'out', type: 'sink.csv', params: { path: 'out/eu.csv' } },
      ],
      ['src -> eu', 'eu -> out'],
    );
    const { summary } = await run(doc, dir);
    expect(summary.error).toBeUndefined();
    const lines = (await readFile(path.join(dir, 'out/eu.csv'), 'utf8')).trim().split('\n');
    expect(lines[0]).toBe('id,region');
    expect(lines.slice(1).sort()).toEqual(['0,eu', '3,eu', '6,eu', '9,eu']);
  });
});

describe('source.parquet: types DuckDB does not read as written', () => {
  let typesDir: string;
  beforeAll(async () => {
    typesDir = await tempDir('caudal-parquet-types-');
    const at = (name: string) => JSON.stringify(path.join(typesDir, name));
    await mkdir(path.join(typesDir, 'mixed'));
    await pyarrowScript(
      [
        `d = [decimal.Decimal('12.34'), None, decimal.Decimal('-1.00')]`,
        `pq.write_table(pa.table({'id': [1, 2, 3], 'amount': pa.array(d, type=pa.decimal256(40, 2))}), ${at('wide.parquet')})`,
        `pq.write_table(pa.table({'id': [1], 'amount': pa.array([1.5], type=pa.float64())}), ${at('mixed/a.parquet')})`,
        `pq.write_table(pa.table({'id': [2], 'amount': pa.array([decimal.Decimal('2.50')], type=pa.decimal256(39, 2))}), ${at('mixed/b.parquet')})`,
        `ns = pa.array([1700000000123456789], type=pa.timestamp('ns', tz='UTC'))`,
        `pq.write_table(pa.table({'at': ns}), ${at('utc_ns.parquet')})`,
        `pq.write_table(pa.table({'at': pa.array([1700000000123456789], type=pa.timestamp('ns'))}), ${at('naive_ns.parquet')})`,
        `pq.write_table(pa.table({'at': ns}), ${at('int96.parquet')}, use_deprecated_int96_timestamps=True)`,
      ].join('\n'),
    );
  });

  it('refuses a DECIMAL wider than 38 digits, which DuckDB would read as wrong numbers (12.34 as 889190710428030700)', async () => {
    const problems = await problemsOf(src({ path: 'wide.parquet' }), typesDir);
    expect(problems).toEqual([
      expect.objectContaining({
        path: 'nodes[0].params.path',
        column: 'amount',
        message: `node 'src': column 'amount' of ${path.join(typesDir, 'wide.parquet')} is a DECIMAL(40,2), wider than the 38 digits DuckDB reads: it would read wrong numbers`,
        hint: expect.stringContaining('DECIMAL(38,s) or narrower'),
      }),
    ]);
  });

  it('finds such a column in any file of a pattern, not only in the first one', async () => {
    const problems = await problemsOf(src({ path: 'mixed/*.parquet' }), typesDir);
    expect(problems[0]?.message).toContain(`column 'amount' of ${path.join(typesDir, 'mixed/b.parquet')} is a DECIMAL(39,2)`);
  });

  it('warns that nanoseconds with a time zone, and INT96 timestamps, are read to the microsecond; nanoseconds without a zone are kept', async () => {
    const warnings = async (file: string) => ((await inspect({ pipeline: src({ path: file }), baseDir: typesDir })).warnings ?? []).map((w) => w.message);
    expect(await warnings('utc_ns.parquet')).toEqual([expect.stringContaining(`column 'at' of ${path.join(typesDir, 'utc_ns.parquet')} holds timestamps in nanoseconds with a time zone, which DuckDB reads to the microsecond`)]);
    expect(await warnings('int96.parquet')).toEqual([expect.stringContaining('holds INT96 timestamps (nanoseconds of the day), which DuckDB reads to the microsecond')]);
    expect(await warnings('naive_ns.parquet')).toEqual([]);
    const kept = await preview(src({ path: 'naive_ns.parquet' }), typesDir, 'src');
    expect(kept.rows[0]).toEqual({ at: '2023-11-14 22:13:20.123456789' });
  });
});

describe('source.parquet: a UNION written by DuckDB', () => {
  it('refuses the struct with an unnamed tag field that a UNION becomes in Parquet, naming the column', async () => {
    const dir = await tempDir('caudal-parquet-union-');
    const write = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: `SELECT 1 AS id, union_value(i := 1)::UNION(i INTEGER, s VARCHAR) AS u` } },
        { id: 'out', type: 'sink.parquet', params: { path: 'u.parquet' } },
      ],
      ['src -> out'],
    );
    expect((await run(write, dir)).summary.status).toBe('succeeded');
    const read = pipeline([{ id: 'back', type: 'source.parquet', params: { path: 'u.parquet' } }]);
    await expect(preview(read, dir, 'back')).rejects.toThrow(/column 'u' of u\.parquet is a struct with an unnamed tag field .*the form in which DuckDB writes a UNION to Parquet/);
  });
});
