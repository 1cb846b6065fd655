import { stringLiteral } from '../../compiler/sql.js';
import type { Column } from '../define.js';
import { changesConverting, convertsExactly } from './exact-widening.js';
import { decimalPrecision, decimalScale, INTEGER_DIGITS, isIntegerType, isNumericType } from './locale-numbers.js';

/**
 * Where DuckDB brings exact numbers together (a union, an unpivot, a CASE, a coalesce) it gives them
 * a DECIMAL wide enough for the most digits before the point and the most after it. A DECIMAL holds
 * 38 digits at most, and when both need more, DuckDB keeps the digits before the point and drops
 * places after it: DECIMAL(38,0) meeting DECIMAL(38,2) is DECIMAL(38,0), so 10.25 becomes 10 and
 * 0.0000000001 becomes 0, without a word. Here the common type keeps the largest scale instead
 * (DECIMAL(38,2)), and a value with more digits before the point than that leaves room for stops the
 * run. Booleans meeting numbers become numbers (true is 1): nodes refuse that pair before the run.
 */

const MAX_DIGITS = 38;

/** Digits before and after the point of an exact number type (an integer type is DECIMAL(digits, 0)). */
export function exactDigits(type: string): { whole: number; scale: number } | undefined {
  const t = type.trim().toUpperCase();
  if (isIntegerType(t)) {
    const whole = INTEGER_DIGITS[t];
    return whole === undefined ? undefined : { whole, scale: 0 };
  }
  const precision = decimalPrecision(t);
  const scale = decimalScale(t);
  return precision === undefined || scale === undefined ? undefined : { whole: precision - scale, scale };
}

/**
 * The common type for exact number types (integers, decimals) where DuckDB's own one would drop
 * places after the point: DECIMAL(38, the largest scale). Undefined when DuckDB's type keeps every
 * place, or when a type is not an exact number (floats, text and others follow DuckDB's rules).
 */
export function scaleKeepingType(types: string[]): string | undefined {
  if (types.length < 2) return undefined;
  const digits = types.map(exactDigits);
  if (digits.some((d) => d === undefined)) return undefined;
  const scale = Math.max(...digits.map((d) => d!.scale));
  const whole = Math.max(...digits.map((d) => Math.min(d!.whole, MAX_DIGITS)));
  return scale > 0 && whole + scale > MAX_DIGITS ? `DECIMAL(${MAX_DIGITS},${scale})` : undefined;
}

/** Whether a BOOLEAN meets a number among these types (DuckDB would make true 1). */
export function booleanMeetsNumber(types: string[]): boolean {
  const upper = types.map((t) => t.trim().toUpperCase());
  return upper.includes('BOOLEAN') && upper.some(isNumericType);
}

/**
 * A join or lookup key pair that would compare wrongly without a word: a FLOAT key meeting a DOUBLE
 * key is compared as DOUBLE, where the FLOAT 0.1 is 0.10000000149011612 and never equals the DOUBLE
 * 0.1 (nearly every fractional key would find nothing). `sides` names the inputs (`left`, `right`).
 */
export function floatKeyRefusal(a: Column, b: Column, sides: { a: string; b: string }): { message: string; hint: string } | undefined {
  const [x, y] = [a, b].map((c) => c.type.trim().toUpperCase());
  if (!((x === 'FLOAT' && y === 'DOUBLE') || (x === 'DOUBLE' && y === 'FLOAT'))) return undefined;
  const double = x === 'DOUBLE' ? a : b;
  return {
    message: `the ${sides.a} key "${a.name}" is ${a.type} and the ${sides.b} key "${b.name}" is ${b.type}: compared as DOUBLE, a FLOAT holds 0.1 as 0.10000000149011612, so it would never match the DOUBLE 0.1`,
    hint: `give both keys one type first with a Cast node: both to the same DECIMAL (e.g. DECIMAL(18,6)), or the DOUBLE key "${double.name}" to FLOAT`,
  };
}

const SIGNED = ['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT'];
const UNSIGNED = ['UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT', 'UHUGEINT'];

/** Whether every value of integer type `from` is a value of integer type `to`. */
function integerFits(from: string, to: string): boolean {
  const [fs, fu, ts, tu] = [SIGNED.indexOf(from), UNSIGNED.indexOf(from), SIGNED.indexOf(to), UNSIGNED.indexOf(to)];
  if (fs >= 0) return ts >= fs;
  if (fu >= 0) return tu >= fu || ts > fu;
  return false;
}

/** Whether every value of type `from` converts to `to` unchanged, so that no check is needed. */
export function fitsExactly(from: string, to: string): boolean {
  const [f, t] = [from.trim().toUpperCase(), to.trim().toUpperCase()];
  if (f === t) return true;
  if (isIntegerType(f) && isIntegerType(t)) return integerFits(f, t);
  const [fd, td] = [exactDigits(f), exactDigits(t)];
  if (fd && td) {
    // Into an integer type, fewer digits than its largest value has always fit (a signed one: a decimal may be negative).
    if (isIntegerType(t)) return fd.scale === 0 && SIGNED.includes(t) && fd.whole < td.whole;
    return fd.whole <= td.whole && fd.scale <= td.scale;
  }
  return t !== 'VARCHAR' && convertsExactly(f, t);
}

/** How the error of a checked conversion reads: `${before}<value>${after}it would become …; ${hint}`. */
export interface ConversionWords {
  before: string;
  after: string;
  hint: string;
}

/**
 * `expr` (of type `from`) converted to `to`: a plain CAST when every value fits, otherwise one that
 * stops the run where the value would change (a decimal rounded, a number too long, 2 as a BOOLEAN).
 */
export function convertedExactly(expr: string, from: string, to: string, words: ConversionWords): string {
  if (fitsExactly(from, to)) return `CAST(${expr} AS ${to})`;
  const message = `${stringLiteral(words.before)} || CAST(${expr} AS VARCHAR) || ${stringLiteral(words.after)} || coalesce('it would become ' || CAST(TRY_CAST(${expr} AS ${to}) AS VARCHAR), 'it does not convert') || ${stringLiteral(`; ${words.hint}`)}`;
  return `CASE WHEN ${changesConverting(expr, from, to)} THEN error(${message}) ELSE CAST(${expr} AS ${to}) END`;
}

/** What a DECIMAL holds, for hints: `DECIMAL(38,2) holds 36 digits before the point`. */
export function decimalRoom(type: string): string {
  const d = exactDigits(type);
  return d ? `${type} holds ${d.whole} digits before the point` : type;
}
