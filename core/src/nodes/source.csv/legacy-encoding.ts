import { decodeAll, decoderFor, EAST_ASIAN_ENCODINGS, type LegacyEncoding } from '../../util/transcode.js';

/**
 * With `encoding: auto`, a file that is not UTF-8 is read as Windows-1252, what Windows and Excel
 * write in Western Europe and the Americas. Elsewhere they write other encodings: Excel's "CSV" is
 * Windows-1251 on Russian Windows and Shift_JIS on Japanese Windows. Such a file read as
 * Windows-1252 turns every name into other letters or symbols without an error (Москва → Ìîñêâà,
 * 山田太郎 → ŽR“c‘¾˜Y). These checks tell such a head from Western text, so that it is refused with
 * the readings that fit instead.
 */

/** Bytes Windows-1252 leaves undefined: no Windows-1252 text holds them (decoders give C1 controls). */
const UNDEFINED_IN_1252 = new Set([0x81, 0x8d, 0x8f, 0x90, 0x9d]);

type CodeRange = readonly [number, number];
const KANA_HANGUL_CJK: CodeRange[] = [
  [0x3000, 0x30ff], // CJK punctuation, hiragana, katakana
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff], // CJK ideographs
  [0xac00, 0xd7af], // hangul syllables
  [0xf900, 0xfaff],
  [0xff01, 0xff60], // full-width forms (not the half-width katakana)
];
const CYRILLIC: CodeRange[] = [[0x0400, 0x04ff]];

/**
 * Encodings whose text is recognized, with the letters of their script. Single-byte ones are only
 * tried when the non-ASCII bytes come in runs (whole words in another script), as Western text
 * never does; Central European and Turkish text (Windows-1250, -1254) is Latin and cannot be told
 * from Western text by its bytes.
 */
const RECOGNIZED: Array<{ encoding: LegacyEncoding; letters: CodeRange[]; singleByte: boolean }> = [
  ...EAST_ASIAN_ENCODINGS.map((encoding) => ({ encoding, letters: KANA_HANGUL_CJK, singleByte: false })),
  { encoding: 'windows-1251', letters: CYRILLIC, singleByte: true },
  { encoding: 'koi8-r', letters: CYRILLIC, singleByte: true },
  { encoding: 'windows-1253', letters: [[0x0370, 0x03ff]], singleByte: true },
  { encoding: 'windows-1255', letters: [[0x0590, 0x05ff]], singleByte: true },
  { encoding: 'windows-1256', letters: [[0x0600, 0x06ff]], singleByte: true },
  { encoding: 'windows-874', letters: [[0x0e00, 0x0e7f]], singleByte: true },
];

/** Who writes each recognized encoding, for the hint. */
export const WRITTEN_BY: Partial<Record<LegacyEncoding, string>> = {
  shift_jis: 'Excel on Japanese Windows',
  'euc-jp': 'older Japanese Unix systems',
  gbk: 'Excel on Simplified Chinese Windows',
  big5: 'Excel on Traditional Chinese Windows',
  'euc-kr': 'Excel on Korean Windows',
  'windows-1251': 'Excel on Russian, Ukrainian, Bulgarian or Serbian Windows',
  'koi8-r': 'older Russian Unix systems',
  'windows-1253': 'Excel on Greek Windows',
  'windows-1255': 'Excel on Hebrew Windows',
  'windows-1256': 'Excel on Arabic Windows',
  'windows-874': 'Excel on Thai Windows',
};

export interface NotWestern {
  /** First line holding a byte Windows-1252 does not define, if any. */
  undefinedByteLine?: number;
  /** Encodings the head reads in as text of their script, each with its first line holding such text. */
  readings: Array<{ encoding: LegacyEncoding; line: number; text: string }>;
}

/**
 * Why a head that is not UTF-8 should not be read as Windows-1252, or undefined when it reads as
 * Western text. `whole`: the head is the whole file (else it is cut at its last line break).
 */
export function notWestern(head: Buffer, whole: boolean): NotWestern | undefined {
  const end = whole ? head.length : head.lastIndexOf(0x0a) + 1;
  const bytes = head.subarray(0, end);
  const undefinedAt = bytes.findIndex((b) => UNDEFINED_IN_1252.has(b));
  const words = nonAsciiInWords(bytes);
  const readings: NotWestern['readings'] = [];
  for (const { encoding, letters, singleByte } of RECOGNIZED) {
    if (singleByte && !words) continue;
    let text: string;
    try {
      text = decodeAll(decoderFor(encoding, true)!, bytes);
    } catch {
      continue;
    }
    if (!readsAsScript(text, letters)) continue;
    const lines = text.split(/\r\n|\n|\r/);
    const at = lines.findIndex((l) => /[\u0080-\uffff]/.test(l));
    const shown = lines[at] ?? '';
    readings.push({ encoding, line: at + 1, text: shown.length > 80 ? `${shown.slice(0, 80)}…` : shown });
  }
  if (undefinedAt < 0 && readings.length === 0) return undefined;
  return { ...(undefinedAt < 0 ? {} : { undefinedByteLine: lineAt(bytes, undefinedAt) }), readings };
}

/**
 * Whether most bytes beyond ASCII stand in runs of three or more: whole words in a script of its
 * own. Western text has its accented letters one or two at a time among ASCII ones (Größe, ação).
 */
function nonAsciiInWords(bytes: Buffer): boolean {
  let high = 0;
  let inRuns = 0;
  let run = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i < bytes.length && bytes[i]! >= 0x80) {
      high++;
      run++;
      continue;
    }
    if (run >= 3) inRuns += run;
    run = 0;
  }
  return high >= 3 && inRuns >= 0.5 * high;
}

const within = (code: number, ranges: CodeRange[]) => ranges.some(([lo, hi]) => code >= lo && code <= hi);

/**
 * Decoded text that reads as writing in the script: its characters beyond ASCII are nearly all
 * the script's, most stand next to another (words, names), and they are not one character over
 * and over. Western text that happens to decode gives lone, odd characters (`MÜNCHEN` is valid
 * Shift_JIS: Ü is a half-width katakana there), or the same one again and again (a run of é pairs
 * up as 鳬鳬鳬).
 */
function readsAsScript(text: string, letters: CodeRange[]): boolean {
  let beyondAscii = 0;
  let inScript = 0;
  let inWords = 0;
  const distinct = new Set<number>();
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    beyondAscii++;
    if (!within(code, letters)) continue;
    inScript++;
    if (distinct.size < DISTINCT_ENOUGH) distinct.add(code);
    if (within(text.charCodeAt(i - 1), letters) || within(text.charCodeAt(i + 1), letters)) inWords++;
  }
  const varied = distinct.size >= Math.min(DISTINCT_ENOUGH, inScript / 2);
  return inScript >= 2 && inScript >= 0.9 * beyondAscii && inWords >= 0.5 * inScript && varied;
}

/** Different letters that make text varied enough to be writing (a few names have more). */
const DISTINCT_ENOUGH = 8;

function lineAt(bytes: Buffer, offset: number): number {
  let line = 1;
  for (let i = bytes.indexOf(0x0a); i >= 0 && i < offset; i = bytes.indexOf(0x0a, i + 1)) line++;
  return line;
}
