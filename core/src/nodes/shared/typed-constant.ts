import { literal, stringLiteral } from '../../compiler/sql.js';
import { decimalScale, isIntegerType, numberConversion } from './locale-numbers.js';
import { dateConversion, isDateType, isPlainTimestampType, isTimeType, timeConversion, timestampConversion } from './temporal-text.js';

/**
 * A constant typed into a node (a fill value, a lag/lead or lookup default) meets a column's type
 * with the rules values read from text get: DuckDB's TRY_CAST takes 1.5 for an INTEGER as 2,
 * `'2024-01-01 10:00'` for a DATE as the date alone and 12.345 for DECIMAL(10,2) as 12.35, so the
 * node would fill in a value nobody wrote. Such a constant is refused before the run instead.
 */
export type Constant = string | number | boolean;

/** SQL that is NULL when `value` does not convert to `type` without change (a plain cast for other types). */
function strictConversion(value: Constant, type: string): string {
  const text = stringLiteral(typeof value === 'string' ? value : String(value));
  if (typeof value !== 'boolean' && (isIntegerType(type) || decimalScale(type) !== undefined)) return numberConversion(text, type, { decimal: '.' }).safe;
  if (typeof value === 'string' && isDateType(type)) return dateConversion(text, "''").safe;
  if (typeof value === 'string' && isPlainTimestampType(type)) return timestampConversion(text, type, "''").safe;
  if (typeof value === 'string' && isTimeType(type)) return timeConversion(text, "''").safe;
  return `TRY_CAST(${literal(value)} AS ${type})`;
}

/** True when `value` converts to `type` exactly (`rows` runs a query in the planning session). */
export async function constantConverts(rows: (sql: string) => Promise<Array<Record<string, unknown>>>, value: Constant, type: string): Promise<boolean> {
  const [row] = await rows(`SELECT ${strictConversion(value, type)} IS NOT NULL AS ok`);
  return row?.ok === true;
}
