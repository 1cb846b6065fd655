import { open } from 'node:fs/promises';

/**
 * DuckDB's CSV reader takes one kind of line ending per file: a file whose lines end with `\n`
 * and then `\r\n` (files concatenated from Windows and Unix systems) stops its sniffer ("It was
 * not possible to automatically detect the CSV parsing dialect") or its reader ("The CSV Parser
 * state machine reached an invalid state"), neither of which says why. This finds the first line
 * whose ending differs from the first line's, to say it. Quoted line breaks are not told apart:
 * it only explains a failure, and says what it saw.
 */

export type Ending = 'CRLF' | 'LF';

export interface MixedEndings {
  /** The first line (1-based) that ends otherwise than the first line. */
  line: number;
  ending: Ending;
  first: Ending;
}

const LF = 0x0a;
const CR = 0x0d;
const BLOCK = 1 << 20;

/** The first change of line ending in `file` (within its first `maxBytes` bytes when given). */
export async function firstMixedEnding(file: string, opts: { maxBytes?: number; isCancelled?: () => boolean; deadline?: number } = {}): Promise<MixedEndings | undefined> {
  const handle = await open(file, 'r');
  try {
    const buf = Buffer.alloc(BLOCK);
    let position = 0;
    let line = 0;
    let previous = -1;
    let first: Ending | undefined;
    const limit = opts.maxBytes ?? Infinity;
    while (position < limit) {
      if (opts.isCancelled?.() || (opts.deadline !== undefined && Date.now() > opts.deadline)) return undefined;
      const { bytesRead } = await handle.read(buf, 0, Math.min(BLOCK, limit - position), position);
      if (bytesRead === 0) return undefined;
      for (let at = buf.indexOf(LF, 0); at >= 0 && at < bytesRead; at = buf.indexOf(LF, at + 1)) {
        line++;
        const before = at > 0 ? buf[at - 1] : previous;
        const ending: Ending = before === CR ? 'CRLF' : 'LF';
        if (first === undefined) first = ending;
        else if (ending !== first) return { line, ending, first };
      }
      previous = buf[bytesRead - 1]!;
      position += bytesRead;
    }
    return undefined;
  } finally {
    await handle.close();
  }
}

const shown = (e: Ending) => (e === 'CRLF' ? 'CRLF (\\r\\n, Windows)' : 'LF (\\n, Unix)');

/** The sentence that explains the failure, naming the file and the line. */
export function describeMixedEndings(file: string, m: MixedEndings): string {
  return `${file} mixes line endings: line ${m.line} ends with ${shown(m.ending)}, the lines before it with ${shown(m.first)}, and the CSV reader takes one kind per file; convert the file to one (e.g. with dos2unix or unix2dos)`;
}
