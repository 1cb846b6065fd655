import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { preview, problemsOf, run, tempDir } from '../../../../test/support/pipeline.js';
import { csvSource as csv, csvToCsv as toCsv, writeIn } from '../../../../test/support/csv-source.js';

/**
 * Files combined by column name (union_by_name) keep DuckDB's detection, file by file; DuckDB's
 * reader then rounded a fraction past the sample in an integer column (12.5 → 13), dropped a UTC
 * offset in a timestamp column and cut a time off a date, as it did for a single file. Combined
 * files get the single file's checks.
 */

let dir: string;

/** `id,qty,at` rows past DuckDB's 20,480-row sample, then `late` (qty and at). */
function orders(rows: number, late: { qty: string; at: string }): string {
  const lines = ['id,qty,at'];
  for (let i = 1; i <= rows; i++) lines.push(`${i},${i % 7},2024-03-04 10:00:00`);
  lines.push(`${rows + 1},${late.qty},${late.at}`);
  return `${lines.join('\n')}\n`;
}
/** A second file with the columns in another order, one more column and a DATE column. */
const other = (day: string) => `qty,id,day,extra\n3,900001,${day},x\n`;

beforeAll(async () => {
  dir = await tempDir('caudal-csv-combined-');
  await writeIn(dir, 'fraction/a.csv', orders(30_000, { qty: '12.5', at: '2024-03-04 10:00:00' }));
  await writeIn(dir, 'fraction/b.csv', other('2024-01-01'));
  await writeIn(dir, 'offset/a.csv', orders(30_000, { qty: '4', at: '2024-03-04 10:00:00+05' }));
  await writeIn(dir, 'offset/b.csv', other('2024-01-01'));
  await writeIn(dir, 'date_time/a.csv', orders(10, { qty: '4', at: '2024-03-04 10:00:00' }));
  const days = Array.from({ length: 30_000 }, (_, i) => `${i % 5},${900_000 + i},2024-01-${String(1 + (i % 28)).padStart(2, '0')},x`);
  await writeIn(dir, 'date_time/b.csv', `qty,id,day,extra\n${days.join('\n')}\n4,999999,2024-01-02 10:30,y\n`);
  await writeIn(dir, 'good/a.csv', orders(10, { qty: '4', at: '2024-03-04 10:00:00' }));
  await writeIn(dir, 'good/b.csv', other('2024-01-01'));
});

describe('source.csv: files combined by column name are read as strictly as one file', () => {
  it('a fraction past the sample in an integer column stops the run, naming the column and the file', async () => {
    const { summary } = await run(toCsv({ path: 'fraction/*.csv', union_by_name: true }, 'fraction.csv'), dir);
    expect(summary.status).toBe('failed');
    expect(summary.error!.message).toContain(`column "qty" of ${path.join(dir, 'fraction/a.csv')}: '12.5' is not a whole number of type BIGINT`);
    // The line, found in the file the message names, with that file's own format.
    expect(summary.error!.message).toContain(`line 30002 of ${path.join(dir, 'fraction/a.csv')}: 30001,12.5,2024-03-04 10:00:00`);
  });

  it("finds the line in a file whose format and column order are its own", async () => {
    await writeIn(dir, 'semicolon/a.csv', orders(10, { qty: '4', at: '2024-03-04 10:00:00' }));
    const rows = Array.from({ length: 30_000 }, (_, i) => `${i % 5};${900_000 + i}`);
    await writeIn(dir, 'semicolon/b.csv', `report of the day\nqty;id\n${rows.join('\n')}\n7.5;999999\n`);
    const { summary } = await run(toCsv({ path: 'semicolon/*.csv', union_by_name: true }, 'semicolon.csv'), dir);
    expect(summary.error!.message).toContain(`line 30003 of ${path.join(dir, 'semicolon/b.csv')}: 7.5;999999`);
  });

  it('a UTC offset in a timestamp column stops the run instead of being dropped', async () => {
    const { summary } = await run(toCsv({ path: 'offset/*.csv', union_by_name: true }, 'offset.csv'), dir);
    expect(summary.error!.message).toContain(`'2024-03-04 10:00:00+05' is not a TIMESTAMP without losing its UTC offset +05`);
  });

  it('a time in a DATE column of one file stops the run instead of being cut off', async () => {
    const { summary } = await run(toCsv({ path: 'date_time/*.csv', union_by_name: true }, 'date_time.csv'), dir);
    expect(summary.status).toBe('failed');
    expect(summary.error!.message).toContain('2024-01-02 10:30');
  });

  it('on_error reject is refused before the run: DuckDB keeps no rejects for files combined by name', async () => {
    const problems = await problemsOf(csv({ path: 'fraction/*.csv', union_by_name: true, on_error: 'reject' }), dir);
    expect(problems).toEqual([expect.objectContaining({ path: 'nodes[0].params.on_error', message: expect.stringContaining('combined by name') })]);
  });

  it('values that lose nothing read as before, with the types DuckDB detects', async () => {
    const r = await preview(csv({ path: 'good/*.csv', union_by_name: true }), dir, 'src');
    expect(r.columns.map((c) => `${c.name} ${c.type}`)).toEqual(['id BIGINT', 'qty BIGINT', 'at TIMESTAMP', 'day DATE', 'extra VARCHAR']);
    const { summary } = await run(toCsv({ path: 'good/*.csv', union_by_name: true }, 'good.csv'), dir);
    expect(summary.status).toBe('succeeded');
    const lines = (await readFile(path.join(dir, 'good.csv'), 'utf8')).trim().split('\n');
    expect(lines).toContain('11,4,2024-03-04 10:00:00,,');
    expect(lines).toContain('900001,3,,2024-01-01,x');
  });

  it('a column list matches names, not positions: a file with its columns in another order keeps its values under their names', async () => {
    // read_csv's column list is positional and renamed every file's header: b.csv's qty landed under id.
    const columns = [
      { name: 'id', type: 'BIGINT' },
      { name: 'qty', type: 'DECIMAL(6,1)' },
    ];
    const r = await preview(csv({ path: 'good/*.csv', union_by_name: true, columns }), dir, 'src');
    expect(r.columns.map((c) => `${c.name} ${c.type}`)).toEqual(['id BIGINT', 'qty DECIMAL(6,1)', 'at TIMESTAMP', 'day DATE', 'extra VARCHAR']);
    expect(r.rows.find((x) => x.id === '900001')).toMatchObject({ qty: '3.0', extra: 'x' });
    const { summary } = await run(toCsv({ path: 'fraction/*.csv', union_by_name: true, columns: [{ name: 'qty', type: 'INTEGER' }] }, 'listed.csv'), dir);
    expect(summary.error!.message).toContain(`column "qty" of ${path.join(dir, 'fraction/a.csv')}: '12.5' is not a whole number of type INTEGER`);
  });

  it('a listed column that no file has is refused before the run', async () => {
    const problems = await problemsOf(csv({ path: 'good/*.csv', union_by_name: true, columns: [{ name: 'ID', type: 'BIGINT' }] }), dir);
    expect(problems).toEqual([
      expect.objectContaining({ path: 'nodes[0].params.columns', column: 'ID', message: expect.stringContaining(`the column list names 'ID', which none of the files combined by name has`), hint: expect.stringContaining('id, qty, at, day, extra') }),
    ]);
  });
});
