import { type Node, parseTree } from 'jsonc-parser';

/**
 * An incremental cursor value as the API sent it: a JSON string or number. An integer beyond 2^53
 * is kept as its digits (a string): JSON.parse rounds it (1234567890123456900 became
 * 1234567890123457000, and the next run's `since` skipped the records in between).
 */
export type CursorValue = string | number;

/** A record's value at a dotted path (`updated_at`, `meta.updated_at`). */
export function valueAt(record: unknown, dotted: string): unknown {
  let v: unknown = record;
  for (const part of dotted.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

/** The cursor as a query param: its text, as the API sent it. */
export function cursorParam(v: CursorValue): string {
  return String(v);
}

/** JSON number syntax, leading zeros and a plus sign allowed (a cursor typed by hand: `007`, `+5`). */
const NUMBER_TEXT = /^([+-]?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/** A numeric value as an exact decimal: `mantissa × 10^exponent`; undefined when it is not a number. */
function exactDecimal(v: CursorValue): { mantissa: bigint; exponent: number } | undefined {
  if (typeof v === 'number' && !Number.isFinite(v)) return undefined;
  // String(n) is the shortest text that reads back as the same double: exact for what JSON.parse gave.
  const m = NUMBER_TEXT.exec(typeof v === 'number' ? String(v) : v.trim());
  if (!m) return undefined;
  const fraction = m[3] ?? '';
  const exponent = Number(m[4] ?? 0) - fraction.length;
  if (!Number.isSafeInteger(exponent)) return undefined;
  return { mantissa: BigInt(`${m[1] === '-' ? '-' : ''}${m[2]}${fraction}`), exponent };
}

/** Exponents further apart than this are compared as doubles (10^5000 is no cursor, and no BigInt to build). */
const EXACT_SPAN = 1000;

function compareDecimal(a: { mantissa: bigint; exponent: number }, b: { mantissa: bigint; exponent: number }): number {
  const span = a.exponent - b.exponent;
  if (Math.abs(span) > EXACT_SPAN) return Math.sign(Number(`${a.mantissa}e${a.exponent}`) - Number(`${b.mantissa}e${b.exponent}`));
  const x = span > 0 ? a.mantissa * 10n ** BigInt(span) : a.mantissa;
  const y = span < 0 ? b.mantissa * 10n ** BigInt(-span) : b.mantissa;
  return x > y ? 1 : x < y ? -1 : 0;
}

const TIMESTAMP = /^\d{4}-\d\d-\d\d/;

/**
 * Orders incremental cursor values: numbers by value, whether the API sent them as JSON numbers or
 * as text of digits (`"12"` after `"9"`, and 10 after a saved `"9"`: compared as text, "10" < "9"
 * made every run warn that the API does not filter, and string ids read 10 to 12 again), exactly
 * (integers beyond 2^53 and long decimals too); timestamps by instant (so offsets compare right);
 * other text by code points. Returns a positive number when `a` is after `b`.
 */
export function compareCursor(a: CursorValue, b: CursorValue): number {
  const da = exactDecimal(a);
  const db = da && exactDecimal(b);
  if (da && db) return compareDecimal(da, db);
  const ta = typeof a === 'string' && TIMESTAMP.test(a) ? Date.parse(a) : NaN;
  const tb = typeof b === 'string' && TIMESTAMP.test(b) ? Date.parse(b) : NaN;
  if (!Number.isNaN(ta) && !Number.isNaN(tb) && ta !== tb) return ta - tb;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/**
 * The highest cursor value seen across pages, and what says the cursor does not work: records
 * without a value at the path (a misspelled cursor_path never moves the cursor on), and records
 * older than the value sent (an API that ignores the param answers everything again).
 */
export class CursorTracker {
  max?: CursorValue;
  records = 0;
  withValue = 0;
  older = 0;
  /** One record's keys, to name what the path could have been. */
  keys?: string[];

  constructor(
    private readonly path: string,
    private readonly sent?: CursorValue,
  ) {}

  /**
   * A page's records; `lines` are the same records as the API wrote them (NDJSON, one a line, in
   * order: rest/record-lines.ts), where an integer beyond 2^53 is read exactly.
   */
  see(records: readonly unknown[], lines?: () => Buffer | undefined): void {
    const exact = new ExactNumbers(this.path.split('.'), lines);
    records.forEach((r, i) => {
      this.records++;
      if (this.keys === undefined && r && typeof r === 'object' && !Array.isArray(r)) this.keys = Object.keys(r);
      const parsed = valueAt(r, this.path);
      if (typeof parsed !== 'string' && typeof parsed !== 'number') return;
      const v = typeof parsed === 'number' && Number.isInteger(parsed) && !Number.isSafeInteger(parsed) ? exact.at(i, parsed) : parsed;
      this.withValue++;
      if (this.sent !== undefined && compareCursor(v, this.sent) < 0) this.older++;
      if (this.max === undefined || compareCursor(v, this.max) > 0) this.max = v;
    });
  }
}

/** The text of the number at `path` in the records' lines, line by line (found when asked: most cursors never need it). */
class ExactNumbers {
  private bytes?: Buffer;
  private starts?: number[];

  constructor(
    private readonly path: string[],
    private readonly lines?: () => Buffer | undefined,
  ) {}

  /** Record `i`'s number as the API wrote it; `parsed` is what JSON.parse made of it. */
  at(i: number, parsed: number): string {
    this.bytes ??= this.lines?.();
    const bytes = this.bytes;
    if (bytes) {
      this.starts ??= lineStarts(bytes);
      const start = this.starts[i];
      if (start !== undefined) {
        const line = bytes.toString('utf8', start, this.starts[i + 1] ?? bytes.length);
        const node = nodeAt(parseTree(line), this.path);
        if (node?.type === 'number') return line.slice(node.offset, node.offset + node.length);
      }
    }
    // Only a page whose records are written again lacks its lines, and the spool already refused
    // such a page for its integer beyond 2^53: never guess the digits (a rounded cursor skips records).
    throw new Error(
      `the incremental cursor '${this.path.join('.')}' of a record is an integer beyond 2^53 (read as ${parsed}), whose exact digits cannot be read from this answer: use a plain records path to a list of objects, such as data.items, or a cursor the API sends as a string`,
    );
  }
}

/** The node at a dotted path's parts, as valueAt goes: object keys, and list indexes (`items.0.id`). */
function nodeAt(root: Node | undefined, path: readonly string[]): Node | undefined {
  let node = root;
  for (const part of path) {
    if (node?.type === 'object') node = node.children?.find((p) => p.children?.[0]?.value === part)?.children?.[1];
    else if (node?.type === 'array' && /^\d+$/.test(part)) node = node.children?.[Number(part)];
    else return undefined;
  }
  return node;
}

/** Offsets where each line of NDJSON bytes starts. */
function lineStarts(bytes: Buffer): number[] {
  const starts: number[] = [];
  for (let at = 0; at < bytes.length; ) {
    starts.push(at);
    const end = bytes.indexOf(0x0a, at);
    if (end === -1) break;
    at = end + 1;
  }
  return starts;
}
