import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { pipeline, preview, run, tempDir } from './support/pipeline.js';

/**
 * Numbers, round 3: text written with thousands separators whose grouping cannot be right (a group
 * of zeros in front, a decimal separator with nothing after it) is refused rather than read as
 * another number, in a Cast and in a CSV file alike; and a CSV file spells every NaN `nan`.
 */

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-hostile-round3-numbers-');
});

const textRows = (values: string[]) => `SELECT * FROM (VALUES ${values.map((v, i) => `(${i}, '${v.replaceAll("'", "''")}')`).join(', ')}) t(id, v)`;
const SPANISH = { decimal_separator: ',', thousands_separator: '.' };

/** The converted values of `out` and the reasons of `rejects`, by input value. */
async function cast(type: string, values: string[], format: Record<string, string> = SPANISH) {
  const doc = pipeline(
    [
      { id: 'src', type: 'transform.sql', params: { query: textRows(values) } },
      { id: 'c', type: 'transform.cast', params: { columns: [{ column: 'v', type }], on_error: 'reject', ...format } },
    ],
    ['src -> c'],
  );
  const out = await preview(doc, dir, 'c');
  const rejects = await preview(doc, dir, 'c', { port: 'rejects' });
  return {
    out: Object.fromEntries(out.rows.map((r) => [values[Number(r.id)]!, r.v])),
    rejected: rejects.rows.map((r) => values[Number(r.id)]!).sort(),
  };
}

describe('transform.cast: thousands separators whose grouping cannot be right', () => {
  it("a group of zeros before a thousands separator is a decimal point read in the wrong format: 0.005 is not 5, 00.123 not 123, -0.250 not -250", async () => {
    const r = await cast('DECIMAL(12,3)', ['0.005', '000.005', '00.123', '-0.250', '0.000,5', '1.234', '1.234,5', '0,5', '1234,5', '-0,250', '12.345.678,9', '0']);
    expect(r.rejected).toEqual(['-0.250', '0.000,5', '0.005', '00.123', '000.005']);
    expect(r.out).toEqual({ '1.234': '1234.000', '1.234,5': '1234.500', '0,5': '0.500', '1234,5': '1234.500', '-0,250': '-0.250', '12.345.678,9': '12345678.900', '0': '0.000' });
  });

  it('the reason says how the number must be written', async () => {
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: textRows(['0.005']) } },
        { id: 'c', type: 'transform.cast', params: { columns: [{ column: 'v', type: 'DECIMAL(12,3)' }], on_error: 'reject', ...SPANISH } },
      ],
      ['src -> c'],
    );
    const rejects = await preview(doc, dir, 'c', { port: 'rejects' });
    expect(rejects.rows.map((r) => r._caudal_reason)).toEqual(["column v: '0.005' is not a number written like 1.234,56 (thousands_separator '.', decimal_separator ',')"]);
  });

  it('the same holds for DOUBLE and integer types, and for other separators', async () => {
    expect((await cast('DOUBLE', ['0.005', '1.234,5', '0,5'])).rejected).toEqual(['0.005']);
    expect((await cast('INTEGER', ['0.005', '012', '1.234'])).out).toEqual({ '012': 12, '1.234': 1234 });
    expect((await cast('DOUBLE', ['0,005', '1,234.5', '0.5'], { decimal_separator: '.', thousands_separator: ',' })).rejected).toEqual(['0,005']);
    expect((await cast('DOUBLE', ['0 005', '1 234,5'], { decimal_separator: ',', thousands_separator: ' ' })).rejected).toEqual(['0 005']);
  });

  it('a decimal separator needs digits after it: 1.234, is not 1234', async () => {
    const r = await cast('DOUBLE', ['1.234,', '5,', ',5', '1.234,5']);
    expect(r.rejected).toEqual(['1.234,', '5,']);
    expect(r.out).toEqual({ ',5': 0.5, '1.234,5': 1234.5 });
    expect((await cast('DOUBLE', ['5,', '5,0'], { decimal_separator: ',' })).rejected).toEqual(['5,']);
  });
});

describe('source.csv: the same grouping rules for a file with decimal commas', () => {
  it('a listed DECIMAL column refuses 0.005 (with thousands separator ".") and reads 1.234,5', async () => {
    await writeFile(path.join(dir, 'grouped.csv'), 'id;n\n1;1.234,5\n2;0.005\n3;0,5\n');
    const columns = [
      { name: 'id', type: 'INTEGER' },
      { name: 'n', type: 'DECIMAL(12,3)' },
    ];
    const doc = pipeline([{ id: 'src', type: 'source.csv', params: { path: 'grouped.csv', ...SPANISH, columns, on_error: 'reject' } }]);
    expect((await preview(doc, dir, 'src')).rows).toEqual([
      { id: 1, n: '1234.500' },
      { id: 3, n: '0.500' },
    ]);
  });

  it('a column whose sample holds 0.005 is not detected as a number', async () => {
    await writeFile(path.join(dir, 'detected.csv'), 'id;n\n1;1.234,5\n2;0.005\n');
    const r = await preview(pipeline([{ id: 'src', type: 'source.csv', params: { path: 'detected.csv', ...SPANISH } }]), dir, 'src');
    expect(r.columns.at(-1)).toEqual({ name: 'n', type: 'VARCHAR' });
  });
});

describe('sink.csv: every NaN is written nan', () => {
  it('0.0 / 0.0 (a NaN with its sign bit set, which DuckDB writes -nan) is written nan, as are FLOAT NaNs; inf, -inf and -0.0 stay', async () => {
    const query = `SELECT 0.0 / 0.0 AS a, -(0.0 / 0.0) AS b, CAST(0.0 / 0.0 AS FLOAT) AS f, 'inf'::DOUBLE AS i, -'inf'::DOUBLE AS ni, -0.0::DOUBLE AS z, 1.5::DOUBLE AS x`;
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query } },
        { id: 'sink', type: 'sink.csv', params: { path: 'nan.csv', if_exists: 'overwrite' } },
      ],
      ['src -> sink'],
    );
    const { summary } = await run(doc, dir);
    expect(summary.status).toBe('succeeded');
    expect(await readFile(path.join(dir, 'nan.csv'), 'utf8')).toBe('a,b,f,i,ni,z,x\nnan,nan,nan,inf,-inf,-0.0,1.5\n');
  });
});
