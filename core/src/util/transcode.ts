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
export function decoderFor(encoding: LegacyEncoding, fatal: boolean): TextDecoder | undefined {
  return encoding === 'latin-1' ? undefined : new TextDecoder(encoding, { fatal });
}

/**
 * Rewrites a file in one of LEGACY_ENCODINGS as UTF-8 so DuckDB can read it. With `maxBytes` only
 * the head is converted, cut at the last newline so no half row is left (0x0A is never part of a
 * double-byte character). Bytes that are not valid in a double-byte encoding stop the conversion
 * with the line they are on, rather than becoming U+FFFD in the values.
 */
export async function transcodeFile(
  from: string,
  to: string,
  encoding: LegacyEncoding,
  opts: { maxBytes?: number; isCancelled?: () => boolean; nodeId?: string; planning?: boolean } = {},
): Promise<TranscodeResult> {
  await mkdir(path.dirname(to), { recursive: true });
  const decoder = decoderFor(encoding, true);
  let bytesRead = 0;
  let truncated = false;
  /** The line the next decoded byte is on. */
  let line = 1;
  /** Bytes after the last line break seen: decoded with their line, so every decode starts a line. */
  let pending = Buffer.alloc(0);
  const limit = opts.maxBytes ?? Infinity;
  const notEncoded = (at: number, cause: unknown) => {
    const message = `${opts.nodeId ? `node '${opts.nodeId}': ` : ''}line ${at} of ${from} is not ${encoding} text (it holds bytes that do not form a character in that encoding)`;
    const hint = 'set encoding to the one the file was saved in ("auto" tells UTF-8 from Windows-1252 and recognizes East Asian text)';
    // While planning, a problem on the setting; in a run, the error that stops it.
    const problems = opts.planning ? [{ code: 'invalid_param' as const, path: 'params.encoding', message, hint }] : undefined;
    return new CaudalError(opts.planning ? 'validation' : 'execution', message, { nodeId: opts.nodeId, hint, cause, ...(problems ? { problems } : {}) });
  };
  /** Whole lines to UTF-8; on bytes that are not a character, the error names their line. */
  const decodeLines = (bytes: Buffer): string => {
    if (!decoder) return bytes.toString('latin1');
    try {
      const text = decodeAll(decoder, bytes);
      for (let i = bytes.indexOf(0x0a); i >= 0; i = bytes.indexOf(0x0a, i + 1)) line++;
      return text;
    } catch (e) {
      let start = 0;
      for (let nl = bytes.indexOf(0x0a); nl >= 0; nl = bytes.indexOf(0x0a, start)) {
        try {
          decodeAll(decoder, bytes.subarray(start, nl + 1));
        } catch {
          break;
        }
        line++;
        start = nl + 1;
      }
      throw notEncoded(line, e);
    }
  };
  const convert = new Transform({
    transform(chunk: Buffer, _enc, done) {
      if (truncated) return done();
      if (opts.isCancelled?.()) return done(new Error('cancelled'));
      let buf = chunk;
      if (bytesRead + buf.length > limit) {
        buf = buf.subarray(0, Math.max(0, limit - bytesRead));
        const nl = buf.lastIndexOf(0x0a);
        buf = buf.subarray(0, nl + 1);
        truncated = true;
      }
      bytesRead += buf.length;
      const bytes = pending.length > 0 ? Buffer.concat([pending, buf]) : buf;
      const cut = bytes.lastIndexOf(0x0a) + 1;
      pending = Buffer.from(bytes.subarray(cut));
      try {
        done(null, decodeLines(bytes.subarray(0, cut)));
      } catch (e) {
        done(e as Error);
      }
    },
    flush(done) {
      try {
        // A head cut short ends at its last whole line.
        done(null, truncated ? '' : decodeLines(pending));
      } catch (e) {
        done(e as Error);
      }
    },
  });
  const input = createReadStream(from, opts.maxBytes ? { end: opts.maxBytes + 65536 } : {});
  await pipeline(input, convert, createWriteStream(to, { encoding: 'utf8' }));
  return { bytesRead, truncated };
}
