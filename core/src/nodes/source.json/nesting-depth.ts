import { stat } from 'node:fs/promises';
import { CaudalError } from '../../util/errors.js';
import { readHead } from '../source.csv/scan-lines.js';

/**
 * DuckDB 1.5's JSON reader recurses once per level of nesting: a record nested some thousands of
 * levels deep (`{"a":{"a":...}}`, `[[[[...]]]]`) takes minutes to detect and then overflows the
 * native stack, which ends the whole process (studio, CLI) with a segmentation fault instead of an
 * error. Nothing real nests that deep, so the first file's head (8 MB, as the sampled-value checks
 * read) is scanned before DuckDB sees it, and a file nested deeper than LIMIT levels is refused,
 * naming the line. Later files of a pattern and records past the head are not scanned.
 */
export const NESTING_LIMIT = 1000;
const SCAN_BYTES = 8 * 1024 * 1024;

/** The 1-based line where `text` first nests deeper than `limit` levels, or undefined. Strings are skipped. */
export function lineTooDeep(text: string, limit: number): number | undefined {
  let depth = 0;
  let line = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) {
        if (text.charCodeAt(i) === 0x5c /* \ */) i++;
        else if (text.charCodeAt(i) === 0x0a) line++;
      }
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > limit) return line;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) depth = Math.max(0, depth - 1);
    else if (c === 0x0a) line++;
  }
  return undefined;
}

export async function refuseDeepNesting(nodeId: string, first: string): Promise<void> {
  const size = (await stat(first).catch(() => undefined))?.size;
  if (!size) return;
  const head = await readHead(first, Math.min(size, SCAN_BYTES)).catch(() => undefined);
  if (!head) return;
  const line = lineTooDeep(head.toString('utf8'), NESTING_LIMIT);
  if (line === undefined) return;
  const message = `node '${nodeId}': ${first} nests objects or lists more than ${NESTING_LIMIT} levels deep at line ${line}: DuckDB's JSON reader would crash on it (stack overflow) rather than fail`;
  const hint = 'have the file written with less nesting, or hold the deep part as a JSON string';
  throw new CaudalError('validation', message, { nodeId, hint, problems: [{ code: 'bind_error', path: 'params.path', message, hint }] });
}
