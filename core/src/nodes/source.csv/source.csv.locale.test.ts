import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { pipeline, preview, problemsOf, run, tempDir } from '../../../../test/support/pipeline.js';

let dir: string;

/** Windows-1252 bytes: Latin-1 characters as themselves, € at 0x80 (where Latin-1 has a control code). */
const cp1252 = (text: string) => Buffer.from([...text].map((ch) => (ch === '€' ? 0x80 : ch.charCodeAt(0))));

async function write(name: string, content: string | Buffer): Promise<string> {
  const file = path.join(dir, name);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
  return file;
}

const csv = (params: Record<string, unknown>) => pipeline([{ id: 'src', type: 'source.csv', params }]);
const SPANISH = { decimal_separator: ',', thousands_separator: '.', date_format: '%d/%m/%Y' };

/** What a Spanish ERP or Excel on a Spanish Windows writes: `;`, decimal comma, day-first dates, Windows-1252. */
const EXPORT = [
  'Cliente;Importe;Fecha;Nota',
  'José Núñez;1.234,56;31/12/2025;Pago en €',
  'Peña;-7,50;01/02/2025;"dice ""sí"""',
  'Muñoz;1.000.000,00;15/03/2025;',
  'Ibáñez;0,99;02/01/2026;año nuevo',
].join('\r\n');

beforeAll(async () => {
  dir = await tempDir('caudal-csv-locale-');
  await write('export_es.csv', cp1252(EXPORT + '\r\n'));
  await write('bad_number.csv', cp1252('Cliente;Importe\nJosé;1.234,56\nPeña;12.34\nMuñoz;7,5\n'));
  await write('comma_decimal.csv', 'item;price\npen;1,5\nbook;12,25\n');
  await write('latin1.csv', Buffer.from('name,city\nJosé Muñoz,Córdoba\nFrançois,Zürich\n', 'latin1'));
  await write('mixed/a.csv', 'who,n\nAnn,1\n');
  await write('mixed/b.csv', cp1252('who,n\nJosé €,2\n'));
});

describe('source.csv: a Spanish export from the source node alone', () => {
  const expected = [
    { Cliente: 'José Núñez', Importe: 1234.56, Fecha: '2025-12-31', Nota: 'Pago en €' },
    { Cliente: 'Peña', Importe: -7.5, Fecha: '2025-02-01', Nota: 'dice "sí"' },
    { Cliente: 'Muñoz', Importe: 1000000, Fecha: '2025-03-15', Nota: null },
    { Cliente: 'Ibáñez', Importe: 0.99, Fecha: '2026-01-02', Nota: 'año nuevo' },
  ];

  it('detects the Windows-1252 encoding and the ";" and reads typed values exactly', async () => {
    const r = await preview(csv({ path: 'export_es.csv', ...SPANISH }), dir, 'src');
    expect(r.columns).toEqual([
      { name: 'Cliente', type: 'VARCHAR' },
      { name: 'Importe', type: 'DOUBLE' },
      { name: 'Fecha', type: 'DATE' },
      { name: 'Nota', type: 'VARCHAR' },
    ]);
    expect(r.rows).toEqual(expected);
  });

  it('gives the same values in a run, and DECIMAL when the columns are listed', async () => {
    const doc = pipeline(
      [
        {
          id: 'src',
          type: 'source.csv',
          params: {
            path: 'export_es.csv',
            ...SPANISH,
            columns: [
              { name: 'cliente', type: 'VARCHAR' },
              { name: 'importe', type: 'DECIMAL(12,2)' },
              { name: 'fecha', type: 'DATE' },
              { name: 'nota', type: 'VARCHAR' },
            ],
          },
        },
        { id: 'out', type: 'sink.csv', params: { path: 'out/export.csv', if_exists: 'overwrite' } },
      ],
      ['src -> out'],
    );
    const { summary } = await run(doc, dir);
    expect(summary.error).toBeUndefined();
    expect(await readFile(path.join(dir, 'out/export.csv'), 'utf8')).toBe(
      ['cliente,importe,fecha,nota', 'José Núñez,1234.56,2025-12-31,Pago en €', 'Peña,-7.50,2025-02-01,"dice ""sí"""', 'Muñoz,1000000.00,2025-03-15,', 'Ibáñez,0.99,2026-01-02,año nuevo', ''].join('\n'),
    );
  });

  it('reads a decimal comma without thousands separators', async () => {
    const r = await preview(csv({ path: 'comma_decimal.csv', decimal_separator: ',' }), dir, 'src');
    expect(r.columns.map((c) => c.type)).toEqual(['VARCHAR', 'DOUBLE']);
    expect(r.rows).toEqual([
      { item: 'pen', price: 1.5 },
      { item: 'book', price: 12.25 },
    ]);
  });

  it('does not read a number with misplaced separators: detection leaves such a column as text', async () => {
    // "12.34" is not "1.234,56"-style: with '.' between thousands it would silently become 1234.
    const r = await preview(csv({ path: 'bad_number.csv', ...SPANISH }), dir, 'src');
    expect(r.columns.map((c) => c.type)).toEqual(['VARCHAR', 'VARCHAR']);
    expect(r.rows.map((x) => x.Importe)).toEqual(['1.234,56', '12.34', '7,5']);
  });

  it('stops a run at a misplaced separator in a number column, naming column, value, file and line', async () => {
    const columns = [
      { name: 'Cliente', type: 'VARCHAR' },
      { name: 'Importe', type: 'DOUBLE' },
    ];
    const { summary } = await run(csv({ path: 'bad_number.csv', ...SPANISH, columns }), dir, { metrics: 'exact' });
    expect(summary.status).toBe('failed');
    const message = summary.error?.message ?? '';
    expect(message).toContain("node 'src' (source.csv), column 'Importe'");
    expect(message).toContain("'12.34' is not a number written like 1.234,56");
    expect(message).toContain(path.join(dir, 'bad_number.csv'));
    expect(message).toContain(`line 3 of ${path.join(dir, 'bad_number.csv')}: Peña;12.34`);
    expect(message).not.toContain('src__');
  });

  it('sets such rows aside with on_error "reject"', async () => {
    const columns = [
      { name: 'Cliente', type: 'VARCHAR' },
      { name: 'Importe', type: 'DOUBLE' },
    ];
    const params = { path: 'bad_number.csv', ...SPANISH, columns, on_error: 'reject' };
    const good = await preview(csv(params), dir, 'src');
    expect(good.rows).toEqual([
      { Cliente: 'José', Importe: 1234.56 },
      { Cliente: 'Muñoz', Importe: 7.5 },
    ]);
    const bad = await preview(csv(params), dir, 'src', { port: 'rejects' });
    expect(bad.rows).toEqual([
      {
        file: path.join(dir, 'bad_number.csv'),
        // Found again in the file (converted from Windows-1252): the check ran after DuckDB parsed the line.
        line: '3',
        raw_line: 'Peña;12.34',
        error: "'12.34' is not a number written like 1.234,56 (thousands_separator '.', decimal_separator ',')",
        column: 'Importe',
      },
    ]);
  });

  it('checks that the separators can be told apart', async () => {
    const problems = await problemsOf(csv({ path: 'comma_decimal.csv', decimal_separator: ',', thousands_separator: ',', delimiter: ',' }), dir);
    expect(problems.map((p) => p.path).sort()).toEqual(['nodes[0].params.decimal_separator', 'nodes[0].params.thousands_separator']);
  });
});

describe('source.csv: encoding detection', () => {
  it('reads a file that is not UTF-8 as Windows-1252 without being told', async () => {
    expect((await preview(csv({ path: 'latin1.csv' }), dir, 'src')).rows).toEqual([
      { name: 'José Muñoz', city: 'Córdoba' },
      { name: 'François', city: 'Zürich' },
    ]);
  });

  it('decides per file when a pattern matches UTF-8 and Windows-1252 files', async () => {
    const r = await preview(csv({ path: 'mixed/*.csv', filename_column: 'f' }), dir, 'src');
    expect(r.rows.map((x) => [x.who, path.basename(String(x.f))])).toEqual([
      ['Ann', 'a.csv'],
      ['José €', 'b.csv'],
    ]);
  });

  it('keeps an explicit "utf-8" strict, suggesting the encoding to set', async () => {
    const problems = await problemsOf(csv({ path: 'latin1.csv', encoding: 'utf-8' }), dir);
    expect(problems[0]).toMatchObject({ code: 'invalid_param', nodeId: 'src', path: 'nodes[0].params.encoding' });
    expect(problems[0]?.message).toBe(`node 'src': ${path.join(dir, 'latin1.csv')} is not UTF-8 text`);
  });
});

describe('source.csv: a file that mixes UTF-8 and Windows-1252 (rows appended by another program)', () => {
  const utf8 = (text: string) => Buffer.from(text, 'utf8');

  it('is refused with both lines named, not converted whole (which would garble the UTF-8 part)', async () => {
    await write('mixed_small.csv', Buffer.concat([utf8('name,city\nJosé,Málaga\n'), cp1252('Peña,Cádiz\n')]));
    const problems = await problemsOf(csv({ path: 'mixed_small.csv' }), dir);
    expect(problems).toEqual([
      expect.objectContaining({
        path: 'nodes[0].params.encoding',
        message: `node 'src': ${path.join(dir, 'mixed_small.csv')} mixes two encodings: line 2 holds UTF-8 characters, line 3 bytes that are not UTF-8 (Windows-1252 or Latin-1, e.g. from rows appended by another program); read as either one, the other part would be garbled`,
      }),
    ]);
    const asked = await preview(csv({ path: 'mixed_small.csv', encoding: 'windows-1252' }), dir, 'src');
    expect(asked.rows.map((r) => r.name)).toEqual(['JosÃ©', 'Peña']);
  });

  it('is refused by the run when the other encoding starts past the 4 MB that planning looks at', async () => {
    const filler = 'x,y\n'.repeat(1_300_000);
    await write('mixed_big.csv', Buffer.concat([utf8('name,city\nJosé,Málaga\n'), utf8(filler), cp1252('Peña,Cádiz\n')]));
    const doc = pipeline([{ id: 'src', type: 'source.csv', params: { path: 'mixed_big.csv' } }, { id: 'out', type: 'sink.csv', params: { path: 'out/mixed_big.csv' } }], ['src -> out']);
    expect(await problemsOf(doc, dir)).toEqual([]);
    const { summary } = await run(doc, dir);
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toContain(`mixes two encodings: line 2 holds UTF-8 characters, line ${1_300_000 + 3} bytes that are not UTF-8`);
    await expect(readFile(path.join(dir, 'out/mixed_big.csv'))).rejects.toThrow();
  });
});

