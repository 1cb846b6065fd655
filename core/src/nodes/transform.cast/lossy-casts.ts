import { ident, stringLiteral } from '../../compiler/sql.js';
import { changesConverting, mayLoseDigits } from '../shared/exact-widening.js';
import { decimalScale, isFloatType, isIntegerType } from '../shared/locale-numbers.js';
import { isDateType } from '../shared/temporal-text.js';

/**
 * Between types other than text, DuckDB's CAST changes some values without a word: a DOUBLE 12.7
 * into an INTEGER is 13, 12.345 into DECIMAL(10,2) is 12.35, a BIGINT 9007199254740993 into a
 * DOUBLE is 9007199254740992, a TIMESTAMP into a DATE loses its time of day, nanoseconds into a
 * TIMESTAMP are cut, and any number but 0 into a BOOLEAN is true. For these pairs a value converts
 * only when it comes back unchanged from the new type (12.0, a midnight timestamp, 0 and 1); the
 * others do not convert, like text that does not, and `on_error` decides. Other pairs (a BIGINT
 * into an INTEGER, which fails on overflow; DATE into TIMESTAMP; anything into VARCHAR; a DOUBLE
 * into a FLOAT, approximate by definition; a TIMESTAMPTZ into a TIMESTAMP, the UTC wall clock) keep
 * DuckDB's CAST. Lists are checked element by element (DuckDB casts `[1.5, 2.0]` into INTEGER[] as
 * [2, 2]), and a struct, map or union converted to another such type value by value: it must come
 * back unchanged.
 */

const TIMESTAMPS = /^(TIMESTAMP(_S|_MS|_NS)?|TIMESTAMPTZ|TIMESTAMP WITH TIME ZONE|DATETIME)$/;
const FINER: Record<string, number> = { TIMESTAMP_NS: 9, TIMESTAMP: 6, TIMESTAMPTZ: 6, 'TIMESTAMP WITH TIME ZONE': 6, DATETIME: 6, TIMESTAMP_MS: 3, TIMESTAMP_S: 0 };

/** The element type of a list type (`DOUBLE[]`: DOUBLE), or undefined. */
export function listElement(type: string): string | undefined {
  const m = /^(.*\S)\s*\[\s*\]$/.exec(type.trim());
  return m?.[1];
}

const COMPOSITE = /^(STRUCT|ROW|MAP|UNION)\s*\(/;

/** Whether CAST from `from` to `to` can change a value (see above). */
export function castMayChange(from: string, to: string): boolean {
  const [f, t] = [from.trim().toUpperCase(), to.trim().toUpperCase()];
  if (f === t || t === 'VARCHAR') return false;
  const [fe, te] = [listElement(f), listElement(t)];
  if (fe !== undefined && te !== undefined) return castMayChange(fe, te);
  // Members of a struct, map or union are converted by the same casts, unchecked.
  if (COMPOSITE.test(f) || COMPOSITE.test(t)) return true;
  // Text elements of nested lists (a VARCHAR column or VARCHAR[] is converted by text-conversions.ts).
  if (f === 'VARCHAR') return true;
  const fractional = isFloatType(f) || (decimalScale(f) ?? 0) > 0;
  if (isIntegerType(t)) return fractional;
  const scale = decimalScale(t);
  if (scale !== undefined) return isFloatType(f) || (decimalScale(f) ?? 0) > scale;
  if (isFloatType(t)) return mayLoseDigits(f, t);
  if (isDateType(t)) return TIMESTAMPS.test(f);
  // Digits of a second the new type does not keep (TIMESTAMPTZ into TIMESTAMP keeps all six).
  if (TIMESTAMPS.test(t) && TIMESTAMPS.test(f)) return (FINER[f] ?? 0) > (FINER[t] ?? 0);
  if (t === 'BOOLEAN') return isIntegerType(f) || fractional;
  return false;
}

/** The parts of a Conversion for such a pair: the value, NULL where it would change, the test and the reason. */
export function checkedCast(column: string, from: string, to: string): { safe: string; strict: string; failed: string; reason: string } {
  const c = ident(column);
  const converted = `TRY_CAST(${c} AS ${to})`;
  const changes = `(${changedBy(c, from, to, 0)})`;
  const reason = `${stringLiteral(`column ${column}: `)} || CAST(${c} AS VARCHAR) || ${stringLiteral(` would change converting to ${to.toUpperCase()} (it would be `)} || coalesce(CAST(${converted} AS VARCHAR), 'out of range') || ${stringLiteral('); convert on purpose first (round, trunc, CAST in a Derive) or choose a type that holds it')}`;
  return {
    safe: `CASE WHEN ${changes} THEN NULL ELSE ${converted} END`,
    strict: `CASE WHEN ${changes} THEN error(${reason}) ELSE CAST(${c} AS ${to}) END`,
    failed: changes,
    reason,
  };
}

/**
 * SQL true where converting `expr` from `from` to `to` changes it: a list when one of its elements
 * would change (one lambda per level of nesting), anything else when it does not come back unchanged.
 */
function changedBy(expr: string, from: string, to: string, depth: number): string {
  const [fe, te] = [listElement(from), listElement(to)];
  if (fe === undefined || te === undefined) return changesConverting(expr, from, to);
  const element = `caudal_element_${depth}`;
  return `coalesce(array_length(list_filter(${expr}, lambda ${element}: ${changedBy(element, fe, te, depth + 1)})) > 0, false)`;
}
