import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { preview, run, tempDir } from '../../../../test/support/pipeline.js';
import { csvSource as csv, csvToCsv as toCsv, writeIn } from '../../../../test/support/csv-source.js';
import { LINES_PER_COLUMN } from './conversion-lines.js';

/**
 * DuckDB's CSV reader rounds a fraction into an integer column (`12.5` → 13) without a word, and
 * a detected column is typed from a sample of the rows. The source reads integer columns as text
 * and converts them itself, so such a value stops the run, or is set aside, with its line.
 */

let dir: string;

const write = (name: string, content: string) => writeIn(dir, name, content);

/** `id,amount` rows with whole amounts, past DuckDB's 20,480-row sample, then one row with a fraction. */
function wholeThenFraction(rows: number, fraction = '12.5'): string {
  const lines = ['id,amount'];
  for (let i = 1; i <= rows; i++) lines.push(`${i},${i * 10}`);
  lines.push(`${rows + 1},${fraction}`);
  lines.push(`${rows + 2},7`);
  return `${lines.join('\n')}\n`;
}


beforeAll(async () => {
  dir = await tempDir('caudal-csv-integers-');
  await write('late_fraction.csv', wholeThenFraction(30_000));
  // A quoted value spanning two lines above the bad row: the line named is where the record starts.
  await write('multiline.csv', 'id,note,qty\n1,"two\nlines",3\n2,plain,4.5\n3,x,4.5\n4,y,5\n');
});

describe('source.csv: a fraction in an integer column', () => {
  it('is detected as BIGINT from the sample', async () => {
    const r = await preview(csv({ path: 'late_fraction.csv' }), dir, 'src');
    expect(r.columns.map((c) => `${c.name} ${c.type}`)).toEqual(['id BIGINT', 'amount BIGINT']);
  });

  it('past the sample stops the run naming the column, the value, the file and the line, and writes nothing', async () => {
    const out = path.join(dir, 'out/late.csv');
    const { summary } = await run(toCsv({ path: 'late_fraction.csv' }, out), dir, { metrics: 'exact' });
    expect(summary.status).toBe('failed');
    const message = summary.error?.message ?? '';
    expect(message).toContain("node 'src' (source.csv), column 'amount'");
    expect(message).toContain("'12.5' is not a whole number of type BIGINT");
    expect(message).toContain(`line 30002 of ${path.join(dir, 'late_fraction.csv')}: 30001,12.5`);
    await expect(readFile(out)).rejects.toThrow(/ENOENT/);
  });

  it('in a declared INTEGER column stops the run too (it used to become 13)', async () => {
    const columns = [
      { name: 'id', type: 'INTEGER' },
      { name: 'amount', type: 'INTEGER' },
    ];
    const { summary } = await run(csv({ path: 'late_fraction.csv', columns }), dir, { metrics: 'exact' });
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toContain("'12.5' is not a whole number of type INTEGER");
    expect(summary.error?.message).toContain('line 30002');
  });

  it('with on_error "reject" goes to rejects with its line and text; every other row goes on, exactly', async () => {
    const out = path.join(dir, 'out/good.csv');
    const bad = path.join(dir, 'out/bad.csv');
    const { summary } = await run(toCsv({ path: 'late_fraction.csv', on_error: 'reject' }, out, bad), dir, { metrics: 'exact' });
    expect(summary.error).toBeUndefined();
    const good = (await readFile(out, 'utf8')).trimEnd().split('\n');
    expect(good).toHaveLength(1 + 30_001);
    expect(good.at(-1)).toBe('30002,7');
    expect(good).not.toContain('30001,13');
    expect(await readFile(bad, 'utf8')).toBe(
      `file,line,raw_line,error,column\n${path.join(dir, 'late_fraction.csv')},30002,"30001,12.5",'12.5' is not a whole number of type BIGINT,amount\n`,
    );
  });

  it('names the line a record starts on, after a value spanning lines, for each row holding the same value', async () => {
    const columns = [
      { name: 'id', type: 'BIGINT' },
      { name: 'note', type: 'VARCHAR' },
      { name: 'qty', type: 'BIGINT' },
    ];
    const r = await preview(csv({ path: 'multiline.csv', columns, on_error: 'reject' }), dir, 'src', { port: 'rejects' });
    expect(r.rows.map((x) => [x.line, x.raw_line, x.column])).toEqual([
      ['4', '2,plain,4.5', 'qty'],
      ['5', '3,x,4.5', 'qty'],
    ]);
    const { summary } = await run(csv({ path: 'multiline.csv', columns }), dir, { metrics: 'exact' });
    expect(summary.error?.message).toContain(`line 4 of ${path.join(dir, 'multiline.csv')}: 2,plain,4.5`);
    // A preview that meets the value says where it is too.
    await expect(preview(csv({ path: 'multiline.csv', columns }), dir, 'src')).rejects.toThrow(`'4.5' is not a whole number of type BIGINT (line 4 of ${path.join(dir, 'multiline.csv')}: 2,plain,4.5)`);
  });

  it('a leading zero past the sample of a detected integer column (a zip code) stops the run; a listed BIGINT reads it as a number', async () => {
    const lines = ['zip,city'];
    for (let i = 0; i < 30_000; i++) lines.push(`${10_000 + (i % 89_999)},c${i}`);
    lines.push('01234,Agawam');
    await write('zips.csv', `${lines.join('\n')}\n`);
    const { summary } = await run(csv({ path: 'zips.csv' }), dir, { metrics: 'exact' });
    expect(summary.status).toBe('failed');
    const message = summary.error?.message ?? '';
    expect(message).toContain("'01234' is not a number of type BIGINT without losing its leading zero");
    expect(message).toContain('list the column as VARCHAR to keep such codes');
    expect(message).toContain(`line 30002 of ${path.join(dir, 'zips.csv')}: 01234,Agawam`);
    const listed = [
      { name: 'zip', type: 'BIGINT' },
      { name: 'city', type: 'VARCHAR' },
    ];
    const out = path.join(dir, 'out/zips.csv');
    const ok = await run(toCsv({ path: 'zips.csv', columns: listed }, out), dir, { metrics: 'exact' });
    expect(ok.summary.error).toBeUndefined();
    expect((await readFile(out, 'utf8')).trimEnd().split('\n').at(-1)).toBe('1234,Agawam');
    // Detected as text when the sample shows a leading zero: kept as written.
    const r = await preview(csv({ path: 'zips.csv', sample_size: -1 }), dir, 'src');
    expect(r.columns[0]).toMatchObject({ name: 'zip', type: 'VARCHAR' });
  });

  it('with rejects, looks up the lines of the first 10,000 rows per column; later ones are set aside without one', async () => {
    const extra = 3;
    const lines = ['id,n'];
    for (let i = 1; i <= LINES_PER_COLUMN + extra; i++) lines.push(`${i},${i}.5`);
    await write('all_fractions.csv', `${lines.join('\n')}\n`);
    const columns = [
      { name: 'id', type: 'BIGINT' },
      { name: 'n', type: 'BIGINT' },
    ];
    const r = await preview(csv({ path: 'all_fractions.csv', columns, on_error: 'reject' }), dir, 'src', { port: 'rejects', limit: LINES_PER_COLUMN + extra + 10 });
    expect(r.rows).toHaveLength(LINES_PER_COLUMN + extra);
    expect(r.rows.slice(0, 2).map((x) => [x.line, x.raw_line])).toEqual([
      ['2', '1,1.5'],
      ['3', '2,2.5'],
    ]);
    expect(r.rows.filter((x) => x.line === null)).toHaveLength(extra);
  });

  it('still reads whole numbers written with spaces or a sign, and NULL for an empty field', async () => {
    await write('signs.csv', 'id,n\n1, 7 \n2,+5\n3,-4\n4,\n');
    const r = await preview(csv({ path: 'signs.csv', columns: [{ name: 'id', type: 'BIGINT' }, { name: 'n', type: 'BIGINT' }] }), dir, 'src');
    expect(r.rows.map((x) => x.n)).toEqual(['7', '5', '-4', null]);
  });

  it('refuses a fraction written with a negative exponent (15e-1 would become 2), and reads a positive one', async () => {
    await write('exponents.csv', 'id,n\n1,1e3\n2,15e-1\n3,1E-05\n4,-3\n');
    const columns = [
      { name: 'id', type: 'BIGINT' },
      { name: 'n', type: 'BIGINT' },
    ];
    const good = await preview(csv({ path: 'exponents.csv', columns, on_error: 'reject' }), dir, 'src');
    expect(good.rows.map((x) => [x.id, x.n])).toEqual([
      ['1', '1000'],
      ['4', '-3'],
    ]);
    const bad = await preview(csv({ path: 'exponents.csv', columns, on_error: 'reject' }), dir, 'src', { port: 'rejects' });
    expect(bad.rows.map((x) => [x.line, x.error])).toEqual([
      ['3', "'15e-1' is not a whole number of type BIGINT"],
      ['4', "'1E-05' is not a whole number of type BIGINT"],
    ]);
  });

  it('refuses hexadecimal, binary and digits grouped with _ (DuckDB reads 0x1F as 31, 1_000 as 1000), in integer and DECIMAL columns', async () => {
    await write('spellings.csv', 'id,n,d\n1,0x1F,1.5\n2,1_000,2\n3,0b11,1_0.5\n4,12,3.25\n');
    const columns = [
      { name: 'id', type: 'BIGINT' },
      { name: 'n', type: 'BIGINT' },
      { name: 'd', type: 'DECIMAL(10,2)' },
    ];
    const good = await preview(csv({ path: 'spellings.csv', columns, on_error: 'reject' }), dir, 'src');
    expect(good.rows).toEqual([{ id: '4', n: '12', d: '3.25' }]);
    const bad = await preview(csv({ path: 'spellings.csv', columns, on_error: 'reject' }), dir, 'src', { port: 'rejects' });
    expect(bad.rows.map((x) => [x.line, x.error])).toEqual([
      ['2', "'0x1F' is not a number of type BIGINT written in decimal digits (hexadecimal 0x…, binary 0b… and digits grouped with _ are not read)"],
      ['3', "'1_000' is not a number of type BIGINT written in decimal digits (hexadecimal 0x…, binary 0b… and digits grouped with _ are not read)"],
      ['4', "'0b11' is not a number of type BIGINT written in decimal digits (hexadecimal 0x…, binary 0b… and digits grouped with _ are not read)"],
      ['4', "'1_0.5' is not a number of type DECIMAL(10,2) written in decimal digits (digits grouped with _ are not read)"],
    ]);
  });
});
