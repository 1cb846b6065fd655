import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { preview, run, tempDir } from '../../../../test/support/pipeline.js';
import { csvSource as csv, writeIn } from '../../../../test/support/csv-source.js';

/**
 * DuckDB's CSV reader rounds a value with more decimal places than a DECIMAL column keeps
 * (`12.345` → 12.35 in DECIMAL(10,2), `1e-3` → 0.00) without a word. The source reads DECIMAL
 * columns as text and converts them itself, so such a value stops the run, or is set aside, with
 * its line.
 */

let dir: string;
const columns = [
  { name: 'id', type: 'BIGINT' },
  { name: 'amount', type: 'DECIMAL(10,2)' },
];

beforeAll(async () => {
  dir = await tempDir('caudal-csv-decimals-');
  await writeIn(dir, 'amounts.csv', 'id,amount\n1,12.30\n2,12.3\n3,12.300\n4,1.5e1\n5,-0.010\n6, 7 \n7,\n');
  await writeIn(dir, 'rounded.csv', 'id,amount\n1,12.30\n2,12.345\n3,1e-3\n4,5\n5,abc\n');
});

describe('source.csv: more decimal places than a DECIMAL column keeps', () => {
  it('values that fit read exactly: trailing zeros, an exponent, spaces, an empty field', async () => {
    const r = await preview(csv({ path: 'amounts.csv', columns }), dir, 'src');
    expect(r.columns.map((c) => `${c.name} ${c.type}`)).toEqual(['id BIGINT', 'amount DECIMAL(10,2)']);
    expect(r.rows.map((x) => x.amount)).toEqual(['12.30', '12.30', '12.30', '15.00', '-0.01', '7.00', null]);
  });

  it('stops the run naming the column, the value, the file and the line (DuckDB would read 12.35)', async () => {
    const { summary } = await run(csv({ path: 'rounded.csv', columns }), dir, { metrics: 'exact' });
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toContain("node 'src' (source.csv), column 'amount'");
    expect(summary.error?.message).toContain(`'12.345' has more than 2 decimal places, which DECIMAL(10,2) would round away (give the type more decimal places, or read the column as DOUBLE) (line 3 of ${path.join(dir, 'rounded.csv')}: 2,12.345)`);
  });

  it('with on_error "reject" sets such values aside with their line and reason; the rest goes on', async () => {
    const good = await preview(csv({ path: 'rounded.csv', columns, on_error: 'reject' }), dir, 'src');
    expect(good.rows.map((x) => [x.id, x.amount])).toEqual([
      ['1', '12.30'],
      ['4', '5.00'],
    ]);
    const bad = await preview(csv({ path: 'rounded.csv', columns, on_error: 'reject' }), dir, 'src', { port: 'rejects' });
    expect(bad.rows.map((x) => [x.line, x.error])).toEqual([
      ['3', "'12.345' has more than 2 decimal places, which DECIMAL(10,2) would round away (give the type more decimal places, or read the column as DOUBLE)"],
      ['4', "'1e-3' has more than 2 decimal places, which DECIMAL(10,2) would round away (give the type more decimal places, or read the column as DOUBLE)"],
      ['6', "'abc' is not a valid DECIMAL(10,2)"],
    ]);
  });

  it('numbers written the local way are checked the same (12,345 with a decimal comma)', async () => {
    await writeIn(dir, 'comma.csv', 'id;amount\n1;1.234,50\n2;12,345\n');
    const local = { path: 'comma.csv', columns, decimal_separator: ',', thousands_separator: '.' };
    const { summary } = await run(csv(local), dir, { metrics: 'exact' });
    expect(summary.error?.message).toContain("'12,345' has more than 2 decimal places, which DECIMAL(10,2) would round away");
    const bad = await preview(csv({ ...local, on_error: 'reject' }), dir, 'src', { port: 'rejects' });
    expect(bad.rows.map((x) => x.line)).toEqual(['3']);
    await writeIn(dir, 'comma-only.csv', 'id;amount\n1;1234,50\n2;12,345\n');
    const commaOnly = await run(csv({ path: 'comma-only.csv', columns, decimal_separator: ',' }), dir, { metrics: 'exact' });
    expect(commaOnly.summary.error?.message).toContain("'12,345' has more than 2 decimal places");
  });
});
