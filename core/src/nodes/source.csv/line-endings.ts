import { open } from 'node:fs/promises';

/**
 * DuckDB's CSV reader takes one kind of line ending per file: a file whose lines end with `\n`
 * and then `\r\n` (files concatenated from Windows and Unix systems) stops its sniffer ("It was
 * not possible to automatically detect the CSV parsing dialect") or its reader ("The CSV Parser
 * state machine reached an invalid state"), neither of which says why. So does a carriage return
 * alone (`\r` not followed by `\n`) outside quotes in a file whose lines end otherwise: the reader
 * takes it for a line ending of a third kind. This finds the first line ending that differs from
 * the first line's, to say it. Line breaks inside quoted fields are data (a quoted `\r` is a valid
 * value) and are skipped; it only explains a failure, and says what it saw.
 */

/** `CR`: a carriage return not followed by a line feed (classic Mac OS files, or a stray one). */
export type Ending = 'CRLF' | 'LF' | 'CR';

export interface MixedEndings {
  /** The first line (1-based) that ends otherwise than the first line. */
  line: number;
  /** 1-based character position of that ending in its line (for a lone CR: where it is). */
  column: number;
  ending: Ending;
  first: Ending;
}

/** The quoting of the file, so that line breaks inside quoted fields are left alone ('' quote: none). */
export interface Quoting {
  quote: string;
  escape: string;
}

const LF = 0x0a;
const CR = 0x0d;
const BLOCK = 1 << 20;

/** A single-byte quote or escape character, or -1 (none, or one this byte scan cannot follow). */
const byteOf = (c: string) => (c.length === 1 && c.charCodeAt(0) < 0x80 ? c.charCodeAt(0) : -1);

/**
 * The first change of line ending in `file` (within its first `maxBytes` bytes when given), outside
 * quoted fields (`"` doubled inside them unless `quoting` says otherwise).
 */
export async function firstMixedEnding(
  file: string,
  opts: { maxBytes?: number; isCancelled?: () => boolean; deadline?: number; quoting?: Quoting } = {},
): Promise<MixedEndings | undefined> {
  const quote = byteOf(opts.quoting?.quote ?? '"');
  const escape = opts.quoting ? byteOf(opts.quoting.escape) : quote;
  const handle = await open(file, 'r');
  try {
    const buf = Buffer.alloc(BLOCK);
    let position = 0;
    let line = 1;
    let column = 0; // characters of the current line so far
    let first: Ending | undefined;
    let quoted = false;
    let escaped = false; // the previous byte was the escape, inside quotes
    let afterCr = false; // the previous byte was a carriage return outside quotes
    /** Ends the current line with `ending`; returns the change when it is one. */
    const end = (ending: Ending): MixedEndings | undefined => {
      if (first === undefined) first = ending;
      else if (ending !== first) return { line, column: column + 1, ending, first };
      line++;
      column = 0;
      return undefined;
    };
    const limit = opts.maxBytes ?? Infinity;
    while (position < limit) {
      if (opts.isCancelled?.() || (opts.deadline !== undefined && Date.now() > opts.deadline)) return undefined;
      const { bytesRead } = await handle.read(buf, 0, Math.min(BLOCK, limit - position), position);
      if (bytesRead === 0) break;
      for (let i = 0; i < bytesRead; i++) {
        const b = buf[i]!;
        if (afterCr) {
          afterCr = false;
          if (b === LF) {
            const changed = end('CRLF');
            if (changed) return changed;
            continue;
          }
          // The carriage return stood alone: it ended its line. `column` still points at it.
          const changed = end('CR');
          if (changed) return changed;
        }
        if (quoted) {
          if (escaped) escaped = false;
          else if (b === escape && escape !== quote) escaped = true;
          else if (b === quote) quoted = false;
        } else if (b === quote) quoted = true;
        else if (b === CR) {
          afterCr = true;
          continue;
        } else if (b === LF) {
          const changed = end('LF');
          if (changed) return changed;
          continue;
        }
        // Characters, not bytes: UTF-8 continuation bytes add none.
        if ((b & 0xc0) !== 0x80) column++;
      }
      position += bytesRead;
    }
    // A carriage return as the very last byte read ends the last line (when the whole file was read).
    if (afterCr && position < limit) return end('CR');
    return undefined;
  } finally {
    await handle.close();
  }
}

const shown = (e: Ending) => (e === 'CRLF' ? 'CRLF (\\r\\n, Windows)' : e === 'LF' ? 'LF (\\n, Unix)' : 'CR (\\r, classic Mac OS)');

/** The sentence that explains the failure, naming the file and the line. */
export function describeMixedEndings(file: string, m: MixedEndings): string {
  if (m.ending === 'CR')
    // Most often a stray carriage return inside a value (text pasted from elsewhere), not a line ending at all.
    return `${file}: line ${m.line} holds a carriage return (\\r) not followed by a line feed, at column ${m.column} and outside quotes, while the lines before it end with ${shown(m.first)}; the CSV reader takes it for a line ending of another kind and cannot read the file. Remove it, or quote the field that holds it (a quoted field may hold one); if the file's lines really end with it, convert the file to one kind of line ending`;
  return `${file} mixes line endings: line ${m.line} ends with ${shown(m.ending)}, the lines before it with ${shown(m.first)}, and the CSV reader takes one kind per file; convert the file to one (e.g. with dos2unix or unix2dos)`;
}

/** What to do about it, for a problem's hint. */
export function mixedEndingsHint(m: MixedEndings): string {
  return m.ending === 'CR'
    ? `remove the carriage return from line ${m.line} (or quote the field that holds it), then run again`
    : 'convert the file to one kind of line ending, then run again';
}
