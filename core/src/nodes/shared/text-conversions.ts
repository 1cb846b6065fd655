import { decimalScale, isDefaultFormat, isFloatType, isIntegerType, isNumericType, numberConversion, quotedValue, type NumberConversion, type NumberFormat } from './locale-numbers.js';
import { decimalDigitsOnly, finiteFloat } from './number-text.js';
import { dateConversion, isDateType, isPlainTimestampType, isTimeType, isTimestampTzType, timeConversion, timestampConversion, timestamptzConversion } from './temporal-text.js';

/**
 * Text to a type, checked where DuckDB's cast would change the value the text writes (see the
 * node's docs): `col` is an SQL expression of text, `prefix` goes before the reason in the strict
 * form's error. The reason starts with the value in quotes.
 */
export function textConversion(col: string, type: string, format: NumberFormat, prefix: string): NumberConversion {
  if (isNumericType(type)) {
    const integer = isIntegerType(type);
    let conv = !isDefaultFormat(format) || integer || decimalScale(type) !== undefined ? numberConversion(col, type, format, prefix) : plainCast(col, type);
    // A thousands separator's pattern (and a decimal comma's, but for integer types) refuses `_` and 0x already.
    if (format.thousands === undefined && (integer || isDefaultFormat(format))) conv = decimalDigitsOnly(conv, col, type, prefix);
    return isFloatType(type) ? finiteFloat(conv, col, type, prefix) : conv;
  }
  if (isDateType(type)) return dateConversion(col, prefix);
  if (isPlainTimestampType(type)) return timestampConversion(col, type, prefix);
  if (isTimestampTzType(type)) return timestamptzConversion(col, prefix);
  if (isTimeType(type)) return timeConversion(col, prefix);
  return plainCast(col, type);
}

/** DuckDB's cast, for types it reads from text without changing a value (VARCHAR, BOOLEAN, UUID, …). */
function plainCast(col: string, type: string): NumberConversion {
  return {
    safe: `TRY_CAST(${col} AS ${type})`,
    // DuckDB's own error names the value and the column; the engine adds the node.
    strict: `CAST(${col} AS ${type})`,
    failed: `(${col} IS NOT NULL AND TRY_CAST(${col} AS ${type}) IS NULL)`,
    reason: quotedValue(col, ` is not a valid ${type.toUpperCase()}`),
  };
}

/** Types whose values are made of members DuckDB's cast reads from text without the checks above. */
const COMPOSITE = /^\s*(STRUCT|ROW|MAP|UNION)\b/i;

/**
 * Why text cannot be converted to `type` without DuckDB's cast changing values unchecked (a STRUCT's
 * `{a: 1.5}` into `a INTEGER` is 2), or undefined. Lists (`INTEGER[]`) are converted element by
 * element (textListConversion); lists of lists, fixed-size arrays and composite types are refused.
 */
export function textListProblem(type: string): string | undefined {
  const t = type.trim();
  const refuse = `text cannot be converted to ${t.toUpperCase()} with each member checked as a single value would be (DuckDB's cast would round '1.5' into an INTEGER member without a word); lists of numbers, dates, timestamps, times, booleans or text (INTEGER[], DATE[], …) can`;
  if (COMPOSITE.test(t)) return refuse;
  if (/\[\s*\d+\s*\]\s*$/.test(t)) return refuse;
  if (t.endsWith('[]')) {
    const element = t.slice(0, -2).trim();
    if (element.endsWith(']') || COMPOSITE.test(element)) return refuse;
  }
  return undefined;
}

/** The lambda parameter for a list's elements. */
const ELEMENT = 'caudal_element';

/**
 * Text to a list type (`INTEGER[]`, written `[1, 2]`), or a list of text (VARCHAR[]) to another list
 * type: each element goes through textConversion of the element type, as a single value would; a list with an element that does not convert does not
 * convert, and the reason names the first such element. DuckDB's cast would round `[1, 2.5]` into
 * [1, 3] and turn `[abc]` into [NULL].
 */
export function textListConversion(col: string, type: string, format: NumberFormat, prefix: string): NumberConversion {
  const element = type.trim().slice(0, -2).trim();
  const e = textConversion(ELEMENT, element, format, prefix);
  const list = `TRY_CAST(${col} AS VARCHAR[])`;
  const converted = `list_transform(${list}, lambda ${ELEMENT}: ${e.safe})`;
  // NULL elements stay NULL: the counts of non-NULL elements differ where an element did not convert.
  const lost = `(list_count(${list}) <> list_count(${converted}))`;
  // CAST: `col` may be a VARCHAR[] column already, which `||` would concatenate as a list.
  const asText = `CAST(${col} AS VARCHAR)`;
  const notList = quotedValue(asText, ` is not a list of ${element.toUpperCase()} written [a, b, …]`);
  const elementReason = `${quotedValue(asText, ': element ')} || list_transform(list_filter(${list}, lambda ${ELEMENT}: ${e.failed}), lambda ${ELEMENT}: ${e.reason})[1]`;
  return {
    safe: `CASE WHEN ${lost} THEN NULL ELSE CAST(${converted} AS ${type}) END`,
    strict: `CASE WHEN ${lost} THEN error(${prefix} || ${elementReason}) WHEN ${col} IS NOT NULL AND ${list} IS NULL THEN error(${prefix} || ${notList}) ELSE CAST(${converted} AS ${type}) END`,
    failed: `(${col} IS NOT NULL AND (${list} IS NULL OR ${lost}))`,
    reason: `CASE WHEN ${list} IS NULL THEN ${notList} ELSE ${elementReason} END`,
  };
}
