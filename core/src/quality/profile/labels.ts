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
