import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { TextDecoder } from 'node:util';
import { CaudalError } from './errors.js';

/**
 * Encodings converted to UTF-8 before DuckDB reads a file: the single-byte ones Windows (and Excel)
 * write around the world and their ISO and KOI8 relatives, and the East Asian double-byte ones of
 * Japan, China, Taiwan and Korea. Every one keeps ASCII as it is, so line breaks, delimiters and
 * quotes are the same bytes.
 */
export const LEGACY_ENCODINGS = [
  'latin-1',
  'windows-1252',
  'iso-8859-15',
  'windows-1250',
  'iso-8859-2',
  'windows-1251',
  'koi8-r',
  'koi8-u',
  'iso-8859-5',
  'windows-1253',
  'iso-8859-7',
  'windows-1254',
  'windows-1255',
  'windows-1256',
  'windows-1257',
  'windows-1258',
  'windows-874',
  'macintosh',
  'shift_jis',
  'euc-jp',
  'gbk',
  'big5',
  'euc-kr',
] as const;
export type LegacyEncoding = (typeof LEGACY_ENCODINGS)[number];

/**
 * UTF-16, as Excel's "Unicode Text" and many Windows tools save it. Unlike the legacy encodings it
 * does not keep ASCII as it is (every character is two bytes, `\n` is 0A 00 or 00 0A), so lines are
 * counted in the decoded text and a head is cut on a whole code unit.
 */
export const UTF16_ENCODINGS = ['utf-16le', 'utf-16be'] as const;
export type Utf16Encoding = (typeof UTF16_ENCODINGS)[number];

/** Every encoding a file is converted from into a UTF-8 copy before DuckDB reads it. */
export type ConvertedEncoding = LegacyEncoding | Utf16Encoding;

const isUtf16 = (e: ConvertedEncoding): e is Utf16Encoding => (UTF16_ENCODINGS as readonly string[]).includes(e);

/** Double-byte encodings (a byte sequence can be invalid in them, and is then refused). */
export const EAST_ASIAN_ENCODINGS = ['shift_jis', 'euc-jp', 'gbk', 'big5', 'euc-kr'] as const satisfies readonly LegacyEncoding[];

export interface TranscodeResult {
  bytesRead: number;
  truncated: boolean;
}

/**
 * Decodes `bytes` whole. Always through the streaming path: Node 20 decodes `windows-1252` as
 * Latin-1 without it (0x93 → U+0093 instead of “), its ICU decoder runs only when streaming.
 */
export function decodeAll(decoder: TextDecoder, bytes: Uint8Array): string {
  return decoder.decode(bytes, { stream: true }) + decoder.decode();
}

/** ` (near "…")`: the text around the first character a lenient decoding replaced with U+FFFD, or ''. */
export function nearUndecodable(lenient: string): string {
  const at = lenient.indexOf('\uFFFD');
  return at < 0 ? '' : ` (near ${JSON.stringify(lenient.slice(Math.max(0, at - 30), at + 10))})`;
}

/**
 * A decoder as the WHATWG Encoding Standard defines it (what browsers use): `windows-1252` maps
 * 0x80-0x9F to €, curly quotes…; `shift_jis` is Windows-31J (Excel's Japanese CSV), `gbk` reads
 * GB18030, `big5` includes HKSCS, `euc-kr` is Windows-949. Latin-1 maps each byte to the same code point.
 */
export function decoderFor(encoding: ConvertedEncoding, fatal: boolean): TextDecoder | undefined {
  // A UTF-16 byte-order mark is dropped (ignoreBOM false): the copy is UTF-8 without one.
  return encoding === 'latin-1' ? undefined : new TextDecoder(encoding, { fatal });
}

/** Line breaks in decoded text. */
function textNewlines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * Where a head cut at `buf`'s end should end: after the last line break, on a whole code unit for
 * UTF-16 (`offset`: where `buf` starts in the file, for the code units' parity; a 0A byte can also
 * be half of another character, as in U+010A or U+0A05).
 */
function afterLastBreak(buf: Buffer, encoding: ConvertedEncoding, offset: number): number {
  if (!isUtf16(encoding)) return buf.lastIndexOf(0x0a) + 1;
  const le = encoding === 'utf-16le';
  for (let i = buf.length - 2; i >= 0; i--) {
    if ((offset + i) % 2 !== 0) continue;
    const [lo, hi] = le ? [buf[i], buf[i + 1]] : [buf[i + 1], buf[i]];
    if (lo === 0x0a && hi === 0x00) return i + 2;
  }
  return 0;
}

/** Line breaks in `bytes` (0x0A is a line break in every encoding here: never part of a character). */
function newlines(bytes: Buffer): number {
  let n = 0;
  for (let i = bytes.indexOf(0x0a); i >= 0; i = bytes.indexOf(0x0a, i + 1)) n++;
  return n;
}

/**
 * The line of the bytes in `chunk` that do not decode, `first` being the line the chunk starts in:
 * each line that starts inside the chunk is decoded again on its own; when they all decode, the
 * bytes are in the line the chunk started in (whose start is in an earlier chunk).
 */
function failingLine(chunk: Buffer, first: number, encoding: ConvertedEncoding, pendingHigh: boolean): number {
  if (isUtf16(encoding)) return loneSurrogateLine(chunk, first, encoding === 'utf-16le', pendingHigh);
  const probe = decoderFor(encoding, true)!;
  let line = first;
  for (let start = chunk.indexOf(0x0a) + 1; start > 0 && start < chunk.length; ) {
    line++;
    const nl = chunk.indexOf(0x0a, start);
    try {
      // The last piece may end inside a character that the next chunk completes: not flushed.
      if (nl < 0) probe.decode(chunk.subarray(start), { stream: true });
      else decodeAll(probe, chunk.subarray(start, nl + 1));
    } catch {
      return line;
    }
    start = nl + 1;
  }
  return first;
}

const unitAt = (b: Buffer, i: number, le: boolean) => (le ? b.readUInt16LE(i) : b.readUInt16BE(i));
const isHigh = (u: number) => u >= 0xd800 && u <= 0xdbff;
const isLow = (u: number) => u >= 0xdc00 && u <= 0xdfff;

/**
 * The line of the first surrogate without its pair in a UTF-16 chunk (read in whole code units:
 * every chunk but the last has an even length), `pendingHigh` when the chunk before ended with a
 * high surrogate that this one's first unit should complete.
 */
function loneSurrogateLine(chunk: Buffer, first: number, le: boolean, pendingHigh: boolean): number {
  let line = first;
  let pending = pendingHigh;
  for (let i = 0; i + 1 < chunk.length; i += 2) {
    const u = unitAt(chunk, i, le);
    if (pending && !isLow(u)) return line;
    if (!pending && isLow(u)) return line;
    pending = isHigh(u);
    if (u === 0x0a) line++;
  }
  return line;
}

/**
 * Rewrites a file in one of LEGACY_ENCODINGS or UTF-16 as UTF-8 so DuckDB can read it, streaming.
 * With `maxBytes` only the head is converted, cut at the last newline so no half row is left. Bytes
 * that do not form a character in the encoding (double-byte ones; a few bytes single-byte ones leave
 * undefined; a UTF-16 surrogate without its pair) stop the conversion with the line they are on,
 * rather than becoming U+FFFD in the values.
 */
export async function transcodeFile(
  from: string,
  to: string,
  encoding: ConvertedEncoding,
  opts: { maxBytes?: number; isCancelled?: () => boolean; nodeId?: string; planning?: boolean } = {},
): Promise<TranscodeResult> {
  await mkdir(path.dirname(to), { recursive: true });
  const decoder = decoderFor(encoding, true);
  let bytesRead = 0;
  let truncated = false;
  /** The line the next byte is on. */
  let line = 1;
  /** UTF-16: the last chunk ended with a high surrogate, the first half of a pair. */
  let pendingHigh = false;
  const limit = opts.maxBytes ?? Infinity;
  const notEncoded = (at: number, cause: unknown) => {
    const message = `${opts.nodeId ? `node '${opts.nodeId}': ` : ''}line ${at} of ${from} is not ${encoding} text (it holds bytes that do not form a character in that encoding)`;
    const hint = 'set encoding to the one the file was saved in ("auto" tells UTF-8 from Windows-1252 and recognizes text in other scripts)';
    // While planning, a problem on the setting; in a run, the error that stops it.
    const problems = opts.planning ? [{ code: 'invalid_param' as const, path: 'params.encoding', message, hint }] : undefined;
    return new CaudalError(opts.planning ? 'validation' : 'execution', message, { nodeId: opts.nodeId, hint, cause, ...(problems ? { problems } : {}) });
  };
  const convert = new Transform({
    transform(chunk: Buffer, _enc, done) {
      if (truncated) return done();
      if (opts.isCancelled?.()) return done(new Error('cancelled'));
      let buf = chunk;
      if (bytesRead + buf.length > limit) {
        buf = buf.subarray(0, Math.max(0, limit - bytesRead));
        buf = buf.subarray(0, afterLastBreak(buf, encoding, bytesRead));
        truncated = true;
      }
      bytesRead += buf.length;
      if (!decoder) return done(null, buf.toString('latin1'));
      try {
        // Streaming keeps a character cut between two chunks whole (and Node 20 decodes
        // windows-1252 as Latin-1 unless streaming: see decodeAll).
        const text = decoder.decode(buf, { stream: true });
        line += isUtf16(encoding) ? textNewlines(text) : newlines(buf);
        if (isUtf16(encoding) && buf.length >= 2) pendingHigh = isHigh(unitAt(buf, buf.length - 2 - (buf.length % 2), encoding === 'utf-16le'));
        done(null, text);
      } catch (e) {
        done(notEncoded(failingLine(buf, line, encoding, pendingHigh), e));
      }
    },
    flush(done) {
      try {
        // A file that ends inside a character.
        done(null, decoder ? decoder.decode() : '');
      } catch (e) {
        done(notEncoded(line, e));
      }
    },
  });
  const input = createReadStream(from, opts.maxBytes ? { end: opts.maxBytes + 65536 } : {});
  await pipeline(input, convert, createWriteStream(to, { encoding: 'utf8' }));
  return { bytesRead, truncated };
}
