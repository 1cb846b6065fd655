import { decodeAll, decoderFor, EAST_ASIAN_ENCODINGS } from '../../util/transcode.js';

/**
 * With `encoding: auto`, a file that is not UTF-8 is read as Windows-1252, what Windows and Excel
 * write in Western Europe and the Americas. In Japan, China, Taiwan and Korea they write double-byte
 * encodings instead (Excel's "CSV" is Shift_JIS on Japanese Windows), and such a file read as
 * Windows-1252 turns every name into symbols without an error (山田太郎 → ŽR“c‘¾˜Y). These checks
 * tell such a head from Western text, so that it is refused with the readings that fit instead.
 */

/** Bytes Windows-1252 leaves undefined: no Windows-1252 text holds them (decoders give C1 controls). */
const UNDEFINED_IN_1252 = new Set([0x81, 0x8d, 0x8f, 0x90, 0x9d]);

export interface NotWestern {
  /** First line holding a byte Windows-1252 does not define, if any. */
  undefinedByteLine?: number;
  /** East Asian encodings the head reads in, each with its first line holding such text. */
  readings: Array<{ encoding: (typeof EAST_ASIAN_ENCODINGS)[number]; line: number; text: string }>;
}

/**
 * Why a head that is not UTF-8 should not be read as Windows-1252, or undefined when it reads as
 * Western text. `whole`: the head is the whole file (else it is cut at its last line break).
 */
export function notWestern(head: Buffer, whole: boolean): NotWestern | undefined {
  const end = whole ? head.length : head.lastIndexOf(0x0a) + 1;
  const bytes = head.subarray(0, end);
  const undefinedAt = bytes.findIndex((b) => UNDEFINED_IN_1252.has(b));
  const readings: NotWestern['readings'] = [];
  for (const encoding of EAST_ASIAN_ENCODINGS) {
    let text: string;
    try {
      text = decodeAll(decoderFor(encoding, true)!, bytes);
    } catch {
      continue;
    }
    if (!looksEastAsian(text)) continue;
    const lines = text.split(/\r\n|\n|\r/);
    const at = lines.findIndex((l) => [...l].some((c) => c.charCodeAt(0) >= 0x80));
    const shown = lines[at] ?? '';
    readings.push({ encoding, line: at + 1, text: shown.length > 80 ? `${shown.slice(0, 80)}…` : shown });
  }
  if (undefinedAt < 0 && readings.length === 0) return undefined;
  return { ...(undefinedAt < 0 ? {} : { undefinedByteLine: lineAt(bytes, undefinedAt) }), readings };
}

/** Kana, hangul, CJK ideographs and punctuation, full-width forms (not the half-width katakana). */
function isEastAsian(code: number): boolean {
  return (
    (code >= 0x3000 && code <= 0x30ff) ||
    (code >= 0x3400 && code <= 0x4dbf) ||
    (code >= 0x4e00 && code <= 0x9fff) ||
    (code >= 0xac00 && code <= 0xd7af) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xff01 && code <= 0xff60)
  );
}

/**
 * Decoded text that reads as East Asian writing: its characters beyond ASCII are nearly all East
 * Asian, most stand next to another (words, names), and they are not one character over and over.
 * Western text that happens to decode gives lone, odd characters (`MÜNCHEN` is valid Shift_JIS: Ü
 * is a half-width katakana there), or the same one again and again (a run of é pairs up as 鳬鳬鳬).
 */
function looksEastAsian(text: string): boolean {
  let beyondAscii = 0;
  let eastAsian = 0;
  let inWords = 0;
  const distinct = new Set<number>();
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    beyondAscii++;
    if (!isEastAsian(code)) continue;
    eastAsian++;
    if (distinct.size < DISTINCT_ENOUGH) distinct.add(code);
    if (isEastAsian(text.charCodeAt(i - 1)) || isEastAsian(text.charCodeAt(i + 1))) inWords++;
  }
  const varied = distinct.size >= Math.min(DISTINCT_ENOUGH, eastAsian / 2);
  return eastAsian >= 2 && eastAsian >= 0.9 * beyondAscii && inWords >= 0.5 * eastAsian && varied;
}

/** Different East Asian characters that make text varied enough to be writing (a few names have more). */
const DISTINCT_ENOUGH = 8;

function lineAt(bytes: Buffer, offset: number): number {
  let line = 1;
  for (let i = bytes.indexOf(0x0a); i >= 0 && i < offset; i = bytes.indexOf(0x0a, i + 1)) line++;
  return line;
}
