import { open } from 'node:fs/promises';
import { isAscii, isUtf8 } from 'node:buffer';

/**
 * One pass over a file's bytes before DuckDB reads it, for what DuckDB handles badly: a line longer
 * than its limit (its parallel reader then fails with an unrelated message, and with rejects on it
 * drops the line silently; its sniffer spends minutes on it), and bytes that are not UTF-8 (found
 * only when a row holding them is read). It finds the first line break in each block and the last,
 * so it costs about as much as reading the file.
 */
export type LineProblem =
  | { kind: 'long_line'; line: number }
  /** `utf8Line`: a line above holding UTF-8 characters (beyond ASCII), when there is one: the file mixes encodings. */
  | { kind: 'not_utf8'; line: number; utf8Line?: number };

export interface ScanOptions {
  /** Longest line allowed, in bytes, line break excluded. */
  maxLineBytes: number;
  /** Also check that the bytes are UTF-8. */
  utf8: boolean;
  /** Look only at this many bytes from the start (undefined: the whole file). */
  maxBytes?: number;
  isCancelled?: () => boolean;
}

const BLOCK = 1 << 20;
const CR = 0x0d;
const LF = 0x0a;

function firstBreak(b: Buffer, from = 0): number {
  const lf = b.indexOf(LF, from);
  const cr = b.indexOf(CR, from);
  return lf < 0 ? cr : cr < 0 ? lf : Math.min(lf, cr);
}

function lastBreak(b: Buffer): number {
  return Math.max(b.lastIndexOf(LF), b.lastIndexOf(CR));
}

/** Bytes at the end of `b` that start a UTF-8 sequence the block cut in two (0–3). */
function incompleteTail(b: Buffer): number {
  for (let back = 1; back <= Math.min(3, b.length); back++) {
    const byte = b[b.length - back]!;
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: keep looking for the lead
    const need = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return need > back ? back : 0;
  }
  return 0;
}

/** The offset of the first byte that breaks UTF-8 in `b` (which `isUtf8` rejected). */
export function firstInvalidUtf8(b: Buffer): number {
  // The longest prefix that decodes, allowing a character cut at its end (`stream`).
  const decodes = (n: number) => {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(b.subarray(0, n), { stream: true });
      return true;
    } catch {
      return false;
    }
  };
  let lo = 0;
  let hi = b.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (decodes(mid)) lo = mid;
    else hi = mid - 1;
  }
  // The prefix may end with the lead byte of a sequence that the next byte breaks (é in Latin-1
  // followed by a comma): that lead byte is the first one that is not UTF-8.
  return lo - incompleteTail(b.subarray(0, lo));
}

/** The offset of the first byte beyond ASCII in `b`, or -1 (the native check skips ASCII text fast). */
export function firstNonAscii(b: Buffer): number {
  if (isAscii(b)) return -1;
  for (let i = 0; i < b.length; i++) if (b[i]! >= 0x80) return i;
  return -1;
}

/** 1-based number of the line holding byte `offset` (counting \n, or \r in files without \n). */
async function lineAt(file: string, offset: number): Promise<number> {
  const fh = await open(file);
  try {
    const buf = Buffer.allocUnsafe(BLOCK);
    let lf = 0;
    let cr = 0;
    for (let pos = 0; pos < offset; ) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(BLOCK, offset - pos), pos);
      if (bytesRead === 0) break;
      const b = buf.subarray(0, bytesRead);
      for (let i = b.indexOf(LF); i >= 0; i = b.indexOf(LF, i + 1)) lf++;
      for (let i = b.indexOf(CR); i >= 0; i = b.indexOf(CR, i + 1)) cr++;
      pos += bytesRead;
    }
    return (lf > 0 ? lf : cr) + 1;
  } finally {
    await fh.close();
  }
}

/** The first problem in the file (or its first `maxBytes`), or undefined. */
export async function scanLines(file: string, opts: ScanOptions): Promise<LineProblem | undefined> {
  const fh = await open(file);
  let found: { kind: LineProblem['kind']; offset: number } | undefined;
  let firstUtf8: number | undefined; // offset of the first character beyond ASCII, while the bytes are UTF-8
  try {
    const buf = Buffer.allocUnsafe(BLOCK + 3);
    const end = opts.maxBytes ?? Infinity;
    // Parts no longer than the limit: a line that starts and ends inside one is short enough.
    const step = Math.min(BLOCK, opts.maxLineBytes);
    let pos = 0;
    let lineStart = 0;
    let carry = 0; // bytes of a UTF-8 character cut by the previous block, kept at the front of buf
    let eof = false;
    while (pos < end && !found) {
      if (opts.isCancelled?.()) throw new Error('cancelled');
      const want = Math.min(BLOCK, end - pos);
      const { bytesRead } = await fh.read(buf, carry, want, pos);
      eof = bytesRead < want;
      if (bytesRead === 0) break;
      const block = buf.subarray(carry, carry + bytesRead);
      for (let at = 0; at < block.length && !found; at += step) {
        const part = block.subarray(at, at + step);
        const first = firstBreak(part);
        const partStart = pos + at;
        if (first < 0) {
          if (partStart + part.length - lineStart > opts.maxLineBytes) found = { kind: 'long_line', offset: lineStart };
          continue;
        }
        if (partStart + first - lineStart > opts.maxLineBytes) found = { kind: 'long_line', offset: lineStart };
        lineStart = partStart + lastBreak(part) + 1;
      }
      if (opts.utf8 && !found) {
        const whole = buf.subarray(0, carry + bytesRead);
        const cut = incompleteTail(whole);
        const checked = whole.subarray(0, whole.length - cut);
        const valid = isUtf8(checked);
        const invalidAt = valid ? checked.length : firstInvalidUtf8(checked);
        if (firstUtf8 === undefined) {
          const i = firstNonAscii(checked.subarray(0, invalidAt));
          if (i >= 0) firstUtf8 = pos - carry + i;
        }
        if (!valid) found = { kind: 'not_utf8', offset: pos - carry + invalidAt };
        whole.copy(buf, 0, whole.length - cut);
        carry = cut;
      }
      pos += bytesRead;
      if (eof) break;
    }
    // A character cut by the end of the file (not by the end of the part looked at) is not UTF-8.
    if (opts.utf8 && !found && carry > 0 && eof) found = { kind: 'not_utf8', offset: pos - carry };
  } finally {
    await fh.close();
  }
  if (!found) return undefined;
  const line = await lineAt(file, found.offset);
  if (found.kind === 'long_line') return { kind: 'long_line', line };
  return { kind: 'not_utf8', line, utf8Line: firstUtf8 === undefined ? undefined : await lineAt(file, firstUtf8) };
}

/** The first `bytes` of a file (fewer when it is shorter), as they are on disk. */
export { fileHead as readHead } from '../../util/decompressed-head.js';

/** Whether a file's head is UTF-8, ignoring a character cut at the end when the head is not the whole file. */
export function headIsUtf8(head: Buffer, whole: boolean): boolean {
  return isUtf8(whole ? head : head.subarray(0, head.length - incompleteTail(head)));
}
