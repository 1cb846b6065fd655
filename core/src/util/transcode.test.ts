import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transcodeFile } from './transcode.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'caudal-transcode-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** `1,山田太郎,東京都,ラーメン` in Shift_JIS (Python's codec). */
const SJIS_ROW = Buffer.from('312c8e52936391be98592c938c8b9e93732c8389815b83818393', 'hex');
const line = (b: Buffer) => Buffer.concat([b, Buffer.from('\n')]);

describe('transcodeFile', () => {
  it('decodes Windows-1252 as Windows-1252 (€ and curly quotes), not as Latin-1', async () => {
    await writeFile(path.join(dir, 'w.csv'), Buffer.from([0x80, 0x93, 0x61, 0x94, 0x0a]));
    await transcodeFile(path.join(dir, 'w.csv'), path.join(dir, 'w-out.csv'), 'windows-1252');
    expect(await readFile(path.join(dir, 'w-out.csv'), 'utf8')).toBe('€“a”\n');
  });

  it('keeps a character that two read chunks cut in half whole', async () => {
    const file = path.join(dir, 'many.csv');
    await writeFile(file, Buffer.concat(Array.from({ length: 20_000 }, () => line(SJIS_ROW))));
    await transcodeFile(file, path.join(dir, 'many-out.csv'), 'shift_jis');
    const out = (await readFile(path.join(dir, 'many-out.csv'), 'utf8')).split('\n');
    expect(out).toHaveLength(20_001);
    expect(new Set(out.slice(0, -1))).toEqual(new Set(['1,山田太郎,東京都,ラーメン']));
  });

  it('names the line of bytes that form no character, wherever they fall in the chunks it reads', async () => {
    let seed = 7;
    const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
    for (let t = 0; t < 30; t++) {
      const lines = 2000 + random(20_000);
      const bad = 1 + random(lines);
      // The bad row is cut inside its text (maybe inside a character), then two bytes no character starts with.
      const rows = Array.from({ length: lines }, (_, i) => (i + 1 === bad ? line(Buffer.concat([SJIS_ROW.subarray(0, 5 + random(10)), Buffer.from([0x80, 0x80])])) : line(SJIS_ROW)));
      const file = path.join(dir, `bad-${t}.csv`);
      await writeFile(file, Buffer.concat(rows));
      await expect(transcodeFile(file, path.join(dir, `bad-${t}-out.csv`), 'shift_jis', { nodeId: 'src' })).rejects.toThrow(`node 'src': line ${bad} of ${file} is not shift_jis text`);
    }
  });

  it('converts a file whose line never ends (its length is checked after), streaming', async () => {
    const file = path.join(dir, 'one-line.csv');
    await writeFile(file, Buffer.concat(Array.from({ length: 200_000 }, () => SJIS_ROW)));
    await transcodeFile(file, path.join(dir, 'one-line-out.csv'), 'shift_jis');
    expect((await readFile(path.join(dir, 'one-line-out.csv'), 'utf8')).length).toBe(200_000 * '1,山田太郎,東京都,ラーメン'.length);
  });

  it('refuses a file that ends inside a character, naming its last line', async () => {
    const file = path.join(dir, 'cut.csv');
    await writeFile(file, Buffer.concat([line(SJIS_ROW), SJIS_ROW.subarray(0, SJIS_ROW.length - 1)]));
    await expect(transcodeFile(file, path.join(dir, 'cut-out.csv'), 'shift_jis')).rejects.toThrow(`line 2 of ${file} is not shift_jis text`);
  });

  it('converts UTF-16 both ways round, characters beyond the BMP and line breaks cut between chunks included, without the byte-order mark', async () => {
    // 'Ċ' is U+010A: its little-endian bytes 0A 01 hold a 0A that is no line break.
    const rows = Array.from({ length: 30_000 }, (_, i) => `${i}\tĊ𝄞 Zoë 😀\t${'x'.repeat(i % 7)}\r\n`).join('');
    for (const [encoding, bytes] of [
      ['utf-16le', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(rows, 'utf16le')])],
      ['utf-16be', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(rows, 'utf16le').swap16()])],
    ] as const) {
      const file = path.join(dir, `${encoding}.txt`);
      await writeFile(file, bytes);
      await transcodeFile(file, path.join(dir, `${encoding}-out.txt`), encoding);
      expect(await readFile(path.join(dir, `${encoding}-out.txt`), 'utf8'), encoding).toBe(rows);
      // A head ends after the last whole line in it, whatever byte the limit falls on.
      for (const maxBytes of [100_001, 100_002, 100_003, 250_000]) {
        const { truncated } = await transcodeFile(file, path.join(dir, `${encoding}-head.txt`), encoding, { maxBytes });
        const head = await readFile(path.join(dir, `${encoding}-head.txt`), 'utf8');
        expect(truncated).toBe(true);
        expect(head.endsWith('\r\n'), `${encoding} ${maxBytes}`).toBe(true);
        expect(rows.startsWith(head)).toBe(true);
        expect(Buffer.byteLength(head, 'utf16le') + 2).toBeLessThanOrEqual(maxBytes);
        expect(Buffer.byteLength(head, 'utf16le') + 2).toBeGreaterThan(maxBytes - 200);
      }
    }
  });

  it('names the line of a UTF-16 surrogate without its pair, and of a file cut inside a character', async () => {
    const lines = Array.from({ length: 50_000 }, (_, i) => `${i},Zoë\n`);
    lines[41_234] = '41234,\uD83D!\n';
    const file = path.join(dir, 'lone.txt');
    await writeFile(file, Buffer.from(lines.join(''), 'utf16le'));
    await expect(transcodeFile(file, path.join(dir, 'lone-out.txt'), 'utf-16le', { nodeId: 'src' })).rejects.toThrow(`node 'src': line 41235 of ${file} is not utf-16le text`);
    // At the edge of the 64 KiB chunks it reads: a pair cut in two is whole, a half without the other is refused.
    for (const [at, unit, ok] of [[32_767, '\uD83D', false], [32_768, '\uDE00', false], [32_767, '\uD83D\uDE00', true]] as const) {
      const text = 'n\n'.repeat(at / 2) + (at % 2 ? 'x' : '') + unit + '!\nlast\n';
      expect(text.indexOf(unit)).toBe(at);
      const edge = path.join(dir, `edge-${at}-${ok}.txt`);
      await writeFile(edge, Buffer.from(text, 'utf16le'));
      const done = transcodeFile(edge, `${edge}.out`, 'utf-16le');
      if (ok) await expect(done).resolves.toBeDefined();
      else await expect(done).rejects.toThrow(`line ${Math.floor(at / 2) + 1} of ${edge} is not utf-16le text`);
    }
    const odd = path.join(dir, 'odd.txt');
    await writeFile(odd, Buffer.concat([Buffer.from('a,b\n1,2\n', 'utf16le'), Buffer.from([0x33])]));
    await expect(transcodeFile(odd, path.join(dir, 'odd-out.txt'), 'utf-16le')).rejects.toThrow(`line 3 of ${odd} is not utf-16le text`);
  });
});
