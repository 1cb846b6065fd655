import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { cleanDuckDbMessage, malformedJsonAt } from '../../compiler/duckdb-errors.js';
import { CaudalError, errorMessage } from '../../util/errors.js';

/** How long planning may spend finding the line of a broken record (a run has its own budget). */
const PLAN_BUDGET_MS = 5_000;

/** How the file's records lie: one value after another (NDJSON), or the elements of one array. */
export type RecordLayout = 'values' | 'array';

/**
 * The layout read_json reads the file in: an array when told so, or (auto) when the file starts
 * with one; one value after another otherwise.
 */
export function recordLayout(format: string | undefined, firstCharacter: string | undefined): RecordLayout {
  if (format === 'array') return 'array';
  return (format === undefined || format === 'auto') && firstCharacter === '[' ? 'array' : 'values';
}

interface Budget {
  deadline: number;
  isCancelled(): boolean;
}

/**
 * Where DuckDB's malformed record lies in the file, as lines: DuckDB names the record by its number
 * (one too high) and the byte within it, neither of which is a line when records are separated by
 * blank lines, span lines (an array written one key per line) or are cut off. The file is scanned
 * up to that record, counting whole values as DuckDB's reader does (the records before it are valid
 * JSON, as DuckDB parsed them), then on to the byte. Undefined when the message is not about a
 * broken record, or the file cannot be read here (a URL, a .zst file) in time.
 */
export async function malformedLines(message: string, format: string | undefined, budget: Budget): Promise<string | undefined> {
  const at = malformedJsonAt(message);
  if (!at || !(await stat(at.file).catch(() => undefined))?.isFile() || /\.zst$/i.test(at.file)) return undefined;
  const found = await scan(at.file, format, at.record, at.byte, budget).catch(() => undefined);
  if (!found) return undefined;
  if (found.start === undefined) return `the file ends before record ${at.record}, on line ${found.stop}`;
  if (found.stop === found.start) return `record ${at.record} is line ${found.start} of the file`;
  return `record ${at.record} starts on line ${found.start} of the file, and DuckDB stopped reading it on line ${found.stop}`;
}

/**
 * A broken record found while planning (DuckDB samples the first records to detect the columns),
 * as the problem the plan reports, with the record's line. Any other error comes back as it was.
 */
export async function locateMalformed(e: unknown, nodeId: string, format: string | undefined): Promise<unknown> {
  if (e instanceof CaudalError) return e;
  const raw = errorMessage(e);
  const lines = await malformedLines(raw, format, { deadline: Date.now() + PLAN_BUDGET_MS, isCancelled: () => false }).catch(() => undefined);
  if (lines === undefined) return e;
  const message = `node '${nodeId}': ${cleanDuckDbMessage(raw)} (${lines})`;
  return new CaudalError('validation', message, { nodeId, cause: e, problems: [{ code: 'bind_error', path: 'params.path', message }] });
}

const BYTE_ORDER_MARK = [0xef, 0xbb, 0xbf];
const [NEWLINE, QUOTE, BACKSLASH, COMMA] = [0x0a, 0x22, 0x5c, 0x2c];
const [OPEN_OBJECT, CLOSE_OBJECT, OPEN_ARRAY, CLOSE_ARRAY, COLON] = [0x7b, 0x7d, 0x5b, 0x5d, 0x3a];
/** Byte lookups (a file of a million records is scanned byte by byte). */
const byteSet = (bytes: number[]) => {
  const set = new Uint8Array(256);
  for (const b of bytes) set[b] = 1;
  return { has: (b: number) => set[b] === 1 };
};
const SPACE_BYTES = [0x20, 0x09, 0x0a, 0x0d];
const SPACE = byteSet(SPACE_BYTES);
const ENDS_SCALAR = byteSet([...SPACE_BYTES, COMMA, COLON, OPEN_OBJECT, CLOSE_OBJECT, OPEN_ARRAY, CLOSE_ARRAY, QUOTE]);

/**
 * The line record `record` starts on and the line of its byte `byte` (a newline or the end of the
 * data there counts as the last line with content before it). `start` is undefined when the file
 * has fewer records. Records are counted as DuckDB counts them: top-level values, or (array) the
 * values of the top-level array; a byte-order mark and whitespace between them are skipped.
 */
async function scan(file: string, format: string | undefined, record: number, byte: number, budget: Budget): Promise<{ start?: number; stop: number } | undefined> {
  const input: Readable = /\.gz$/i.test(file) ? createReadStream(file).pipe(createGunzip()) : createReadStream(file);
  let pos = 0;
  let line = 1;
  let lastContentLine = 1;
  let layout: RecordLayout | undefined;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let inScalar = false;
  let count = 0;
  let start: number | undefined;
  let stopAt = Infinity;
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      if (Date.now() > budget.deadline || budget.isCancelled()) return undefined;
      for (let i = 0; i < chunk.length; i++, pos++) {
        const b = chunk[i]!;
        if (pos >= stopAt) return { start, stop: SPACE.has(b) ? lastContentLine : line };
        if (b === NEWLINE) line++;
        else if (!SPACE.has(b) && !(pos < 3 && b === BYTE_ORDER_MARK[pos])) lastContentLine = line;
        if (start !== undefined) continue;
        // Before the record: follow the JSON to count the values before it.
        if (inString) {
          if (escaped) escaped = false;
          else if (b === BACKSLASH) escaped = true;
          else if (b === QUOTE) inString = false;
          continue;
        }
        if (inScalar) {
          if (!ENDS_SCALAR.has(b)) continue;
          inScalar = false;
        }
        if (SPACE.has(b) || (pos < 3 && b === BYTE_ORDER_MARK[pos])) continue;
        layout ??= recordLayout(format, String.fromCharCode(b));
        const top = layout === 'array' ? 1 : 0;
        const startsValue = depth === top && !(layout === 'array' && (b === COMMA || b === CLOSE_ARRAY));
        if (startsValue && ++count === record) {
          start = line;
          stopAt = pos + byte - 1;
          if (pos >= stopAt) return { start, stop: line };
        }
        if (b === OPEN_OBJECT || b === OPEN_ARRAY) depth++;
        else if (b === CLOSE_OBJECT || b === CLOSE_ARRAY) depth--;
        else if (b === QUOTE) inString = true;
        else if (b !== COMMA && b !== COLON) inScalar = true;
      }
    }
    return { start, stop: lastContentLine };
  } finally {
    input.destroy();
  }
}
