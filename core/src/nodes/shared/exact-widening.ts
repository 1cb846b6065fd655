import { ident, stringLiteral } from '../../compiler/sql.js';
import type { Column } from '../define.js';
import { decimalPrecision, FLOAT_DIGITS, isIntegerType } from './locale-numbers.js';

/**
 * Where DuckDB brings two types together it widens them to a common type, and an integer or a long
 * decimal meeting a DOUBLE becomes a DOUBLE: a BIGINT id 9007199254740993 then arrives as
 * 9007199254740992, without a word (FLOAT is worse: 16777217 becomes 16777216). That happens in a
 * union, an unpivot, Parquet files combined by name, a rule setting a DOUBLE into a BIGINT column,
 * and in comparisons (join and lookup keys, a quality `references` check), which then match the
 * wrong value. This decides which types such a widening can change, and checks each value on its
 * way in, so that a value the common type cannot hold stops the run (or, in a comparison, matches
 * nothing), while the usual case (small whole amounts meeting decimals) costs one comparison per
 * value and changes nothing. Unpivot's explicit value type uses the same check for any conversion.
 */

/** Integer types whose every value the float type holds exactly (53 and 24 bits of mantissa). */
const EXACT_INTEGERS: Record<string, string[]> = {
  DOUBLE: ['TINYINT', 'SMALLINT', 'INTEGER', 'UTINYINT', 'USMALLINT', 'UINTEGER'],
  FLOAT: ['TINYINT', 'SMALLINT', 'UTINYINT', 'USMALLINT'],
};

/** Whether converting a value of type `from` into `to` can change it (an integer or decimal into a float type). */
export function mayLoseDigits(from: string, to: string): boolean {
  const target = to.trim().toUpperCase();
  const digits = FLOAT_DIGITS[target];
  if (digits === undefined) return false;
  const type = from.trim().toUpperCase();
  if (isIntegerType(type)) return !EXACT_INTEGERS[target]!.includes(type);
  const precision = decimalPrecision(type);
  return precision !== undefined && precision > digits;
}

const INTO_BIGINT = ['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'UTINYINT', 'USMALLINT', 'UINTEGER'];

/** Whether every value of `from` converts into `to` unchanged, so that no check is needed. */
export function convertsExactly(from: string, to: string): boolean {
  const [f, t] = [from.trim().toUpperCase(), to.trim().toUpperCase()];
  if (f === t || t === 'VARCHAR') return true;
  if (t === 'DOUBLE') return f === 'FLOAT' || ((isIntegerType(f) || decimalPrecision(f) !== undefined) && !mayLoseDigits(f, t));
  if (t === 'BIGINT') return INTO_BIGINT.includes(f);
  if (t === 'TIMESTAMP') return f === 'DATE';
  return false;
}

/**
 * Comparing an integer or decimal with a float compares them as the float (DuckDB's rule, as for
 * `=` in a join): the float type and which side it may change, or undefined when nothing changes.
 */
export function comparedAsFloat(a: string, b: string): { side: 'a' | 'b'; to: string } | undefined {
  const upper = (t: string) => t.trim().toUpperCase();
  if (FLOAT_DIGITS[upper(b)] !== undefined && mayLoseDigits(a, upper(b))) return { side: 'a', to: upper(b) };
  if (FLOAT_DIGITS[upper(a)] !== undefined && mayLoseDigits(b, upper(a))) return { side: 'b', to: upper(a) };
  return undefined;
}

/** Text (DESCRIBE names every text type VARCHAR), or an ENUM, which DuckDB compares with text as text: a value outside it simply matches nothing. */
const isText = (type: string) => type === 'VARCHAR' || type.startsWith('ENUM(');

/** How a widening is described in its error: `in input 'a'`, `the union's DOUBLE column (…)`, and what to do. */
export interface Widening {
  origin?: string;
  into: string;
  hint: string;
}

/**
 * `column` (of type `from`), raising an error where converting the value to `to` would change it:
 * the value must come back unchanged from `to`. From a float type back to a decimal, the way back
 * is the float's text (the shortest that gives that float): DuckDB's float-to-decimal cast
 * multiplies in floating point, so 123456789012345.67 would not come back through it, although
 * the DOUBLE shows (and is nearest to) exactly that. The result has the type `from`.
 */
export function exactlyConverted(column: string, from: string, to: string, w: Widening): string {
  const check = conversionCheck(column, from, to, w);
  return `CASE WHEN ${check.changes} THEN error(${check.message}) ELSE ${ident(column)} END`;
}

/**
 * SQL true where converting `column` (of type `from`) to `to` changes its value: the value must come
 * back unchanged from `to` (for a float back to a decimal, through the float's text; see
 * exactlyConverted). NULL does not change.
 */
export function changedByConversion(column: string, from: string, to: string): string {
  return changesConverting(ident(column), from, to);
}

/** changedByConversion for an SQL expression `expr` rather than a column. */
export function changesConverting(expr: string, from: string, to: string): string {
  const converted = `TRY_CAST(${expr} AS ${to})`;
  const viaText = FLOAT_DIGITS[to.trim().toUpperCase()] !== undefined && decimalPrecision(from) !== undefined;
  const back = viaText ? `TRY_CAST(CAST(${converted} AS VARCHAR) AS ${from})` : `TRY_CAST(${converted} AS ${from})`;
  return `${back} IS DISTINCT FROM ${expr}`;
}

/** The parts of exactlyConverted: SQL true where the value would change, and the error's text (SQL). */
export function conversionCheck(column: string, from: string, to: string, w: Widening): { changes: string; message: string } {
  const c = ident(column);
  const converted = `TRY_CAST(${c} AS ${to})`;
  const message = `${stringLiteral(`column "${column}" holds `)} || CAST(${c} AS VARCHAR) || ${stringLiteral(` (${from}${w.origin ? ` ${w.origin}` : ''}), which ${w.into} cannot hold exactly: `)} || coalesce('it would become ' || CAST(${converted} AS VARCHAR), 'it does not convert') || ${stringLiteral(`; ${w.hint}`)}`;
  return { changes: changedByConversion(column, from, to), message };
}

/**
 * Key pairs compared for equality (a join, a lookup) where DuckDB converts one key to the other's
 * type: an integer or decimal key meeting a float key is compared as the float (9007199254740993
 * would match 9007199254740992), and a text key meeting any other type is converted to it ('007'
 * would match 7). The `REPLACE` items that check such keys on their way in, per side (`a` and `b`
 * name the sides in messages, e.g. `left`, `right`): a value the conversion would change stops the run.
 */
export function floatKeyChecks(pairs: Array<[Column, Column]>, sides: { a: string; b: string }): { a: string[]; b: string[] } {
  const out = { a: [] as string[], b: [] as string[] };
  for (const [a, b] of pairs) {
    if (isText(a.type) !== isText(b.type)) {
      // A text key meeting a key of another type is converted to it to be compared, so different
      // codes meet: '007', '7.0' and ' 7' all match 7. Only text that is the other type's own
      // spelling of its value passes ('7' for 7, '2024-01-05' for that date).
      const [side, key, other] = isText(a.type) ? (['a', a, b] as const) : (['b', b, a] as const);
      const otherSide = side === 'a' ? sides.b : sides.a;
      const hint = `DuckDB compares a text key with a key of type ${other.type} by converting the text, so different codes would match; give both keys one type first with a Cast node: "${key.name}" to ${other.type} to compare values, or "${other.name}" to VARCHAR to compare codes exactly`;
      const widening = { origin: `in the ${sides[side]} input`, into: `the ${otherSide} key "${other.name}" (${other.type}) it is compared with`, hint };
      out[side].push(`${exactlyConverted(key.name, key.type, other.type, widening)} AS ${ident(key.name)}`);
      continue;
    }
    const widened = comparedAsFloat(a.type, b.type);
    if (!widened) continue;
    const [side, key, other] = widened.side === 'a' ? (['a', a, `${sides.b} key "${b.name}"`] as const) : (['b', b, `${sides.a} key "${a.name}"`] as const);
    const widening = { origin: `in the ${sides[side]} input`, into: `the ${widened.to} that the ${other} is compared as`, hint: `give both keys one type first (a Cast node on the ${widened.to} side, e.g. to ${key.type})` };
    out[side].push(`${exactlyConverted(key.name, key.type, widened.to, widening)} AS ${ident(key.name)}`);
  }
  return out;
}

/** `ref`, or a SELECT over it with the checked columns in place. */
export const withChecked = (ref: string, checked: string[]) => (checked.length > 0 ? `(SELECT * REPLACE (${checked.join(', ')}) FROM ${ref})` : ref);


/**
 * SQL true when the text `text` writes a whole number that a DOUBLE does not hold exactly (beyond
 * 2^53, where a detected DOUBLE column rounds it): for the sampled text of CSV columns and JSON keys.
 * A range test, not abs(): abs() of HUGEINT's lowest value overflows, and DuckDB evaluates every
 * operand of the OR.
 */
export function wholeBeyondDouble(text: string): string {
  return `(regexp_full_match(${text}, '\\s*[+-]?[0-9]+\\s*') AND (length(regexp_replace(${text}, '[^0-9]', '', 'g')) > 17 OR NOT (TRY_CAST(trim(${text}) AS HUGEINT) BETWEEN -9007199254740992 AND 9007199254740992)))`;
}

/** The significant digits a number's text writes: no sign, point, exponent, leading or trailing zeros (`-0.0120e3` → `12`). */
const significantDigits = (text: string) => `trim(regexp_replace(regexp_replace(lower(trim(${text})), 'e.*$', ''), '[^0-9]', '', 'g'), '0')`;

/**
 * SQL true when the text `text` writes a number with a fraction or an exponent that a DOUBLE does
 * not keep (`1234567890123456.78` arrives as 1234567890123456.8; a DOUBLE keeps 15 to 17 significant
 * digits): the DOUBLE's own text (the shortest that gives it back) writes other significant digits.
 * Whole numbers are wholeBeyondDouble's; text that is no number, and numbers beyond a DOUBLE's range
 * (`1e400`, which the docs name), are not counted. For a planning sample, not for every row.
 */
export function fractionBeyondDouble(text: string): string {
  const double = `TRY_CAST(trim(${text}) AS DOUBLE)`;
  return `(NOT regexp_full_match(${text}, '\\s*[+-]?[0-9]+\\s*') AND length(${significantDigits(text)}) > 15 AND isfinite(${double}) AND ${significantDigits(`CAST(${double} AS VARCHAR)`)} <> ${significantDigits(text)})`;
}
