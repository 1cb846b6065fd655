import { stat } from 'node:fs/promises';
import type { Column, CompileContext } from '../define.js';
import { readHead } from '../source.csv/scan-lines.js';
import { structFields } from '../shared/flatten.js';

/**
 * Planning-time checks of the values DuckDB's JSON reader changes without a word, made on the
 * raw text of the first file's sample (its first 8 MB, as many records as detection samples):
 *
 * - A number in a key (or a struct field or list element, at any depth) detected as DOUBLE that
 *   a double does not hold: `1234567890123456.78` arrives as 1234567890123456.8, and
 *   12345678901234567890123 inside a struct as 1.2345678901234568e+22. The reader parses numbers
 *   with a fraction as doubles before any SQL sees their digits, so the check reads the file's text
 *   itself. (Whole numbers in a top-level key are longIntegerWarning's.)
 * - `"infinity"` / `"-infinity"` in a key detected as DATE or TIMESTAMP: the reader converts
 *   detected dates with a strptime format, which reads those words as 1900-01-01.
 *
 * Nothing is added to the run: these are warnings naming the key path, an example and the fix.
 */

// Read whole before scanning, so kept small: the detection sample (20,480 records) fits in it for records up to ~400 bytes.
const SCAN_BYTES = 8 * 1024 * 1024;

/** A value's place in a record: keys, and `[]` for a list element. */
type Path = string[];

/**
 * Calls `visit` for each string and number of the records in `text` (a JSON array of objects, or
 * one object per line), with its path inside the record and its raw text; stops after `maxRecords`
 * records (all when negative) or where the text ends (a cut-off last record is fine).
 */
export function scanRecords(text: string, maxRecords: number, visit: (path: Path, raw: string, isString: boolean) => void): void {
  const stack: Array<{ array: boolean; key?: string }> = [];
  let expectKey = false;
  let records = 0;
  const path = (): Path => {
    const parts = stack.map((c) => (c.array ? '[]' : (c.key ?? '')));
    return stack[0]?.array ? parts.slice(1) : parts;
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '{' || c === '[') {
      stack.push({ array: c === '[' });
      expectKey = c === '{';
      i++;
    } else if (c === '}' || c === ']') {
      stack.pop();
      const top = stack[stack.length - 1];
      if (c === '}' && (stack.length === 0 || (stack.length === 1 && top?.array))) {
        records++;
        if (maxRecords >= 0 && records >= maxRecords) return;
      }
      expectKey = false;
      i++;
    } else if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (j >= text.length) return;
      const raw = text.slice(i, j + 1);
      const top = stack[stack.length - 1];
      if (expectKey && top && !top.array) {
        try {
          top.key = JSON.parse(raw) as string;
        } catch {
          top.key = raw.slice(1, -1);
        }
        expectKey = false;
      } else if (stack.length > 0) visit(path(), raw.slice(1, -1), true);
      i = j + 1;
    } else if (c === ',') {
      const top = stack[stack.length - 1];
      expectKey = top !== undefined && !top.array;
      i++;
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      const m = /^-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 1024));
      const raw = m?.[0] ?? c;
      if (stack.length > 0 && m) visit(path(), raw, false);
      i += raw.length;
    } else i++;
  }
}

/** The type of the value at `path` in a record of `columns`, or undefined when it is not known. */
export function typeAt(columns: Column[], path: Path): string | undefined {
  const [key, ...rest] = path;
  let type = columns.find((c) => c.name === key)?.type;
  for (const part of rest) {
    if (type === undefined) return undefined;
    if (part === '[]') type = /^(.*)\[\d*\]$/s.exec(type.trim())?.[1];
    else type = structFields(type.trim())?.find((f) => f.name === part)?.type;
  }
  return type?.trim();
}

/** A number's digits without leading or trailing zeros, and the power of ten of the last one. */
function decimalDigits(raw: string): { negative: boolean; digits: string; exponent: number } | undefined {
  const m = /^(-?)([0-9]+)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?$/.exec(raw);
  if (!m) return undefined;
  const fraction = m[3] ?? '';
  let digits = (m[2]! + fraction).replace(/^0+/, '');
  let exponent = Number(m[4] ?? 0) - fraction.length;
  if (digits === '') return { negative: false, digits: '0', exponent: 0 };
  const zeros = /0*$/.exec(digits)![0].length;
  digits = digits.slice(0, digits.length - zeros);
  exponent += zeros;
  return { negative: m[1] === '-', digits, exponent };
}

/** Whether the number `raw` reads back as another number through a double (within a double's range). */
export function changedByDouble(raw: string): boolean {
  const exact = decimalDigits(raw);
  if (!exact || exact.digits.length <= 15) return false;
  const read = Number(raw);
  if (!Number.isFinite(read)) return false;
  const back = decimalDigits(String(read).replace('e+', 'e'));
  return !back || back.digits !== exact.digits || back.exponent !== exact.exponent || back.negative !== exact.negative;
}

/** DECIMAL(p,s) that holds `raw` exactly, or undefined when it needs more than 38 digits. */
function decimalFor(raw: string): string | undefined {
  const m = /^-?([0-9]+)(?:\.([0-9]+))?$/.exec(raw);
  if (!m) return undefined;
  const scale = m[2]?.length ?? 0;
  const precision = Math.max(m[1]!.replace(/^0+/, '').length + scale, 1);
  return precision <= 38 ? `DECIMAL(${Math.max(precision, 18)},${scale})` : undefined;
}

const pathName = (path: Path) => path.map((p, i) => (p === '[]' ? '[]' : i === 0 ? p : `.${p}`)).join('');
const isDoubleType = (t: string) => /^(DOUBLE|FLOAT)$/i.test(t);
const isDateOrTimestamp = (t: string) => /^(DATE|TIMESTAMP(_S|_MS|_NS)?|TIMESTAMP WITH TIME ZONE|TIMESTAMPTZ)$/i.test(t);

/**
 * Warns, naming the key path, an example and what to do, where the first file's sample holds a
 * number a detected DOUBLE does not keep (nested anywhere, or with a fraction at the top level), or
 * infinity in a detected DATE or TIMESTAMP key. `columns` are the detected columns.
 */
export async function sampledValueWarnings(
  ctx: Pick<CompileContext<unknown>, 'warn' | 'nodeId'>,
  first: string,
  columns: Column[],
  sampleSize: number | undefined,
): Promise<void> {
  if (!columns.some((c) => /DOUBLE|FLOAT|DATE|TIMESTAMP/i.test(c.type))) return;
  const size = (await stat(first).catch(() => undefined))?.size;
  if (size === undefined) return;
  const head = await readHead(first, Math.min(size, SCAN_BYTES)).catch(() => undefined);
  if (!head) return;
  const numbers = new Map<string, { path: Path; raw: string }>();
  const infinities = new Map<string, { path: Path; raw: string; type: string }>();
  scanRecords(head.toString('utf8'), sampleSize ?? 20480, (path, raw, isString) => {
    const key = pathName(path);
    if (numbers.has(key) || infinities.has(key)) return;
    const type = typeAt(columns, path);
    if (type === undefined) return;
    if (!isString && isDoubleType(type)) {
      // Whole numbers of a top-level key: longIntegerWarning's.
      if (path.length === 1 && /^-?[0-9]+$/.test(raw)) return;
      if (changedByDouble(raw)) numbers.set(key, { path, raw });
    } else if (isString && isDateOrTimestamp(type) && /^\s*[+-]?infinity\s*$/i.test(raw)) infinities.set(key, { path, raw, type });
  });
  for (const { path, raw } of numbers.values()) {
    const whole = /^-?[0-9]+$/.test(raw);
    const decimal = decimalFor(raw);
    const listAs = whole
      ? 'HUGEINT or DECIMAL(38,0)'
      : decimal
        ? `${decimal}, with the number sent as a string ("${raw}"), since the JSON reader reads a number with a fraction as a double before any type sees its digits`
        : 'VARCHAR, with the number sent as a string';
    const where = path.length === 1 ? `list the key under columns as ${listAs}` : `list the key "${path[0]}" under columns with its type spelled out and ${pathName(path)} as ${listAs}`;
    ctx.warn(
      `node '${ctx.nodeId}': key "${pathName(path)}" holds numbers that its detected type DOUBLE does not keep exactly (${raw} in ${first} arrives as ${String(Number(raw))}); to keep every digit, ${where}`,
    );
  }
  for (const { path, raw, type } of infinities.values()) {
    ctx.warn(
      `node '${ctx.nodeId}': key "${pathName(path)}" holds "${raw}" (in ${first}), which DuckDB's JSON reader reads as 1900-01-01 in a detected ${type}; to read it as ${raw.trim().toLowerCase()}, list the key under columns as VARCHAR and convert it with a Cast node (CAST('infinity' AS ${type}) keeps it), or send a date in its place`,
    );
  }
}
