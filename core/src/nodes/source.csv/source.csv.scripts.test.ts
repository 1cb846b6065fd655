import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { pipeline, preview, problemsOf, run, tempDir } from '../../../../test/support/pipeline.js';

/**
 * Outside Western Europe and the Americas, Windows (and Excel there) save CSV files in other
 * encodings: Windows-1251 in Russia, Shift_JIS in Japan, GBK in China… Read as Windows-1252, which
 * `auto` assumes for a file that is not UTF-8, such a file arrived with every name turned into
 * other letters or symbols (Москва → Ìîñêâà, 山田太郎 → ŽR“c‘¾˜Y) and no error.
 */
let dir: string;

/** One row `1,<name>,<city>` as each encoding writes it (bytes produced by Python's codecs). */
const ROWS = {
  shift_jis: { hex: '312c8e52936391be98592c938c8b9e93732c8389815b83818393', text: { name: '山田太郎', city: '東京都', extra: 'ラーメン' } },
  gbk: { hex: '312cd5c5ceb02cb1b1bea9cad0', text: { name: '张伟', city: '北京市' } },
  big5: { hex: '312cb3afacfcacc22ca578a55fa5ab', text: { name: '陳美玲', city: '台北市' } },
  'euc-kr': { hex: '312cb1e8b9cec1d82cbcadbfefc6afbab0bdc3', text: { name: '김민준', city: '서울특별시' } },
  'euc-jp': { hex: '312cbbb3c5c4c2c0cfba2cc5ecb5fec5d4', text: { name: '山田太郎', city: '東京都' } },
  'windows-1251': { hex: '312cc8e2e0edeee220cfb8f2f02ccceef1eae2e0', text: { name: 'Иванов Пётр', city: 'Москва' } },
  'koi8-r': { hex: '312ce9d7c1cecfd720f0a3d4d22cedcfd3cbd7c1', text: { name: 'Иванов Пётр', city: 'Москва' } },
  'windows-1253': { hex: '312cd0e1f0e1e4fcf0eff5ebeff22cc1e8deede1', text: { name: 'Παπαδόπουλος', city: 'Αθήνα' } },
} as const;
const OTHERS = ['gbk', 'big5', 'euc-kr', 'euc-jp', 'windows-1251', 'koi8-r', 'windows-1253'] as const;

const csv = (params: Record<string, unknown>) => pipeline([{ id: 'src', type: 'source.csv', params }]);

async function fileOf(name: string, header: string, rows: Buffer[], eol = '\r\n'): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, Buffer.concat([Buffer.from(header + eol), ...rows.flatMap((r) => [r, Buffer.from(eol)])]));
  return file;
}

beforeAll(async () => {
  dir = await tempDir('caudal-csv-scripts-');
  await fileOf('sjis.csv', 'id,name,city,dish', [Buffer.from(ROWS.shift_jis.hex, 'hex')]);
  for (const enc of OTHERS) await fileOf(`${enc}.csv`, 'id,name,city', [Buffer.from(ROWS[enc].hex, 'hex')]);
});

describe('source.csv: a file in another script (Cyrillic, Greek, Japanese, Chinese, Korean…) with encoding "auto"', () => {
  it('is refused, not garbled as Windows-1252: the message shows how each fitting encoding reads it', async () => {
    const file = path.join(dir, 'sjis.csv');
    const problems = await problemsOf(csv({ path: 'sjis.csv' }), dir);
    expect(problems).toEqual([
      expect.objectContaining({
        code: 'invalid_param',
        path: 'nodes[0].params.encoding',
        message: expect.stringContaining(`node 'src': ${file} is not UTF-8, and its text is not Western European (read as Windows-1252 it would be garbled): as shift_jis, line 2 reads "1,山田太郎,東京都,ラーメン"`),
        hint: expect.stringContaining('"shift_jis" is what Excel on Japanese Windows saves'),
      }),
    ]);
  });

  it.each(OTHERS)('%s: refused, with its own reading among those shown', async (enc) => {
    const [problem] = await problemsOf(csv({ path: `${enc}.csv` }), dir);
    const t = ROWS[enc].text;
    expect(problem?.message).toContain(`as ${enc}, line 2 reads "1,${t.name},${t.city}"`);
  });

  it('Western text with accented letters side by side (ação, Größe, Ærøskøbing) is still read as Windows-1252', async () => {
    const names = ['João Conceição', 'informações', 'Jürgen Größe', 'Ærøskøbing', 'Françoise', 'Muñoz', '“quoted” – €5', 'Ça va très bien'];
    // The lines `id,name` and `<i>,<name>` above, CRLF, encoded with Python's cp1252 codec.
    const hex =
      '69642c6e616d650d0a302c4a6fe36f20436f6e636569e7e36f0d0a312c696e666f726d61e7f565730d0a322c4afc7267656e204772f6df650d0a332cc672f8736bf862696e670d0a342c4672616ee76f6973650d0a352c4d75f16f7a0d0a362c9371756f7465649420962080350d0a372cc761207661207472e873206269656e0d0a';
    await writeFile(path.join(dir, 'western.csv'), Buffer.from(hex, 'hex'));
    const r = await preview(csv({ path: 'western.csv' }), dir, 'src');
    expect(r.rows.map((x) => x.name)).toEqual(names);
  });

  it('Western text that happens to be valid Shift_JIS (capitals with accents) is still read as Windows-1252', async () => {
    // Ü, Ã, Á, Å are half-width katakana in Shift_JIS: the file decodes there too, as nonsense.
    await writeFile(path.join(dir, 'capitals.csv'), Buffer.from('id,city\n1,M\xdcNCHEN\n2,S\xc3O PAULO\n3,M\xc1LAGA\n4,\xc5RHUS\n', 'latin1'));
    const r = await preview(csv({ path: 'capitals.csv' }), dir, 'src');
    expect(r.rows.map((x) => x.city)).toEqual(['MÜNCHEN', 'SÃO PAULO', 'MÁLAGA', 'ÅRHUS']);
  });

  it('a file holding bytes Windows-1252 does not define is refused, naming the line', async () => {
    await writeFile(path.join(dir, 'undefined_bytes.csv'), Buffer.from('id,name\n1,Zo\xeb\n2,x\x81y\n', 'latin1'));
    const [problem] = await problemsOf(csv({ path: 'undefined_bytes.csv' }), dir);
    expect(problem).toMatchObject({
      path: 'nodes[0].params.encoding',
      message: `node 'src': ${path.join(dir, 'undefined_bytes.csv')} is neither UTF-8 nor Windows-1252 text: line 3 holds bytes Windows-1252 does not define`,
    });
    // Excel on a Mac saves Mac OS Roman, where ç, è, ê and ù are such bytes: read with the encoding stated.
    await writeFile(path.join(dir, 'mac.csv'), Buffer.from('69642c6e616d650a312c43728f6d652062729e6c8e650a322c8261208e748e0a', 'hex'));
    const [mac] = await problemsOf(csv({ path: 'mac.csv' }), dir);
    expect(mac).toMatchObject({ path: 'nodes[0].params.encoding', hint: expect.stringContaining('"macintosh" for CSV saved by Excel on a Mac') });
    const macRows = await preview(csv({ path: 'mac.csv', encoding: 'macintosh' }), dir, 'src');
    expect(macRows.rows.map((x) => x.name)).toEqual(['Crème brûlée', 'Ça été']);
    // Said on purpose, it is read that way.
    const r = await preview(csv({ path: 'undefined_bytes.csv', encoding: 'latin-1' }), dir, 'src');
    expect(r.rows.map((x) => x.name)).toEqual(['Zoë', 'x\u0081y']);
  });
});

describe('source.csv: encodings of other scripts', () => {
  it('shift_jis (Excel on Japanese Windows) reads every character', async () => {
    const r = await preview(csv({ path: 'sjis.csv', encoding: 'shift_jis' }), dir, 'src');
    expect(r.rows).toEqual([{ id: '1', name: '山田太郎', city: '東京都', dish: 'ラーメン' }]);
  });

  it.each(OTHERS)('%s reads every character', async (enc) => {
    const r = await preview(csv({ path: `${enc}.csv`, encoding: enc }), dir, 'src');
    expect(r.rows).toEqual([{ id: '1', name: ROWS[enc].text.name, city: ROWS[enc].text.city }]);
  });

  it('converts a whole file in a run, past the head that previews look at', async () => {
    const row = Buffer.from(ROWS.shift_jis.hex.slice(4), 'hex'); // without "1,"
    const rows = Array.from({ length: 200_000 }, (_, i) => Buffer.concat([Buffer.from(`${i + 1},`), row]));
    await fileOf('sjis_big.csv', 'id,name,city,dish', rows, '\n');
    const doc = pipeline(
      [
        { id: 'src', type: 'source.csv', params: { path: 'sjis_big.csv', encoding: 'shift_jis' } },
        { id: 'out', type: 'sink.csv', params: { path: 'out.csv', if_exists: 'overwrite' } },
      ],
      ['src -> out'],
    );
    const { summary } = await run(doc, dir);
    expect(summary.status).toBe('succeeded');
    expect(summary.outputs[0]?.rows).toBe(200_000);
    const back = await preview(csv({ path: 'out.csv' }), dir, 'src', { limit: 1 });
    expect(back.rows[0]).toEqual({ id: '1', name: '山田太郎', city: '東京都', dish: 'ラーメン' });
  });

  it('bytes that are not a character in the stated encoding stop the run with their line, rather than becoming U+FFFD', async () => {
    const good = Buffer.from(ROWS.shift_jis.hex, 'hex');
    const file = await fileOf('sjis_broken.csv', 'id,name,city,dish', [good, good, Buffer.concat([good, Buffer.from([0x80, 0x80])])]);
    const problems = await problemsOf(csv({ path: 'sjis_broken.csv', encoding: 'shift_jis' }), dir);
    expect(problems).toEqual([
      expect.objectContaining({
        path: 'nodes[0].params.encoding',
        message: `node 'src': line 4 of ${file} is not shift_jis text (it holds bytes that do not form a character in that encoding)`,
      }),
    ]);
  });
});
