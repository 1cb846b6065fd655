import type { ColumnProfile } from './types.js';

/** Words shared by the CLI and the HTML report: an estimate says so, with its expected error. */
export function distinctLabel(c: Pick<ColumnProfile, 'distinct' | 'distinctExact' | 'distinctError'>): string {
  const n = c.distinct.toLocaleString('en-US');
  if (c.distinctExact) return n;
  return `≈${n} (estimate${c.distinctError ? `, ±${Math.round(c.distinctError * 100)}%` : ''})`;
}

export const ESTIMATED_TOP = 'estimated candidates';

/**
 * A value as text for a person: nested values (lists, structs, maps) as JSON, as `--json` writes
 * them, so the list `[0,1]` is not mistaken for the text `0,1` and a struct is not `[object Object]`.
 */
export function valueText(v: unknown): string {
  return typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
}

/**
 * Text for a terminal: control characters (C0, DEL, C1) and the Unicode line and paragraph
 * separators written as escapes, `\n`, `\t`, `\x1b`, `\u2028`, so that a value can neither forge
 * lines of a report nor send escape sequences to the terminal. With `backslash`, a backslash is
 * doubled too, so a value holding the two characters `\n` stays distinct from a line break (leave
 * it out for JSON text, whose backslashes are already escapes).
 */
export function escapeControls(s: string, backslash = true): string {
  let out = '';
  for (const ch of s) {
    const code = ch.charCodeAt(0);
    if (ch === '\\') out += backslash ? '\\\\' : ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code === 0x2028 || code === 0x2029) out += `\\u${code.toString(16)}`;
    else out += ch;
  }
  return out;
}

/** NaN and infinities a column holds, in words ("1 NaN, 2 +Infinity"); dates say 'infinity'. Empty when there are none. */
export function nonFiniteLabel(c: Pick<ColumnProfile, 'nonFinite' | 'category'>): string {
  if (!c.nonFinite) return '';
  const { nan, infinity, negativeInfinity } = c.nonFinite;
  const [pos, neg] = c.category === 'date' ? ["'infinity'", "'-infinity'"] : ['+Infinity', '-Infinity'];
  const n = (x: number) => x.toLocaleString('en-US');
  return [nan && `${n(nan)} NaN`, infinity && `${n(infinity)} ${pos}`, negativeInfinity && `${n(negativeInfinity)} ${neg}`].filter(Boolean).join(', ');
}

/** `-1234567.5` → `-1,234,567.5`: thousands grouped in a plain decimal text; other text unchanged. */
export function groupDigits(text: string): string {
  const m = /^(-?)(\d+)(\.\d+)?$/.exec(text);
  return m ? `${m[1]}${m[2]!.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${m[3] ?? ''}` : text;
}

/**
 * A value's number exactly as it is: the shortest text that reads back as the same double
 * (1234567.891, 0.00001234, 1e+25), never rounded; -0 shows as 0.
 */
export function exactNumber(v: number): string {
  return Object.is(v, -0) ? '0' : String(v);
}

/** Significant digits of a computed figure (mean, standard deviation, quantile): plenty to tell values apart, none of a double's noise. */
export const FIGURE_DIGITS = 10;

/** A computed figure rounded to FIGURE_DIGITS significant digits: a nonzero figure never shows as 0 or -0. */
export function figureNumber(v: number): string {
  if (!Number.isFinite(v) || Number.isInteger(v)) return exactNumber(v);
  return exactNumber(Number(v.toPrecision(FIGURE_DIGITS)));
}

/**
 * Quantiles as shown: rounded as figures, unless rounding would make two different ones look
 * the same, then each exactly. Exact decimal text (wide numbers) is shown as it is.
 */
export function quantileTexts(values: unknown[]): string[] {
  const rounded = values.map((v) => (typeof v === 'number' ? figureNumber(v) : String(v)));
  const exact = values.map((v) => (typeof v === 'number' ? exactNumber(v) : String(v)));
  return new Set(rounded).size < new Set(exact).size ? exact : rounded;
}

/**
 * A text value in quotes, so that '', ' ', '  ' and the text 'NULL' can be told apart (and from
 * a missing value): quotes and backslashes inside are escaped, and control characters as in
 * escapeControls.
 */
export function quoteText(s: string): string {
  return `"${escapeControls(s).replaceAll('"', '\\"')}"`;
}
