import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { pipeline, preview, run, tempDir } from '../../../../test/support/pipeline.js';
import { stringLiteral } from '../../compiler/sql.js';

let dir: string;

const csv = (params: Record<string, unknown>) => pipeline([{ id: 'src', type: 'source.csv', params }]);
const rowsOf = async (params: Record<string, unknown>) => (await preview(csv(params), dir, 'src', { limit: 10_000 })).rows;

beforeAll(async () => {
  dir = await tempDir('caudal-csv-nulls-');
  // Row 1: a quoted empty field; row 2: unquoted empty fields; row 3: NA quoted and unquoted.
  await writeFile(path.join(dir, 'empties.csv'), 'a,b,n\n"",x,1\n,y,\n"NA",NA,3\n');
});

describe('source.csv: empty strings and NULL (RFC 4180 usage)', () => {
  it('reads a quoted empty field as an empty string and an unquoted one as NULL', async () => {
    expect(await rowsOf({ path: 'empties.csv' })).toEqual([
      { a: '', b: 'x', n: '1' },
      { a: null, b: 'y', n: null },
      { a: 'NA', b: 'NA', n: '3' },
    ]);
  });

  it('null_strings: [] means nothing is NULL: every empty field is an empty string', async () => {
    expect(await rowsOf({ path: 'empties.csv', null_strings: [], all_varchar: true })).toEqual([
      { a: '', b: 'x', n: '1' },
      { a: '', b: 'y', n: '' },
      { a: 'NA', b: 'NA', n: '3' },
    ]);
  });

  it('listed null strings match unquoted fields only; a quoted field is always a value', async () => {
    expect(await rowsOf({ path: 'empties.csv', null_strings: ['NA'], all_varchar: true })).toEqual([
      { a: '', b: 'x', n: '1' },
      { a: '', b: 'y', n: '' },
      { a: 'NA', b: null, n: '3' },
    ]);
    expect(await rowsOf({ path: 'empties.csv', null_strings: ['', 'NA'], all_varchar: true })).toEqual([
      { a: '', b: 'x', n: '1' },
      { a: null, b: 'y', n: null },
      { a: 'NA', b: null, n: '3' },
    ]);
  });
});

/** Text that CSV writers and readers get wrong: empty, quotes, delimiters, line breaks, spaces, non-ASCII. */
const tricky = fc.option(
  fc.string({ unit: fc.constantFrom('a', 'Z', '0', ' ', ',', ';', '"', "'", '\n', '\r\n', '\r', '\t', '|', 'é', 'ñ', '€', '中', '🙂', '#', '\\', 'NULL'), maxLength: 6 }),
  { nil: null, freq: 4 },
);

/** A transform.sql query returning exactly these rows as (id BIGINT, s VARCHAR[, t VARCHAR]). */
function valuesQuery(rows: Array<[string | null, string | null]>, columns: 1 | 2 = 2): string {
  const lit = (v: string | null) => (v === null ? 'NULL' : stringLiteral(v));
  const body = rows.map(([s, t], i) => `(${i}, ${lit(s)}, ${lit(t)})`).join(', ');
  return `SELECT id::BIGINT AS id, s::VARCHAR AS s${columns === 2 ? ', t::VARCHAR AS t' : ''} FROM (VALUES ${body}) v(id, s, t)`;
}

const varchar = (name: string) => ({ name, type: 'VARCHAR' });

describe('sink.csv → source.csv round trip', () => {
  it('writes an empty string as "" and NULL as nothing', async () => {
    const doc = pipeline(
      [
        { id: 'q', type: 'transform.sql', params: { query: valuesQuery([['', null], [null, '']]) } },
        { id: 'out', type: 'sink.csv', params: { path: 'rt/fixed.csv', if_exists: 'overwrite' } },
      ],
      ['q -> out'],
    );
    expect((await run(doc, dir)).summary.error).toBeUndefined();
    expect(await readFile(path.join(dir, 'rt/fixed.csv'), 'utf8')).toBe('id,s,t\n0,"",\n1,,""\n');
  });

  it('property: every string, empty string and NULL comes back exactly as written, whatever NULL is written as', async () => {
    let n = 0;
    const rowsArb = fc.array(fc.tuple(tricky, tricky), { minLength: 1, maxLength: 25 });
    await fc.assert(
      fc.asyncProperty(rowsArb, fc.constantFrom('', 'NULL', '\\N'), fc.constantFrom(1 as const, 2 as const), async (rows, nullString, columns) => {
        const file = `rt/p${n++}.csv`;
        // A one-column file: a row whose value is empty would be an empty line, which readers skip.
        const sql = columns === 1 ? valuesQuery(rows, 1).replace('SELECT id::BIGINT AS id, ', 'SELECT ') : valuesQuery(rows);
        const doc = pipeline(
          [
            { id: 'q', type: 'transform.sql', params: { query: sql } },
            { id: 'out', type: 'sink.csv', params: { path: file, null_string: nullString } },
          ],
          ['q -> out'],
        );
        expect((await run(doc, dir)).summary.error).toBeUndefined();
        const back = await rowsOf({
          path: file,
          delimiter: ',',
          header: true,
          ...(nullString === '' ? {} : { null_strings: [nullString] }),
          columns: columns === 1 ? [varchar('s')] : [{ name: 'id', type: 'BIGINT' }, varchar('s'), varchar('t')],
        });
        expect(back).toEqual(rows.map(([s, t], i) => (columns === 1 ? { s } : { id: String(i), s, t })));
      }),
      { numRuns: 15 },
    );
  }, 180_000);
});
