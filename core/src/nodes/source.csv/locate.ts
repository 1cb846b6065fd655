import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import type { Dialect } from './detect.js';

/** A value to find: the text a field at this position (0-based, in file order) holds. */
export interface FieldValue {
  field: number;
  value: string;
}

/** Where a record is in its file: the line it starts on (the first line is 1) and its text. */
export interface RecordLine {
  line: number;
  rawLine: string;
}

const NEWLINE = /\r\n|\n|\r/g;

/**
 * Finds the lines of records in a CSV file by the text of one of their fields. Values that fail a
 * conversion after DuckDB parsed the line (read as text, then checked) have lost their line number;
 * this reads the file again with the same dialect (csv-parse) and finds them. `wanted` maps each
 * value to how many records hold it; the first ones in the file are returned, per value, in order.
 * Reading stops once every wanted record is found, at `deadline`, when `isCancelled()`, or at a
 * line it cannot read.
 */
export async function locateRecords(
  file: string,
  dialect: Dialect,
  wanted: Array<FieldValue & { count: number }>,
  opts: { deadline?: number; isCancelled?: () => boolean } = {},
): Promise<Map<string, RecordLine[]>> {
  const found = new Map<string, RecordLine[]>();
  const pending = new Map<string, number>();
  for (const w of wanted) pending.set(fieldKey(w), (pending.get(fieldKey(w)) ?? 0) + w.count);
  const fields = [...new Set(wanted.map((w) => w.field))];
  let left = [...pending.values()].reduce((a, b) => a + b, 0);
  if (left === 0) return found;

  const parser = parse({
    delimiter: dialect.delim,
    quote: dialect.quote === '' ? false : dialect.quote,
    escape: dialect.escape === '' ? dialect.quote || '"' : dialect.escape,
    comment: dialect.comment || undefined,
    from_line: dialect.skip + 1,
    record_delimiter: ['\r\n', '\n', '\r'],
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    bom: true,
    info: true,
    raw: true,
  });
  const input = createReadStream(file);
  input.pipe(parser);
  let header = dialect.header;
  try {
    for await (const r of parser as AsyncIterable<{ record: string[]; raw: string; info: { lines: number } }>) {
      if (header) {
        header = false;
        continue;
      }
      for (const field of fields) {
        const key = fieldKey({ field, value: r.record[field] ?? '' });
        const n = pending.get(key);
        if (!n) continue;
        pending.set(key, n - 1);
        left--;
        const text = r.raw.replace(/^[\r\n]+|[\r\n]+$/g, '');
        const line = r.info.lines - (text.match(NEWLINE)?.length ?? 0);
        const lines = found.get(key) ?? [];
        lines.push({ line, rawLine: text });
        found.set(key, lines);
      }
      if (left === 0 || (opts.deadline !== undefined && Date.now() > opts.deadline) || opts.isCancelled?.()) break;
    }
  } catch {
    // A line csv-parse cannot read (a quote never closed, which DuckDB set aside as malformed): the
    // lines found before it are still right; the others stay unknown.
  } finally {
    input.destroy();
    parser.destroy();
  }
  return found;
}

/** The key `locateRecords` files the lines of a field value under. */
export function fieldKey(v: FieldValue): string {
  return `${v.field}\u0000${v.value}`;
}
