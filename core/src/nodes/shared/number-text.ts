import { stringLiteral } from '../../compiler/sql.js';
import { isIntegerType, quotedValue, type NumberConversion } from './locale-numbers.js';

/**
 * Text to numbers: two more ways DuckDB's cast changes or invents a value without a word, refused
 * by wrapping a conversion of locale-numbers.ts.
 * - Spellings no other tool reads as that number: every number type reads `1_000` as 1000, and the
 *   integer types read `0x1F` (hexadecimal) as 31 and `0b11` (binary) as 3.
 * - Float types overflow and underflow: `1e400` to DOUBLE (`1e39` to FLOAT) is infinity, `1e-400`
 *   is 0. The words `inf`, `infinity` and `nan` themselves are the values they name and are kept.
 */

/** RE2: text that is not written in decimal digits; integer types read 0x/0b, every number type `_`. */
const notDecimal = (integer: boolean) => (integer ? '_|^\\s*[+-]?0[xXbB]' : '_');

/**
 * `conv` (a conversion of text `col` to the number `type` in the default format: a thousands
 * separator's pattern refuses these already), refusing `_` between digits and, for an integer type,
 * `0x`/`0b` prefixes. For an integer type the text of most values is the integer DuckDB writes
 * (`CAST(… AS VARCHAR) = col`), which passes on that comparison (wholeNumberConversion makes the
 * same one, which DuckDB then computes once); only the other values are searched. Other types pay one
 * search for `_` per value.
 */
export function decimalDigitsOnly(conv: NumberConversion, col: string, type: string, prefix: string): NumberConversion {
  const integer = isIntegerType(type);
  const odd = integer ? `regexp_matches(${col}, ${stringLiteral(notDecimal(true))})` : `contains(${col}, '_')`;
  const fast = integer ? `CAST(TRY_CAST(${col} AS ${type}) AS VARCHAR) = ${col}` : undefined;
  const oddReason = quotedValue(col, ` is not a number of type ${type.toUpperCase()} written in decimal digits (${integer ? 'hexadecimal 0x…, binary 0b… and ' : ''}digits grouped with _ are not read)`);
  const when = (then: string, otherwise: string) => (fast ? `CASE WHEN ${fast} THEN ${then} WHEN ${odd} THEN ${otherwise}` : `CASE WHEN ${odd} THEN ${otherwise}`);
  return {
    safe: `${when(`TRY_CAST(${col} AS ${type})`, 'NULL')} ELSE ${conv.safe} END`,
    strict: `${when(`TRY_CAST(${col} AS ${type})`, `error(${prefix} || ${oddReason})`)} ELSE ${conv.strict} END`,
    failed: `(${col} IS NOT NULL AND ${when('false', 'true')} ELSE ${conv.failed} END)`,
    reason: `CASE WHEN ${odd} THEN ${oddReason} ELSE ${conv.reason} END`,
  };
}

/** RE2: the words DuckDB reads as a float's infinity (any case, a sign, spaces around). */
const INFINITY_WORD = stringLiteral('(?i)\\s*[+-]?inf(inity)?\\s*');

/**
 * `conv` (a conversion of text `col` to the float `type`, any format), refusing a finite number that
 * the type holds only as infinity (`1e400` to DOUBLE) and a non-zero one it holds only as 0
 * (`1e-400`; subnormal values such as `1e-310` keep their value and are accepted). The result is
 * compared first, so DuckDB computes the conversion once; the text is looked at again only where it
 * is 0 or infinite (beyond the largest DOUBLE: Spark has no isinf()).
 */
export function finiteFloat(conv: NumberConversion, col: string, type: string, prefix: string): NumberConversion {
  const r = conv.safe;
  const t = type.toUpperCase();
  const out = `(CASE WHEN ${r} = 0 THEN (${col} <> '0' AND regexp_matches(${col}, '^[^eE]*[1-9]')) WHEN isnan(${r}) THEN false WHEN abs(${r}) > 1.7976931348623157e308 THEN NOT regexp_full_match(${col}, ${INFINITY_WORD}) ELSE false END)`;
  const outReason = `CASE WHEN ${r} = 0 THEN ${quotedValue(col, ` is too small for ${t}, which would hold it as 0`)} ELSE ${quotedValue(col, ` is too large for ${t}, which would hold it as infinity`)} END`;
  return {
    safe: `CASE WHEN ${out} THEN NULL ELSE ${r} END`,
    // Where the conversion gave nothing, the given strict form raises its own error (or gives the NULL).
    strict: `CASE WHEN ${out} THEN error(${prefix} || ${outReason}) WHEN ${r} IS NULL THEN ${conv.strict} ELSE ${r} END`,
    failed: `(${col} IS NOT NULL AND CASE WHEN ${out} THEN true ELSE ${r} IS NULL END)`,
    reason: `CASE WHEN ${out} THEN ${outReason} ELSE ${conv.reason} END`,
  };
}

