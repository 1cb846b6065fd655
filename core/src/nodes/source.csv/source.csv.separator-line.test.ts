import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { inspect, pipeline, preview, problemsOf, run, tempDir } from '../../../../test/support/pipeline.js';

/**
 * Excel's separator line: exports meant for Excel often start with `sep=;`, which states the
 * delimiter and is not data. DuckDB's detection reads it as the header (columns `sep=` and
 * `column1`) and the real header as a row, without a word.
 */
let dir: string;

const csv = (params: Record<string, unknown>) => pipeline([{ id: 'src', type: 'source.csv', params }]);
const toCsv = (params: Record<string, unknown>) =>
  pipeline([{ id: 'src', type: 'source.csv', params }, { id: 'out', type: 'sink.csv', params: { path: 'out.csv', if_exists: 'overwrite' } }], ['src -> out']);

beforeAll(async () => {
  dir = await tempDir('caudal-csv-sep-line-');
  // As a Windows program writes it: byte-order mark, CRLF, decimal commas.
  await writeFile(path.join(dir, 'excel.csv'), '\uFEFFsep=;\r\nid;name;amount\r\n1;Ann;2,5\r\n2;Bob;3,25\r\n');
  await writeFile(path.join(dir, 'plain.csv'), 'sep=;\nid;name\n1;a\n2;b\n');
});

describe('source.csv: a file that starts with Excel\'s separator line "sep=;"', () => {
  it('is read with the delimiter the line states, the line skipped and the next one as the header', async () => {
    const r = await preview(csv({ path: 'excel.csv', decimal_separator: ',' }), dir, 'src');
    expect(r.columns.map((c) => [c.name, c.type])).toEqual([
      ['id', 'BIGINT'],
      ['name', 'VARCHAR'],
      ['amount', 'DOUBLE'],
    ]);
    expect(r.rows).toEqual([
      { id: '1', name: 'Ann', amount: 2.5 },
      { id: '2', name: 'Bob', amount: 3.25 },
    ]);
  });

  it('counts the line in line numbers: a value that does not convert is reported on the line an editor shows', async () => {
    await writeFile(path.join(dir, 'bad.csv'), 'sep=;\nid;name\n1;a\n2.5;b\n');
    const columns = [{ name: 'id', type: 'BIGINT' }, { name: 'name', type: 'VARCHAR' }];
    const { summary } = await run(toCsv({ path: 'bad.csv', columns }), dir);
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toContain(`line 4 of ${path.join(dir, 'bad.csv')}: 2.5;b`);
    // Set aside, it is the only row that is: the header is not a row.
    const rejects = await preview(csv({ path: 'bad.csv', columns, on_error: 'reject' }), dir, 'src', { port: 'rejects' });
    expect(rejects.rows.map((r) => [r.line, r.raw_line, r.column])).toEqual([['4', '2.5;b', 'id']]);
  });

  it('gives way to a stated delimiter, and is still skipped', async () => {
    await writeFile(path.join(dir, 'stated.csv'), 'sep=;\nid,name\n1,a\n');
    const r = await preview(csv({ path: 'stated.csv', delimiter: ',' }), dir, 'src');
    expect(r.rows).toEqual([{ id: '1', name: 'a' }]);
  });

  it('is read as written when skip_rows is stated: the user counted the lines', async () => {
    const r = await preview(csv({ path: 'plain.csv', skip_rows: 0, header: false, delimiter: ';' }), dir, 'src');
    expect(r.rows[0]).toEqual({ column0: 'sep=', column1: null });
  });

  it('is not mistaken in a file whose first value merely starts with "sep="', async () => {
    await writeFile(path.join(dir, 'not_a_directive.csv'), 'sep=a;b\nsep=1;2\n');
    const r = await preview(csv({ path: 'not_a_directive.csv' }), dir, 'src');
    expect(r.columns.map((c) => c.name)).toEqual(['sep=a', 'b']);
  });

  it('is a one-column file\'s header when the rows do not bear it out (Write CSV writes a column named "sep=;" as it is)', async () => {
    // The rows below it do not all split on ";" into as many fields as the line after it.
    await writeFile(path.join(dir, 'named_sep.csv'), 'sep=;\nx;y\nz\n');
    const r = await preview(csv({ path: 'named_sep.csv' }), dir, 'src');
    expect(r.columns.map((c) => c.name)).toEqual(['sep=;']);
    expect(r.rows).toEqual([{ 'sep=;': 'x;y' }, { 'sep=;': 'z' }]);
    // A line after it that does not split at all: a one-column file too.
    await writeFile(path.join(dir, 'named_sep_plain.csv'), 'sep=|\nab\ncd\n');
    const plain = await preview(csv({ path: 'named_sep_plain.csv' }), dir, 'src');
    expect(plain.columns.map((c) => c.name)).toEqual(['sep=|']);
    expect(plain.rows).toEqual([{ 'sep=|': 'ab' }, { 'sep=|': 'cd' }]);
  });

  it('is still Excel\'s line when a quoted value holds the delimiter or a line break', async () => {
    await writeFile(path.join(dir, 'quoted_sep.csv'), 'sep=;\nid;note\n1;"a;b"\n2;"line\nbreak"\n');
    const r = await preview(csv({ path: 'quoted_sep.csv' }), dir, 'src');
    expect(r.rows).toEqual([
      { id: '1', note: 'a;b' },
      { id: '2', note: 'line\nbreak' },
    ]);
  });

  it('is skipped in every file of a pattern; a file without it is refused, saying its first line was skipped', async () => {
    const folder = path.join(dir, 'parts');
    await mkdir(folder);
    await writeFile(path.join(folder, 'a.csv'), 'sep=;\nid;name\n1;a\n');
    await writeFile(path.join(folder, 'b.csv'), 'sep=;\nid;name\n2;b\n');
    const both = await run(toCsv({ path: 'parts/*.csv' }), dir);
    expect(both.summary.status).toBe('succeeded');
    expect(both.summary.outputs[0]?.rows).toBe(2);

    await writeFile(path.join(folder, 'c.csv'), 'id;name\n3;c\n');
    const problems = await problemsOf(csv({ path: 'parts/*.csv' }), dir);
    expect(problems).toEqual([
      expect.objectContaining({
        message: expect.stringContaining(`its header is 3, c (its first line is skipped: every file is read as the first, which starts with Excel's separator line "sep=;")`),
      }),
    ]);
  });

  it('combined by column name: refused before the run, naming what to set; read once it is set', async () => {
    const folder = path.join(dir, 'by_name');
    await mkdir(folder);
    await writeFile(path.join(folder, 'a.csv'), 'sep=;\nid;name\n1;a\n');
    await writeFile(path.join(folder, 'b.csv'), 'sep=;\nname;id\nb;2\n');
    const problems = await problemsOf(csv({ path: 'by_name/*.csv', union_by_name: true }), dir);
    expect(problems).toEqual([
      expect.objectContaining({
        path: 'nodes[0].params.skip_rows',
        message: `node 'src': ${path.join(folder, 'a.csv')} starts with Excel's separator line "sep=;", which files combined by name would read as their header`,
        hint: 'set skip_rows to 1 and delimiter to ";" (every file must then start with such a line)',
      }),
    ]);
    const r = await preview(csv({ path: 'by_name/*.csv', union_by_name: true, skip_rows: 1, delimiter: ';' }), dir, 'src');
    expect(r.rows).toEqual([
      { id: '1', name: 'a' },
      { id: '2', name: 'b' },
    ]);
  });

  it('shows in the SQL as the delimiter and one line to skip', async () => {
    const r = await inspect({ pipeline: csv({ path: 'plain.csv' }), baseDir: dir, params: {} });
    const sql = JSON.stringify(r);
    expect(sql).toContain("delim := ';'");
    expect(sql).toContain('skip := 1');
  });
});
