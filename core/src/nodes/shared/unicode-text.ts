import { stringLiteral } from '../../compiler/sql.js';

/**
 * Whitespace (RE2): ASCII, NEL, every Unicode space separator (no-break, em, ideographic, …),
 * line/paragraph separators. The set transform.clean_text trims and collapses.
 */
export const WHITESPACE = '[\\t\\n\\x0B\\x0C\\r \\x{85}\\p{Zs}\\x{2028}\\x{2029}]';

/** The same set in JavaScript, for checks made before the run (e.g. duplicate mapping keys). */
const WHITESPACE_JS = /^[\t\n\v\f\r \x85\p{Zs}\u2028\u2029]+|[\t\n\v\f\r \x85\p{Zs}\u2028\u2029]+$/gu;

/**
 * SQL removing WHITESPACE at both ends of the text expression `x`. Two anchored patterns without
 * 'g' run as fast as DuckDB's trim(), which removes plain spaces only; trim(x, characters) with this
 * set is about ten times slower.
 */
export function trimWhitespaceSql(x: string): string {
  return `regexp_replace(regexp_replace(${x}, ${stringLiteral(`^${WHITESPACE}+`)}, ''), ${stringLiteral(`${WHITESPACE}+$`)}, '')`;
}

/** JavaScript's side of trimWhitespaceSql. */
export const trimWhitespace = (s: string) => s.replace(WHITESPACE_JS, '');

/**
 * SQL giving the text expression `x` in Unicode NFC form ('Me\u0301rida', e with a combining accent,
 * becomes 'M\u00e9rida'). A plain call, not a CASE around it: on dictionary-encoded input (Parquet,
 * the usual column of codes or spellings that gets mapped) DuckDB then evaluates it once per distinct
 * value. Guarding it with an ASCII test (a CASE) cost 0.7 s more on 10M orders (bench/transforms).
 */
export function nfcSql(x: string): string {
  return `nfc_normalize(${x})`;
}
