import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/support/pipeline.js';
import type { Dialect } from './detect.js';
import { fieldKey, locateRecords } from './locate.js';

/**
 * The locator must name the line DuckDB itself would: for each dialect, a file with one bad
 * integer ('bad') is read by DuckDB with store_rejects, and the line it reports is compared
 * with the line locateRecords finds for the same value. One exception, on purpose: after a quoted
 * value spanning lines DuckDB counts records, not lines; the locator gives the line a text editor
 * shows (what the docs promise: "line number in the file").
 */

let dir: string;
let instance: DuckDBInstance;

beforeAll(async () => {
  dir = await tempDir('caudal-csv-locate-');
  instance = await DuckDBInstance.create(':memory:');
});
afterAll(() => instance.closeSync());

const base: Dialect = { delim: ',', quote: '"', escape: '"', skip: 0, header: true };

const cases: Array<{ name: string; text: string; dialect?: Partial<Dialect>; field?: number; editorLine?: number }> = [
  { name: 'plain LF', text: 'id,n\n1,2\n2,bad\n3,4\n' },
  { name: 'CRLF', text: 'id,n\r\n1,2\r\n2,bad\r\n3,4\r\n' },
  { name: 'a byte-order mark', text: '\uFEFFid,n\n1,2\n2,bad\n' },
  { name: 'a quoted value spanning lines above', text: 'id,note,n\n1,"a\nb\nc",2\n2,"x",bad\n', field: 2, editorLine: 5 },
  { name: 'an escaped quote above', text: 'id,note,n\n1,"say ""hi""",2\n2,x,bad\n', field: 2 },
  { name: 'a backslash escape', text: 'id,note,n\n1,"say \\"hi\\"",2\n2,x,bad\n', dialect: { escape: '\\' }, field: 2 },
  { name: 'title lines skipped', text: 'Report 2024\n\nid;n\n1;2\n2;bad\n', dialect: { delim: ';', skip: 2 } },
  { name: 'no header, tabs', text: '1\t2\n2\tbad\n', dialect: { delim: '\t', header: false } },
  { name: 'no quote, pipes', text: 'id|n\n1|2\n"2|bad\n', dialect: { delim: '|', quote: '', escape: '' } },
  { name: 'empty lines between rows', text: 'id,n\n1,2\n\n\n2,bad\n' },
];

describe('locateRecords', () => {
  for (const c of cases) {
    it(`finds the line DuckDB reports, with ${c.name}`, async () => {
      const file = path.join(dir, `${c.name.replaceAll(' ', '_')}.csv`);
      await writeFile(file, c.text);
      const dialect = { ...base, ...c.dialect };
      const field = c.field ?? 1;
      const names = c.text.replace(/^\uFEFF/, '').split(/\r?\n/).filter((l) => l !== '')[dialect.skip ? 1 : 0]!.split(dialect.delim);
      const count = names.length;
      const cols = Array.from({ length: count }, (_, i) => `'c${i}': '${i === field ? 'BIGINT' : 'VARCHAR'}'`).join(', ');
      const conn = await instance.connect();
      await conn.run(
        `FROM read_csv('${file}', auto_detect := false, delim := '${dialect.delim}', quote := '${dialect.quote}', escape := '${dialect.escape.replace("'", "''")}', skip := ${dialect.skip}, header := ${dialect.header}, columns := {${cols}}, store_rejects := true, rejects_table := 'errs', rejects_scan := 'scans')`,
      );
      const [row] = (await conn.runAndReadAll(`SELECT line, csv_line FROM errs`)).getRowObjectsJson();
      conn.closeSync();
      const wanted = { field, value: 'bad', count: 1 };
      const found = (await locateRecords(file, dialect, [wanted])).get(fieldKey(wanted));
      expect(found?.[0]?.line).toBe(c.editorLine ?? Number(row?.line));
      // DuckDB's text keeps the line breaks before the record (after CRLF or empty lines); the locator's does not.
      expect(found?.[0]?.rawLine).toBe(String(row?.csv_line).replace(/^[\r\n]+/, ''));
    });
  }

  it('returns what it found before a line it cannot read, and never fails', async () => {
    const file = path.join(dir, 'unclosed.csv');
    await writeFile(file, 'id,n\n1,bad\n2,"never closed\n3,bad\n');
    const wanted = { field: 1, value: 'bad', count: 2 };
    const found = await locateRecords(file, base, [wanted]);
    expect(found.get(fieldKey(wanted))?.map((l) => l.line)).toEqual([2]);
  });

  it('finds every record holding a value, in file order, and stops once they are found', async () => {
    const file = path.join(dir, 'repeats.csv');
    await writeFile(file, 'id,n\n1,4.5\n2,3\n3,4.5\n4,"4.5"\n');
    const wanted = { field: 1, value: '4.5', count: 2 };
    const found = await locateRecords(file, base, [wanted]);
    expect(found.get(fieldKey(wanted))?.map((l) => l.line)).toEqual([2, 4]);
  });
});
