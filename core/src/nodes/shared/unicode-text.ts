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
 * The characters a text must hold for Unicode normalization to NFC to change it (RE2): combining
 * marks, the Hangul vowel and final jamo that compose with what precedes them, and the few
 * characters NFC replaces on their own (Ohm and Kelvin signs, CJK compatibility ideographs, …).
 * A text without any is already NFC. unicode-text.test.ts checks the set against every code point.
 */
export const MAY_CHANGE_IN_NFC = '[\\p{M}\\x{374}\\x{37E}\\x{387}\\x{958}-\\x{95F}\\x{9DC}-\\x{9DD}\\x{9DF}\\x{A33}\\x{A36}\\x{A59}-\\x{A5B}\\x{A5E}\\x{B5C}-\\x{B5D}\\x{F43}\\x{F4D}\\x{F52}\\x{F57}\\x{F5C}\\x{F69}\\x{1161}-\\x{1175}\\x{11A8}-\\x{11C2}\\x{1F71}\\x{1F73}\\x{1F75}\\x{1F77}\\x{1F79}\\x{1F7B}\\x{1F7D}\\x{1FBB}\\x{1FBE}\\x{1FC9}\\x{1FCB}\\x{1FD3}\\x{1FDB}\\x{1FE3}\\x{1FEB}\\x{1FEE}-\\x{1FEF}\\x{1FF9}\\x{1FFB}\\x{1FFD}\\x{2000}-\\x{2001}\\x{2126}\\x{212A}-\\x{212B}\\x{2329}-\\x{232A}\\x{2ADC}\\x{F900}-\\x{FA0D}\\x{FA10}\\x{FA12}\\x{FA15}-\\x{FA1E}\\x{FA20}\\x{FA22}\\x{FA25}-\\x{FA26}\\x{FA2A}-\\x{FA6D}\\x{FA70}-\\x{FAD9}\\x{FB1D}\\x{FB1F}\\x{FB2A}-\\x{FB36}\\x{FB38}-\\x{FB3C}\\x{FB3E}\\x{FB40}-\\x{FB41}\\x{FB43}-\\x{FB44}\\x{FB46}-\\x{FB4E}\\x{16D67}\\x{1D15E}-\\x{1D164}\\x{1D1BB}-\\x{1D1C0}\\x{2F800}-\\x{2FA1D}]';

/**
 * SQL giving the text expression `x` in Unicode NFC form ('Me\u0301rida', e with a combining accent,
 * becomes 'M\u00e9rida'). DuckDB's nfc_normalize is fast on ASCII text but costs about 0.2 µs per
 * other value (2.3 s per 10M), so it runs only on text holding a character NFC may change
 * (ASCII first by the byte and character counts, then a pattern: 0.4 s per 10M values).
 */
export function nfcSql(x: string): string {
  return `CASE WHEN strlen(${x}) = length(${x}) THEN ${x} WHEN regexp_matches(${x}, ${stringLiteral(MAY_CHANGE_IN_NFC)}) THEN nfc_normalize(${x}) ELSE ${x} END`;
}
