import { literal, stringLiteral } from '../../compiler/sql.js';
import { decimalScale, isFloatType, isIntegerType, isNumericType, numberConversion } from './locale-numbers.js';
import { isNestedType } from './nested-types.js';
import { dateConversion, isDateType, isPlainTimestampType, isTimestampTzType, isTimeType, timeConversion, timestampConversion, timestamptzConversion } from './temporal-text.js';

/**
 * A constant typed into a node (a fill value, a lag/lead or lookup default, a pivot value) meets a
 * column's type with the rules values read from text get: DuckDB's TRY_CAST takes 1.5 for an
 * INTEGER as 2, `'2024-01-01 10:00'` for a DATE as the date alone, 12.345 for DECIMAL(10,2) as
 * 12.35, `'0x10'` for a BIGINT as 16 and `'1e400'` for a DOUBLE as Infinity, so the node would
 * fill in a value nobody wrote. Such a constant is refused before the run instead.
 */
export type Constant = string | number | boolean;

/**
 * How a constant for a number column must be written: digits with an optional sign, decimal point
 * and exponent (`16`, `-2.5`, `.5`, `1e3`). DuckDB also reads `0x10`, `0b11`, `1_000`, `' 7'`,
 * `inf` and `nan` as numbers; in a typed constant those are far more likely a slip (or a code)
 * than the number, so they are refused.
 */
const PLAIN_NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** SQL that is NULL when `value` does not convert to `type` without change (a plain cast for other types). */
function strictConversion(value: Constant, type: string): string {
  const text = stringLiteral(typeof value === 'string' ? value : String(value));
  if (isIntegerType(type) || decimalScale(type) !== undefined) return numberConversion(text, type, { decimal: '.' }).safe;
  if (isFloatType(type)) {
    // A value beyond the type's range becomes ±Infinity, a tiny one 0: refused, the type cannot hold it.
    const zeroWritten = /^[+-]?[0.]*([eE].*)?$/.test(String(value));
    const v = `TRY_CAST(${text} AS ${type})`;
    return `CASE WHEN isfinite(${v}) AND (${v} <> 0 OR ${zeroWritten}) THEN ${v} END`;
  }
  if (typeof value === 'string' && isDateType(type)) return dateConversion(text, "''").safe;
  if (typeof value === 'string' && isPlainTimestampType(type)) return timestampConversion(text, type, "''").safe;
  // DuckDB reads 'epoch' as 1970-01-01, '24-01-01' as the year 24 and cuts a seventh digit of a second.
  if (typeof value === 'string' && isTimestampTzType(type)) return timestamptzConversion(text, "''").safe;
  if (typeof value === 'string' && isTimeType(type)) return timeConversion(text, "''").safe;
  return `TRY_CAST(${literal(value)} AS ${type})`;
}

/**
 * SQL true when the text of a list `text` (`[1, 2.5]`) converts to the list type `type` element by
 * element as strictly as a constant of its element type: DuckDB's cast would take `[1.5, 2]` for an
 * INTEGER[] as [2, 2]. Lists of lists, structs and maps are refused (a Derive writes those).
 */
function listConverts(text: string, type: string): string {
  const element = /^(.+)\[\]$/.exec(type.trim())?.[1];
  if (element === undefined || isNestedType(element)) return 'false';
  const x = 'caudal_element';
  const plain = isNumericType(element) ? `regexp_full_match(${x}, ${stringLiteral(PLAIN_NUMBER.source.slice(1, -1))}) AND ` : '';
  const each = `list_bool_and(list_transform(TRY_CAST(${text} AS VARCHAR[]), ${x} -> ${x} IS NULL OR (${plain}${elementConversion(x, element)} IS NOT NULL)))`;
  return `coalesce(TRY_CAST(${text} AS ${type}) IS NOT NULL AND ${each}, false)`;
}

/** strictConversion for an SQL text expression `text` (an element of a list) rather than a constant. */
function elementConversion(text: string, type: string): string {
  if (isIntegerType(type) || decimalScale(type) !== undefined) return numberConversion(text, type, { decimal: '.' }).safe;
  if (isFloatType(type)) {
    const v = `TRY_CAST(${text} AS ${type})`;
    return `CASE WHEN isfinite(${v}) AND (${v} <> 0 OR regexp_full_match(${text}, '[+-]?[0.]*([eE].*)?')) THEN ${v} END`;
  }
  if (isDateType(type)) return dateConversion(text, "''").safe;
  if (isPlainTimestampType(type)) return timestampConversion(text, type, "''").safe;
  if (isTimestampTzType(type)) return timestamptzConversion(text, "''").safe;
  if (isTimeType(type)) return timeConversion(text, "''").safe;
  // DuckDB reads any number other than 0 as true; only the words and 0 and 1 name a truth value.
  if (/^\s*(BOOLEAN|BOOL|LOGICAL)\s*$/i.test(type)) return `CASE WHEN lower(trim(${text})) IN ('true', 'false', 't', 'f', '1', '0') THEN TRY_CAST(${text} AS BOOLEAN) END`;
  return `TRY_CAST(${text} AS ${type})`;
}

/** True when `value` converts to `type` exactly (`rows` runs a query in the planning session). */
export async function constantConverts(rows: (sql: string) => Promise<Array<Record<string, unknown>>>, value: Constant, type: string): Promise<boolean> {
  if (isNestedType(type)) {
    if (typeof value !== 'string') return false;
    const [row] = await rows(`SELECT ${listConverts(stringLiteral(value), type)} AS ok`);
    return row?.ok === true;
  }
  if (isNumericType(type) && (typeof value === 'boolean' || !PLAIN_NUMBER.test(String(value)))) return false;
  // DuckDB takes any number other than 0 for true (2, -1, 0.5): only 0 and 1 name a truth value.
  if (/^\s*(BOOLEAN|BOOL|LOGICAL)\s*$/i.test(type) && typeof value === 'number' && value !== 0 && value !== 1) return false;
  const [row] = await rows(`SELECT ${strictConversion(value, type)} IS NOT NULL AS ok`);
  return row?.ok === true;
}
