import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { inspect, pipeline, preview, problemsOf, run, tempDir } from '../../../../test/support/pipeline.js';
import { splitFields } from './detect.js';

/**
 * Detection looks at a sample of the first rows. What it concludes must not silently misread the
 * rest of the file, nor pick one reading of values that have two.
 */
let dir: string;

const csv = (params: Record<string, unknown>) => pipeline([{ id: 'src', type: 'source.csv', params }]);

beforeAll(async () => {
  dir = await tempDir('caudal-csv-detection-');
  const lines = ['id,name,amount', ...Array.from({ length: 30_000 }, (_, i) => `${i + 1},n${i + 1},${i}`)];
  lines[25_000] = '25000,"Ed",1';
  lines[26_000] = '26000,"x, y",2';
  await writeFile(path.join(dir, 'late_quotes.csv'), lines.join('\n') + '\n');
  await writeFile(path.join(dir, 'dm_or_md.csv'), 'id,day\n1,01/02/2025\n2,03/04/2025\n');
  await writeFile(path.join(dir, 'two_digit_years.csv'), 'id,day\n1,01/02/25\n2,03/04/25\n');
  await writeFile(path.join(dir, 'stamps.csv'), 'id,at\n1,01/02/2025 10:00:00\n2,03/04/2025 11:30:00\n');
  await writeFile(path.join(dir, 'day_first.csv'), 'id,day\n1,01/02/2025\n2,31/12/2025\n');
});

describe('source.csv: quotes that appear only after the sampled rows', () => {
  it('are still quotes (RFC 4180), not part of the value', async () => {
    const doc = pipeline(
      [
        { id: 'src', type: 'source.csv', params: { path: 'late_quotes.csv' } },
        { id: 'late', type: 'transform.filter', params: { condition: 'id IN (25000, 26000)' } },
      ],
      ['src -> late'],
    );
    const r = await preview(doc, dir, 'late');
    expect(r.rows).toEqual([
      { id: '25000', name: 'Ed', amount: '1' },
      { id: '26000', name: 'x, y', amount: '2' },
    ]);
  });
});

describe('source.csv: quotes escaped two ways in one file ("" and \\")', () => {
  const MIXED = 'id,name,note\n1,"Ann ""A"" Lee",x\n2,"Bob \\"B\\" Ray",y\n3,plain,z\n';

  it('are refused, naming the first quoted line, instead of being read with the quotes kept in the values', async () => {
    await writeFile(path.join(dir, 'mixed_escapes.csv'), MIXED);
    const problems = await problemsOf(csv({ path: 'mixed_escapes.csv' }), dir);
    expect(problems).toEqual([
      expect.objectContaining({
        path: 'nodes[0].params.quote',
        message: `node 'src': ${path.join(dir, 'mixed_escapes.csv')} has quoted values (line 2: ${JSON.stringify('1,"Ann ""A"" Lee",x')}) that do not read with one quote and escape character, so detection would keep the quotes in the values`,
      }),
    ]);
  });

  it('with the quote stated, are not read as one column of whole lines', async () => {
    const problems = await problemsOf(csv({ path: 'mixed_escapes.csv', quote: '"', escape: '"' }), dir);
    expect(problems.map((p) => [p.path, p.message])).toEqual([
      ['nodes[0].params.delimiter', expect.stringContaining('detection would read every line as one column named "id,name,note"')],
    ]);
  });

  it('with the delimiter, quote and escape stated, name the first line that does not read with them', async () => {
    const problems = await problemsOf(csv({ path: 'mixed_escapes.csv', delimiter: ',', quote: '"', escape: '"' }), dir);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.message).toContain('with the options given (line 3: ');
  });

  it("apostrophes in values that pair up across lines are not taken for quotes (\" wins when it fits as well)", async () => {
    // What Write CSV writes for the values ' and ' in two rows; read with ' as the quote, it was one value spanning two lines.
    await writeFile(path.join(dir, 'apostrophes.csv'), "id,s,t\n0,,'\n1,,'\n2,,\n");
    expect((await preview(csv({ path: 'apostrophes.csv' }), dir, 'src')).rows).toEqual([
      { id: '0', s: null, t: "'" },
      { id: '1', s: null, t: "'" },
      { id: '2', s: null, t: null },
    ]);
  });

  it("an apostrophe quoted on its own (\"'\") is not taken for an escape that joins the lines after it", async () => {
    // What Write CSV writes for the values ', NULL (as \N) and a line break followed by a; detection took ' as the escape.
    await writeFile(path.join(dir, 'quoted_apostrophe.csv'), '"s"\n"\'"\n\\N\n"\na"\n');
    expect((await preview(csv({ path: 'quoted_apostrophe.csv', null_strings: ['\\N'] }), dir, 'src')).rows).toEqual([{ s: "'" }, { s: null }, { s: '\na' }]);
  });

  it('a backslash-escaped file (\\") is still read with the backslash as the escape', async () => {
    await writeFile(path.join(dir, 'backslashed.csv'), 'a,b\n"x \\"y\\" z",1\n"w",2\n');
    expect((await preview(csv({ path: 'backslashed.csv' }), dir, 'src')).rows).toEqual([
      { a: 'x "y" z', b: '1' },
      { a: 'w', b: '2' },
    ]);
  });

  it('read as written when the quote is set to none', async () => {
    expect((await preview(csv({ path: 'mixed_escapes.csv', quote: '' }), dir, 'src')).rows[0]).toEqual({ id: '1', name: '"Ann ""A"" Lee"', note: 'x' });
  });
});

describe('source.csv: integers longer than 64 bits', () => {
  it('keep every digit: HUGEINT up to 38 digits, text beyond (detection alone would make them DOUBLE)', async () => {
    await writeFile(path.join(dir, 'wide.csv'), 'acct,amount,code\n12345678901234567890123,1.5,1234567890123456789012345678901234567890\n98765432109876543210987,2,7\n');
    const r = await preview(csv({ path: 'wide.csv' }), dir, 'src');
    expect(r.columns).toEqual([
      { name: 'acct', type: 'HUGEINT' },
      { name: 'amount', type: 'DOUBLE' },
      { name: 'code', type: 'VARCHAR' },
    ]);
    expect(r.rows).toEqual([
      { acct: '12345678901234567890123', amount: 1.5, code: '1234567890123456789012345678901234567890' },
      { acct: '98765432109876543210987', amount: 2, code: '7' },
    ]);
    expect((await inspect({ pipeline: csv({ path: 'wide.csv' }), baseDir: dir })).warnings).toEqual([]);
  });

  it('the lowest and highest HUGEINT read exactly (the check for rounded wholes used to overflow on the lowest)', async () => {
    const lowest = '-170141183460469231731687303715884105728';
    const highest = '170141183460469231731687303715884105727';
    await writeFile(path.join(dir, 'hugeint_ends.csv'), `id,v\n1,${lowest}\n2,${highest}\n3,1\n4,\n`);
    const r = await preview(csv({ path: 'hugeint_ends.csv' }), dir, 'src');
    expect(r.columns[1]).toEqual({ name: 'v', type: 'HUGEINT' });
    expect(r.rows.map((x) => x.v)).toEqual([lowest, highest, '1', null]);
    // With a fraction beside them the column stays DOUBLE, and planning names the rounded whole.
    await writeFile(path.join(dir, 'hugeint_low_double.csv'), `id,v\n1,${lowest}\n2,1.5\n`);
    const warned = await inspect({ pipeline: csv({ path: 'hugeint_low_double.csv' }), baseDir: dir });
    expect(warned.warnings?.map((w) => w.message)).toEqual([expect.stringContaining(`holds whole numbers beyond 2^53 (${lowest})`)]);
  });

  it('in a column that stays DOUBLE (it has fractions), a whole number beyond 2^53 arrives rounded: planning says so', async () => {
    await writeFile(path.join(dir, 'rounded.csv'), 'id,amount\n1,12.5\n2,9007199254740993\n3,9007199254740992\n');
    const r = await inspect({ pipeline: csv({ path: 'rounded.csv' }), baseDir: dir });
    expect(r.warnings?.map((w) => w.message)).toEqual([
      `node 'src': column 'amount' of ${path.join(dir, 'rounded.csv')} holds whole numbers beyond 2^53 (9007199254740993), which its detected type DOUBLE does not keep exactly: they arrive rounded; to keep every digit, list the column under columns as DECIMAL(38,s) (it also holds fractions) or VARCHAR`,
    ]);
    await writeFile(path.join(dir, 'exact.csv'), 'id,amount\n1,12.5\n2,9007199254740992\n3,-9007199254740992\n');
    expect((await inspect({ pipeline: csv({ path: 'exact.csv' }), baseDir: dir })).warnings).toEqual([]);
  });
});

describe('source.csv: decimals with more significant digits than a DOUBLE keeps', () => {
  it('a column of numbers with inf, -inf or NaN among them (as pandas writes them) is a DOUBLE, not text', async () => {
    const lines = ['id,reading,note', '1,inf,inf', '2,-inf,n/a', '3,Infinity,inf', ...Array.from({ length: 25_000 }, (_, i) => `${i + 4},${i + 0.5},`)];
    await writeFile(path.join(dir, 'infinite.csv'), lines.join('\n') + '\n');
    const doc = pipeline(
      [
        { id: 'src', type: 'source.csv', params: { path: 'infinite.csv' } },
        { id: 'late', type: 'transform.filter', params: { condition: 'id IN (1, 2, 25003)' } },
      ],
      ['src -> late'],
    );
    const r = await preview(doc, dir, 'late');
    expect(r.columns.map((c) => `${c.name} ${c.type}`)).toEqual(['id BIGINT', 'reading DOUBLE', 'note VARCHAR']);
    expect(r.rows.map((x) => [x.id, String(x.reading), x.note])).toEqual([
      ['1', 'Infinity', 'inf'],
      ['2', '-Infinity', 'n/a'],
      ['25003', '24999.5', null],
    ]);
    // More digits than a DOUBLE keeps: text keeps them.
    await writeFile(path.join(dir, 'infinite-long.csv'), 'id,reading\n1,inf\n2,12345678901234567890\n');
    expect((await preview(csv({ path: 'infinite-long.csv' }), dir, 'src')).columns.map((c) => c.type)).toEqual(['BIGINT', 'VARCHAR']);
  });

  it('a column whose sampled values are all infinite is a DOUBLE, not a DATE (DuckDB reads inf as the infinite date)', async () => {
    await writeFile(path.join(dir, 'all-infinite.csv'), 'id,ratio,label\n1,inf,inf\n2,-inf,never\n');
    const r = await preview(csv({ path: 'all-infinite.csv' }), dir, 'src');
    expect(r.columns.map((c) => `${c.name} ${c.type}`)).toEqual(['id BIGINT', 'ratio DOUBLE', 'label VARCHAR']);
    expect(r.rows.map((x) => [String(x.ratio), x.label])).toEqual([['Infinity', 'inf'], ['-Infinity', 'never']]);
    // Real dates next to them stay dates, the infinite ones included.
    await writeFile(path.join(dir, 'infinite-dates.csv'), 'id,day\n1,infinity\n2,2024-01-05\n');
    const dates = await preview(csv({ path: 'infinite-dates.csv' }), dir, 'src');
    expect(dates.columns.map((c) => c.type)).toEqual(['BIGINT', 'DATE']);
  });

  it('planning names the column, a value and what it arrives as, and the DECIMAL that holds the sample', async () => {
    // What Write CSV writes for DECIMAL(18,2): detection reads the column as DOUBLE, which keeps 15 to 17 digits.
    await writeFile(path.join(dir, 'money.csv'), 'id,amount\n1,1234567890123456.78\n2,0.10\n3,\n');
    const r = await inspect({ pipeline: csv({ path: 'money.csv' }), baseDir: dir });
    expect(r.warnings?.map((w) => w.message)).toEqual([
      `node 'src': column 'amount' of ${path.join(dir, 'money.csv')} holds numbers with more significant digits than its detected type DOUBLE keeps (1234567890123456.78 arrives as 1234567890123456.8): they arrive rounded; to keep every digit, list the column under columns as DECIMAL(18,2) (it holds every sampled value) or VARCHAR`,
    ]);
    const listed = await preview(csv({ path: 'money.csv', columns: [{ name: 'id', type: 'BIGINT' }, { name: 'amount', type: 'DECIMAL(18,2)' }] }), dir, 'src');
    expect(listed.rows.map((x) => x.amount)).toEqual(['1234567890123456.78', '0.10', null]);
  });

  it('with an exponent or more than 38 digits in the sample, the advice names no particular DECIMAL', async () => {
    await writeFile(path.join(dir, 'sci.csv'), 'id,x\n1,1.2345678901234567891e5\n2,2.5\n');
    const r = await inspect({ pipeline: csv({ path: 'sci.csv' }), baseDir: dir });
    expect(r.warnings?.map((w) => w.message)).toEqual([expect.stringContaining("column 'x' of")]);
    expect(r.warnings?.[0]?.message).toContain('(1.2345678901234567891e5 arrives as 123456.78901234567): they arrive rounded; to keep every digit, list the column under columns as DECIMAL(p,s) or VARCHAR');
  });

  it('says nothing when every value is what the DOUBLE shows: 17 digits that it keeps, trailing zeros, 1/3 as DuckDB writes it', async () => {
    await writeFile(path.join(dir, 'kept.csv'), 'id,x\n1,0.1\n2,1.2500000000000000000\n3,0.3333333333333333\n4,5e-324\n5,1.7976931348623157e308\n6,-0.0\n');
    const r = await inspect({ pipeline: csv({ path: 'kept.csv' }), baseDir: dir });
    expect(r.warnings ?? []).toEqual([]);
  });
});

describe('source.csv: a first line that may be a header or a row', () => {
  it('is read as the header with a warning naming it when every column is text, as detection cannot tell', async () => {
    await writeFile(path.join(dir, 'no_header.csv'), 'alice,london\nbob,paris\n');
    const r = await inspect({ pipeline: csv({ path: 'no_header.csv' }), baseDir: dir });
    expect(r.warnings).toEqual([
      {
        nodeId: 'src',
        message: `node 'src': the first line of ${path.join(dir, 'no_header.csv')} is read as the header ("alice", "london"), not as data: every column holds text, so detection cannot tell; set header to true to confirm, or to false if that line is a row`,
      },
    ]);
    expect((await preview(csv({ path: 'no_header.csv', header: false }), dir, 'src')).rows).toEqual([
      { column0: 'alice', column1: 'london' },
      { column0: 'bob', column1: 'paris' },
    ]);
  });

  it('needs no warning when the header is stated or the types tell it apart', async () => {
    await writeFile(path.join(dir, 'typed.csv'), 'name,visits\nalice,3\n');
    expect((await inspect({ pipeline: csv({ path: 'no_header.csv', header: true }), baseDir: dir })).warnings).toEqual([]);
    expect((await inspect({ pipeline: csv({ path: 'typed.csv' }), baseDir: dir })).warnings).toEqual([]);
    await writeFile(path.join(dir, 'typed_rows.csv'), 'alice,3\nbob,4\n');
    expect((await inspect({ pipeline: csv({ path: 'typed_rows.csv' }), baseDir: dir })).warnings).toEqual([]);
  });

  it('is read as the header with a warning when its only cells that are not values of their types read like missing values', async () => {
    await writeFile(path.join(dir, 'na_first.csv'), 'alice,N/A\nbob,3\ncarol,4\n');
    const r = await inspect({ pipeline: csv({ path: 'na_first.csv' }), baseDir: dir });
    expect((r.warnings ?? []).map((w) => w.message)).toEqual([
      `node 'src': the first line of ${path.join(dir, 'na_first.csv')} is read as the header ("alice", "N/A"), not as data: its only cells that are not values of their columns' types ("N/A") read like missing values, so it may be a row; set header to true to confirm, or to false if that line is a row`,
    ]);
    expect((await preview(csv({ path: 'na_first.csv', header: false, null_strings: ['N/A'] }), dir, 'src')).rows).toEqual([
      { column0: 'alice', column1: null },
      { column0: 'bob', column1: '3' },
      { column0: 'carol', column1: '4' },
    ]);
  });

  it('is read as data with a warning when every column holds numbers (or dates) and so does that line', async () => {
    await writeFile(path.join(dir, 'years.csv'), '2022,2023,2024\n5,6,7\n8,9,10\n');
    const r = await inspect({ pipeline: csv({ path: 'years.csv' }), baseDir: dir });
    expect((r.warnings ?? []).map((w) => w.message)).toEqual([
      `node 'src': the first line of ${path.join(dir, 'years.csv')} is read as data ("2022", "2023", "2024"), not as the header: every column holds values of one type and that line's cells are values of it too, so detection cannot tell; set header to false to confirm, or to true if that line holds the column names`,
    ]);
    const named = await preview(csv({ path: 'years.csv', header: true }), dir, 'src');
    expect(named.columns.map((c) => c.name)).toEqual(['2022', '2023', '2024']);
    expect(named.rows).toHaveLength(2);
  });
});

describe('source.csv: header names DuckDB has to change', () => {
  it('are named in a warning: a repeated name, an empty one (as a line ending with the delimiter gives), spaces around one', async () => {
    await writeFile(path.join(dir, 'renamed.csv'), 'id, name ,ID,\n1,a,2,\n');
    const r = await inspect({ pipeline: csv({ path: 'renamed.csv' }), baseDir: dir });
    expect(r.warnings).toEqual([
      {
        nodeId: 'src',
        message: `node 'src': the header of ${path.join(dir, 'renamed.csv')} has names a table cannot use as they are: " name " (column 2) is read as "name"; "ID" (column 3) is read as "ID_1" (the name is taken by an earlier column); column 4 has no name and is read as "column3"; rename them in the file, or list the columns to name them`,
      },
    ]);
    expect((await preview(csv({ path: 'renamed.csv' }), dir, 'src')).columns.map((c) => c.name)).toEqual(['id', 'name', 'ID_1', 'column3']);
    // Named by a column list, nothing is renamed.
    const listed = csv({ path: 'renamed.csv', columns: [{ name: 'id', type: 'BIGINT' }, { name: 'name', type: 'VARCHAR' }, { name: 'other_id', type: 'BIGINT' }, { name: 'extra', type: 'VARCHAR' }] });
    expect((await inspect({ pipeline: listed, baseDir: dir })).warnings).toEqual([]);
  });
});

describe('source.csv: header names of compressed files and names holding a line break', () => {
  // The check read the header as the file's first physical line: of a .gz or .zst file its
  // compressed bytes ("\x1f\x8b…" named as renamed columns in clean files, renames missed in others),
  // and of a quoted name holding a line break only the part before it (the rename went unreported).
  it('a .gz or .zst file is checked on its text: a clean header says nothing, a name with spaces around it is named', async () => {
    const { gzipSync } = await import('node:zlib');
    const { DuckDBInstance } = await import('@duckdb/node-api');
    await writeFile(path.join(dir, 'clean.csv.gz'), gzipSync('rid,amount\n1,2\n'));
    await writeFile(path.join(dir, 'spaced.csv.gz'), gzipSync(' lead,b\n1,2\n'));
    const db = await (await DuckDBInstance.create(':memory:')).connect();
    await db.run(`COPY (SELECT 1 AS " lead", 2 AS b) TO '${path.join(dir, 'spaced.csv.zst')}' (FORMAT csv, COMPRESSION zstd)`);
    db.closeSync();
    expect((await inspect({ pipeline: csv({ path: 'clean.csv.gz' }), baseDir: dir })).warnings).toEqual([]);
    for (const file of ['spaced.csv.gz', 'spaced.csv.zst'])
      expect((await inspect({ pipeline: csv({ path: file }), baseDir: dir })).warnings?.map((w) => w.message)).toEqual([
        `node 'src': the header of ${path.join(dir, file)} has a name a table cannot use as it is: " lead" (column 1) is read as "lead"; rename it in the file, or list the columns to name them`,
      ]);
  });

  it('a quoted name holding a line break is one field of the header', async () => {
    await writeFile(path.join(dir, 'broken-name.csv'), ' amount,"line\nbreak",x\n1,2,3\n');
    const r = await inspect({ pipeline: csv({ path: 'broken-name.csv' }), baseDir: dir });
    expect(r.warnings?.map((w) => w.message)).toEqual([expect.stringContaining('" amount" (column 1) is read as "amount"')]);
    expect(r.warnings![0]!.message).not.toContain('(column 2)');
  });
});

describe('source.csv: a listed UNION type', () => {
  it('is refused before the run: DuckDB would read every value as its text member (a union written {"i":1} came back as text)', async () => {
    await writeFile(path.join(dir, 'union.csv'), 'u\n"{""i"":1}"\n');
    expect(await problemsOf(csv({ path: 'union.csv', columns: [{ name: 'u', type: 'UNION(i INTEGER, s VARCHAR)' }] }), dir)).toEqual([
      expect.objectContaining({ path: 'nodes[0].params.columns[0].type', message: expect.stringContaining("column 'u': a UNION cannot be read from text") }),
    ]);
    // A field merely named union is no UNION.
    expect(await problemsOf(csv({ path: 'union.csv', columns: [{ name: 'u', type: 'STRUCT("union (x)" INTEGER)' }] }), dir)).not.toContainEqual(expect.objectContaining({ message: expect.stringContaining('UNION cannot') }));
  });
});

describe('splitFields: a header line split as the CSV reader splits it', () => {
  it('unquotes fields, undoes doubled or escaped quotes, takes multi-character delimiters', () => {
    const d = { delim: ',', quote: '"', escape: '"' };
    expect(splitFields('id,"a, b","say ""hi""",', d)).toEqual(['id', 'a, b', 'say "hi"', '']);
    expect(splitFields('x||"y||z"||', { delim: '||', quote: '"', escape: '\\' })).toEqual(['x', 'y||z', '']);
    expect(splitFields('"a\\"b";c', { delim: ';', quote: '"', escape: '\\' })).toEqual(['a"b', 'c']);
    expect(splitFields('one column', { delim: '', quote: '"', escape: '"' })).toEqual(['one column']);
  });
});

describe('source.csv: lines detection skips at the top', () => {
  it('are named in a warning when they look like a title, with the param that decides', async () => {
    await writeFile(path.join(dir, 'title.csv'), ['Sales report 2025', 'a,b,c', '1,2,3', '4,5,6'].join('\n') + '\n');
    const r = await inspect({ pipeline: csv({ path: 'title.csv' }), baseDir: dir });
    expect(r.problems).toEqual([]);
    expect(r.warnings).toEqual([
      { nodeId: 'src', message: `node 'src': the first line of ${path.join(dir, 'title.csv')} is skipped as a title, not read as data: "Sales report 2025"; set skip_rows to say how many lines to skip` },
    ]);
    const { events } = await run(pipeline([{ id: 'src', type: 'source.csv', params: { path: 'title.csv' } }, { id: 'out', type: 'sink.csv', params: { path: 'out/title.csv', if_exists: 'overwrite' } }], ['src -> out']), dir);
    expect(events.some((e) => e.type === 'warning' && e.message.includes('"Sales report 2025"'))).toBe(true);
  });

  it('are refused when they split into fields like rows (detection dropped a header and rows above a longer row)', async () => {
    await writeFile(path.join(dir, 'rows_above.csv'), ['a;b;c', '1;2;3', '4;5', '6;7;8;9'].join('\n') + '\n');
    const problems = await problemsOf(csv({ path: 'rows_above.csv' }), dir);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ code: 'bind_error', path: 'nodes[0].params.skip_rows' });
    expect(problems[0]?.message).toBe(
      `node 'src': detection would skip the first 3 lines of ${path.join(dir, 'rows_above.csv')} as a title, but they split into fields like rows: "a;b;c", "1;2;3", "4;5"`,
    );
    // Told where the header is, the file reads with each line that does not fit set aside.
    const params = { path: 'rows_above.csv', skip_rows: 0, delimiter: ';', on_error: 'reject' };
    expect((await preview(csv(params), dir, 'src')).rows).toEqual([{ a: '1', b: '2', c: '3' }]);
    expect((await preview(csv(params), dir, 'src', { port: 'rejects' })).rows.map((x) => x.line)).toEqual(['3', '4']);
  });
});

describe('source.csv: dates that read two ways', () => {
  it('refuses day/month vs month/day when every sampled date fits both, naming the param', async () => {
    const problems = await problemsOf(csv({ path: 'dm_or_md.csv' }), dir);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ code: 'bind_error', nodeId: 'src', path: 'nodes[0].params.date_format' });
    expect(problems[0]?.message).toBe(
      `node 'src': the dates in column 'day' of ${path.join(dir, 'dm_or_md.csv')} read as %d/%m/%Y and as %m/%d/%Y: '01/02/2025' is 2025-02-01 or 2025-01-02`,
    );
    expect(problems[0]?.hint).toBe('set date_format to the one the file uses, e.g. "%d/%m/%Y" or "%m/%d/%Y"');
  });

  it('reads them as told by date_format', async () => {
    const dm = await preview(csv({ path: 'dm_or_md.csv', date_format: '%d/%m/%Y' }), dir, 'src');
    const md = await preview(csv({ path: 'dm_or_md.csv', date_format: '%m/%d/%Y' }), dir, 'src');
    expect(dm.rows.map((r) => r.day)).toEqual(['2025-02-01', '2025-04-03']);
    expect(md.rows.map((r) => r.day)).toEqual(['2025-01-02', '2025-03-04']);
  });

  it('refuses two-digit years that could be at either end', async () => {
    const problems = await problemsOf(csv({ path: 'two_digit_years.csv' }), dir);
    expect(problems[0]?.path).toBe('nodes[0].params.date_format');
    expect(problems[0]?.message).toContain("'01/02/25' is");
  });

  it('refuses ambiguous timestamps, naming timestamp_format', async () => {
    const problems = await problemsOf(csv({ path: 'stamps.csv' }), dir);
    expect(problems[0]).toMatchObject({ path: 'nodes[0].params.timestamp_format' });
    expect(problems[0]?.message).toContain("column 'at'");
    const r = await preview(csv({ path: 'stamps.csv', timestamp_format: '%m/%d/%Y %H:%M:%S' }), dir, 'src');
    expect(r.rows.map((x) => x.at)).toEqual(['2025-01-02 10:00:00', '2025-03-04 11:30:00']);
  });

  it('reads unambiguous day-first dates without being told', async () => {
    const r = await preview(csv({ path: 'day_first.csv' }), dir, 'src');
    expect(r.columns.map((c) => c.type)).toEqual(['BIGINT', 'DATE']);
    expect(r.rows.map((x) => x.day)).toEqual(['2025-02-01', '2025-12-31']);
  });
});

describe('source.csv: comment lines only when the comment character is set', () => {
  it('keeps a row that starts with # (an Excel #N/A) as data, in preview and in a run', async () => {
    await writeFile(path.join(dir, 'hash.csv'), 'sku,qty\n100,5\n101,3\n#N/A,2\n103,1\n');
    const r = await preview(csv({ path: 'hash.csv' }), dir, 'src');
    expect(r.rows.map((x) => x.sku)).toEqual(['100', '101', '#N/A', '103']);
    const doc = pipeline([{ id: 'src', type: 'source.csv', params: { path: 'hash.csv', on_error: 'reject' } }, { id: 'out', type: 'sink.csv', params: { path: 'out/hash.csv', if_exists: 'overwrite' } }], ['src -> out']);
    const { summary } = await run(doc, dir);
    expect(summary.outputs).toEqual([expect.objectContaining({ rows: 4 })]);
  });

  it('skips the lines that start with the stated comment character, anywhere in the file', async () => {
    await writeFile(path.join(dir, 'notes.csv'), '# exported 2025-01-01\nid,v\n1,a\n# a note\n2,b\n');
    const r = await preview(csv({ path: 'notes.csv', comment: '#' }), dir, 'src');
    expect(r.rows).toEqual([
      { id: '1', v: 'a' },
      { id: '2', v: 'b' },
    ]);
  });
});

describe('source.csv: a column list is matched by position', () => {
  it('refuses the header’s own names in another order (the values would swap); a rename by position is fine', async () => {
    await writeFile(path.join(dir, 'qty_amount.csv'), 'qty,amount\n5,10.5\n');
    const swapped = [{ name: 'amount', type: 'DOUBLE' }, { name: 'qty', type: 'BIGINT' }];
    const problems = await problemsOf(csv({ path: 'qty_amount.csv', columns: swapped }), dir);
    expect(problems).toEqual([expect.objectContaining({ path: 'nodes[0].params.columns' })]);
    expect(problems[0]!.message).toMatch(/another order .*matched by position/);
    const renamed = await preview(csv({ path: 'qty_amount.csv', columns: [{ name: 'units', type: 'BIGINT' }, { name: 'total', type: 'DOUBLE' }] }), dir, 'src');
    expect(renamed.rows).toEqual([{ units: '5', total: 10.5 }]);
  });
});

describe('source.csv: files of one pattern have the first file’s columns', () => {
  it('refuses a later file whose header has the columns in another order, or has no header; names the file', async () => {
    const { mkdir } = await import('node:fs/promises');
    for (const [folder, second] of [
      ['swapped', 'id,amount,qty\n3,300,7\n'],
      ['headerless', '3,30,7\n4,40,8\n'],
    ] as const) {
      await mkdir(path.join(dir, folder), { recursive: true });
      await writeFile(path.join(dir, folder, 'a1.csv'), 'id,qty,amount\n1,5,10\n2,6,20\n');
      await writeFile(path.join(dir, folder, 'a2.csv'), second);
      const problems = await problemsOf(csv({ path: `${folder}/*.csv` }), dir);
      expect(problems, folder).toEqual([expect.objectContaining({ path: 'nodes[0].params.path' })]);
      expect(problems[0]!.message).toContain(`${folder}/a2.csv does not have the columns of`);
      expect(problems[0]!.hint).toMatch(/union_by_name/);
      // Matched by name, the same files read right.
      const byName = await preview(csv({ path: `${folder}/*.csv`, union_by_name: true }), dir, 'src');
      if (folder === 'swapped') expect(byName.rows.find((r) => r.id === '3')).toMatchObject({ qty: '7', amount: '300' });
    }
  });

  it('reads files whose headers agree (case and a blank name as detection names it)', async () => {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(path.join(dir, 'agree'), { recursive: true });
    await writeFile(path.join(dir, 'agree', 'a1.csv'), 'id,Qty,\n1,5,x\n');
    await writeFile(path.join(dir, 'agree', 'a2.csv'), 'ID,qty,\n2,6,y\n');
    const r = await preview(csv({ path: 'agree/*.csv' }), dir, 'src');
    expect(r.rows).toHaveLength(2);
  });
});

describe('source.csv: files combined by name', () => {
  it('need the date format stated when their dates are not ISO (each file would read them its own way)', async () => {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(path.join(dir, 'combined-dates'), { recursive: true });
    await writeFile(path.join(dir, 'combined-dates', 'a.csv'), 'id,d\n1,01/02/2024\n2,03/04/2024\n');
    await writeFile(path.join(dir, 'combined-dates', 'b.csv'), 'id,d\n3,13/02/2024\n');
    const problems = await problemsOf(csv({ path: 'combined-dates/*.csv', union_by_name: true }), dir);
    expect(problems).toEqual([expect.objectContaining({ path: 'nodes[0].params.date_format' })]);
    expect(problems[0]!.hint).toMatch(/set date_format/);
    const stated = await preview(csv({ path: 'combined-dates/*.csv', union_by_name: true, date_format: '%d/%m/%Y' }), dir, 'src');
    expect(stated.rows.map((r) => r.d).sort()).toEqual(['2024-02-01', '2024-02-13', '2024-04-03']);
  });
});

describe('source.csv: UTF-16 text', () => {
  // What Excel saves as "Unicode Text": UTF-16 little-endian with a byte-order mark, tabs, CRLF.
  const text = 'id\tname\tcity\r\n1\tJosé\tMünchen\r\n2\tZoë 😀\t東京\r\n3\t\tĊork\r\n';
  const le = Buffer.from(text, 'utf16le');
  const be = Buffer.from(text, 'utf16le').swap16();
  const expected = [
    { id: '1', name: 'José', city: 'München' },
    { id: '2', name: 'Zoë 😀', city: '東京' },
    { id: '3', name: null, city: 'Ċork' },
  ];

  it('is read with or without a byte-order mark, either byte order, by auto or stated', async () => {
    const files: Array<[string, Buffer, string]> = [
      ['u16-le-bom.txt', Buffer.concat([Buffer.from([0xff, 0xfe]), le]), 'utf-16le'],
      ['u16-be-bom.txt', Buffer.concat([Buffer.from([0xfe, 0xff]), be]), 'utf-16be'],
      ['u16-le-plain.txt', le, 'utf-16le'],
      ['u16-be-plain.txt', be, 'utf-16be'],
    ];
    for (const [name, bytes, encoding] of files) {
      await writeFile(path.join(dir, name), bytes);
      for (const params of [{ path: name }, { path: name, encoding }]) {
        const r = await preview(csv(params), dir, 'src');
        expect(r.columns.map((c) => `${c.name} ${c.type}`), JSON.stringify(params)).toEqual(['id BIGINT', 'name VARCHAR', 'city VARCHAR']);
        expect(r.rows, JSON.stringify(params)).toEqual(expected);
      }
    }
  });

  it('a run writes the values as read, and errors name the line of the original file', async () => {
    const rows = Array.from({ length: 40_000 }, (_, i) => `${i}\tZoë 😀 ${i}\r\n`).join('');
    await writeFile(path.join(dir, 'u16-big.txt'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`n\tname\r\n${rows}`, 'utf16le')]));
    const doc = pipeline(
      [
        { id: 'src', type: 'source.csv', params: { path: 'u16-big.txt' } },
        { id: 'out', type: 'sink.csv', params: { path: 'u16-big-out.csv', if_exists: 'overwrite' } },
      ],
      ['src -> out'],
    );
    const { summary } = await run(doc, dir);
    expect(summary.error).toBeUndefined();
    expect(await readFile(path.join(dir, 'u16-big-out.csv'), 'utf8')).toBe(`n,name\n${rows.replaceAll('\t', ',').replaceAll('\r\n', '\n')}`);

    // A surrogate without its pair far down the file: the run stops at the conversion, naming the line.
    const broken = `n\tname\r\n${rows}`.replace('39000\tZoë 😀', '39000\tZoë \uD83D');
    await writeFile(path.join(dir, 'u16-lone.txt'), Buffer.from(broken, 'utf16le'));
    const failed = await run(pipeline([{ id: 'src', type: 'source.csv', params: { path: 'u16-lone.txt' } }, { id: 'out', type: 'sink.csv', params: { path: 'u16-lone-out.csv' } }], ['src -> out']), dir);
    expect(failed.summary.error?.message).toContain('line 39002 of');
    expect(failed.summary.error?.message).toContain('is not utf-16le text');
  });

  it('is refused when another encoding is stated, and NUL bytes that are no UTF-16 text either are refused', async () => {
    await writeFile(path.join(dir, 'u16-stated.txt'), Buffer.concat([Buffer.from([0xff, 0xfe]), le]));
    for (const encoding of ['utf-8', 'windows-1252', 'utf-16be']) {
      const problems = await problemsOf(csv({ path: 'u16-stated.txt', encoding }), dir);
      expect(problems, encoding).toEqual([expect.objectContaining({ path: 'nodes[0].params.encoding' })]);
      expect(problems[0]!.message).toContain(`u16-stated.txt is UTF-16 (little-endian) text, not ${encoding}`);
      expect(problems[0]!.hint).toBe('set encoding to "auto" or "utf-16le"');
    }
    await writeFile(path.join(dir, 'nuls.bin'), Buffer.from(Array.from({ length: 4000 }, (_, i) => (i % 3 === 0 ? 0 : (i * 7) % 256))));
    const problems = await problemsOf(csv({ path: 'nuls.bin' }), dir);
    expect(problems).toEqual([expect.objectContaining({ path: 'nodes[0].params.encoding' })]);
    expect(problems[0]!.message).toContain('nuls.bin is not text: it holds NUL bytes');
    // Stated UTF-16 wins over that guess: the bytes are read as UTF-16, whatever they say then.
    const stated = await problemsOf(csv({ path: 'nuls.bin', encoding: 'utf-16le' }), dir);
    expect(stated.map((p) => p.message).join('\n')).not.toContain('is not text');
  });
});
