import { z } from 'zod';
import { stringLiteral } from '../../compiler/sql.js';

/**
 * Numbers written the local way: `1.234,56` (Spain, Germany), `1 234,56` (France), `1'234.56`
 * (Switzerland). DuckDB reads a decimal comma itself, strictly; its `thousands` option is lax
 * (it drops the character anywhere, so "12.34" with '.' between thousands reads as 1234). Such
 * text is therefore checked against the written form first, then converted.
 */
export interface NumberFormat {
  decimal: '.' | ',';
  /** Between groups of three digits; undefined: none. */
  thousands?: string;
}

/** Characters found between thousands: dot, comma, space, apostrophe, no-break and narrow no-break space. */
export const THOUSANDS_SEPARATORS = ['.', ',', ' ', "'", '\u00a0', '\u202f'] as const;

export const decimalSeparatorParam = z.enum(['.', ',']).default('.').meta({
  label: 'Decimal separator',
  help: 'The character before the decimals: `.` (1234.56) or `,` (1234,56, as most of Europe writes).',
  widget: 'select',
  group: 'Numbers',
});

export const thousandsSeparatorParam = z
  .string()
  .refine((s) => (THOUSANDS_SEPARATORS as readonly string[]).includes(s), {
    message: "the thousands separator must be one of . , ' or a space (plain, no-break or narrow no-break)",
  })
  .optional()
  .meta({
    label: 'Thousands separator',
    help: "The character between groups of three digits, e.g. `.` in 1.234,56 or a space in 1 234,56. Leave unset when numbers have none. Numbers must then be grouped correctly: with `.` here, `12.34` and `0.005` are not numbers, nor is `1.234,` (nothing after the decimal separator).",
    widget: 'text',
    group: 'Numbers',
    placeholder: 'none',
  });

/** Problems with a pair of separators (and the field delimiter, when known), as check() results. */
export function separatorProblems(f: NumberFormat, delimiter?: string): Array<{ path: string; message: string; hint?: string }> {
  const out: Array<{ path: string; message: string; hint?: string }> = [];
  if (f.thousands !== undefined && f.thousands === f.decimal)
    out.push({ path: 'thousands_separator', message: `the thousands separator cannot also be the decimal separator ('${f.decimal}')` });
  if (delimiter !== undefined && (delimiter === f.decimal || delimiter === f.thousands))
    out.push({
      path: 'decimal_separator',
      message: `the delimiter '${delimiter}' is also a separator inside numbers`,
      hint: 'files with a decimal comma usually separate fields with ";"',
    });
  return out;
}

export const isDefaultFormat = (f: NumberFormat) => f.decimal === '.' && f.thousands === undefined;

/** A DuckDB type that holds numbers. */
export function isNumericType(type: string): boolean {
  return /^\s*(U?(TINYINT|SMALLINT|INTEGER|INT|BIGINT|HUGEINT)|INT[1248]|INT(16|32|64|128)|UINT(8|16|32|64|128)|SIGNED|LONG|SHORT|FLOAT[48]?|REAL|DOUBLE|DECIMAL|NUMERIC)\b(\s*\(.*\))?\s*$/i.test(type);
}

/**
 * The scale of a DECIMAL/NUMERIC type (plain DECIMAL is DuckDB's DECIMAL(18,3), DECIMAL(p) has
 * none); undefined for other types.
 */
export function decimalScale(type: string): number | undefined {
  const m = /^\s*(DECIMAL|NUMERIC)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?\s*$/i.exec(type);
  if (!m) return undefined;
  if (m[2] === undefined) return 3;
  return m[3] === undefined ? 0 : Number(m[3]);
}

/** The precision of a DECIMAL/NUMERIC type (plain DECIMAL is DuckDB's DECIMAL(18,3)); undefined for other types. */
export function decimalPrecision(type: string): number | undefined {
  const m = /^\s*(?:DECIMAL|NUMERIC)\s*(?:\(\s*(\d+)\s*(?:,\s*\d+\s*)?\))?\s*$/i.exec(type);
  return m ? Number(m[1] ?? 18) : undefined;
}

/** Significant decimal digits a float type keeps for any value: one with at most that many reads back as written. */
export const FLOAT_DIGITS: Record<string, number> = { DOUBLE: 15, FLOAT: 6 };

/**
 * SQL: the significant digits of a number's text (`-0012.3400` → 4, `1.25e3` → 3): the digits before
 * any exponent, without sign, point, leading and trailing zeros. NaN and Infinity have none.
 */
export const significantDigits = (text: string) => `length(trim(replace(regexp_extract(${text}, '^-?([0-9.]*)', 1), '.', ''), '0'))`;

/** A binary floating-point type (DOUBLE, FLOAT and their aliases). */
export const isFloatType = (type: string) => /^\s*(DOUBLE|FLOAT|FLOAT4|FLOAT8|REAL)\s*$/i.test(type);

/** Digits (before the point) the largest value of each integer type has. */
export const INTEGER_DIGITS: Record<string, number> = { TINYINT: 3, SMALLINT: 5, INTEGER: 10, BIGINT: 19, HUGEINT: 39, UTINYINT: 3, USMALLINT: 5, UINTEGER: 10, UBIGINT: 20, UHUGEINT: 39 };

/** An integer type: a fraction would be rounded away, so it must not be accepted. */
export function isIntegerType(type: string): boolean {
  return isNumericType(type) && !/^\s*(FLOAT|REAL|DOUBLE|DECIMAL|NUMERIC)/i.test(type);
}

const reEscape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * An RE2 pattern for the whole text of a number in this format (surrounding spaces allowed).
 *
 * Grouped digits start with a group that is not a zero: nobody groups `0.005`, but it is what
 * `0.005` written with a decimal point looks like read with '.' between thousands (it would be 5).
 * Without grouping, `0,5` and `007` stay numbers. In a local format a decimal separator needs a
 * digit after it: `1.234,` is more likely cut off than 1234. (`5.` in the default format is how
 * some programs write a float, and DuckDB reads it.)
 */
export function numberPattern(f: NumberFormat, integer: boolean): string {
  const d = reEscape(f.decimal);
  const whole = f.thousands === undefined ? '[0-9]+' : `(?:[1-9][0-9]{0,2}(?:${reEscape(f.thousands)}[0-9]{3})+|[0-9]+)`;
  const decimals = isDefaultFormat(f) ? '[0-9]*' : '[0-9]+';
  const body = integer ? whole : `(?:${whole}(?:${d}${decimals})?|${d}[0-9]+)(?:[eE][+-]?[0-9]+)?`;
  return `^\\s*[+-]?${body}\\s*$`;
}

/** How the format looks, for messages: `1.234,56 (thousands_separator '.', decimal_separator ',')`. */
export function describeFormat(f: NumberFormat, integer: boolean): string {
  const shown = (c: string) => (c === '\u00a0' ? 'no-break space' : c === '\u202f' ? 'narrow no-break space' : c === ' ' ? 'space' : `'${c}'`);
  const sample = `1${f.thousands ?? ''}234${integer ? '' : `${f.decimal}56`}`;
  const parts = [f.thousands !== undefined ? `thousands_separator ${shown(f.thousands)}` : 'no thousands separator', `decimal_separator ${shown(f.decimal)}`];
  return `${sample} (${parts.join(', ')})`;
}

/** SQL text for a reason that starts with the value in quotes: `'<value>' ` + what follows. */
export const quotedValue = (col: string, rest: string) => `'''' || ${col} || ${stringLiteral(`'${rest}`)}`;

export interface NumberConversion {
  /** The converted value, NULL where the text is not a number in the format. */
  safe: string;
  /** The converted value; raises an error whose text is `message(value)` where it is not. */
  strict: string;
  /** True when the text is present but not a number in the format. */
  failed: string;
  /** `'<value>' is not a number written like …`, as SQL text (for reasons and errors). */
  reason: string;
}

/**
 * SQL converting the text expression `col` to `type` when it is written in format `f`. `prefix`
 * goes before the reason in the strict form's error (e.g. which column and file);
 * `refuseLeadingZero` see wholeNumberConversion.
 */
export function numberConversion(col: string, type: string, f: NumberFormat, prefix = `''`, opts: { refuseLeadingZero?: boolean } = {}): NumberConversion {
  const integer = isIntegerType(type);
  if (integer && f.thousands === undefined) return wholeNumberConversion(col, type, prefix, opts.refuseLeadingZero === true);
  const scale = decimalScale(type);
  if (scale !== undefined && isDefaultFormat(f)) return decimalConversion(col, type, scale, prefix);
  const matches = `regexp_full_match(${col}, ${stringLiteral(numberPattern(f, integer))})`;
  let plain = `trim(${col})`;
  if (f.thousands !== undefined) plain = `replace(${plain}, ${stringLiteral(f.thousands)}, '')`;
  if (f.decimal !== '.') plain = `replace(${plain}, ${stringLiteral(f.decimal)}, '.')`;
  const notNumber = quotedValue(col, ` is not a number written like ${describeFormat(f, integer)}`);
  // A decimal type: the written form matches, but more decimal places than the type keeps would be rounded away.
  const rounds = scale === undefined ? undefined : `coalesce(${roundsAway(plain, scale)}, false)`;
  const tooPrecise = scale === undefined ? '' : quotedValue(col, ` has more than ${scale} decimal place${scale === 1 ? '' : 's'}, which ${type.toUpperCase()} would round away (give the type more decimal places, or read the column as DOUBLE)`);
  const reason = rounds ? `CASE WHEN ${matches} AND ${rounds} THEN ${tooPrecise} ELSE ${notNumber} END` : notNumber;
  const convert = rounds ? `CASE WHEN ${rounds} THEN error(${prefix} || ${tooPrecise}) ELSE CAST(${plain} AS ${type}) END` : `CAST(${plain} AS ${type})`;
  return {
    safe: `CASE WHEN ${matches}${rounds ? ` AND NOT ${rounds}` : ''} THEN TRY_CAST(${plain} AS ${type}) END`,
    strict: `CASE WHEN ${col} IS NULL THEN NULL WHEN ${matches} THEN ${convert} ELSE error(${prefix} || ${notNumber}) END`,
    failed: `(${col} IS NOT NULL AND NOT coalesce(${matches}${rounds ? ` AND NOT ${rounds}` : ''} AND TRY_CAST(${plain} AS ${type}) IS NOT NULL, false))`,
    reason,
  };
}

/**
 * SQL true when the number text `col` (decimal point '.') has nonzero digits beyond `scale`
 * decimal places, which DuckDB's cast to a decimal of that scale rounds away without a word (`'12.345'`
 * → 12.35 for DECIMAL(10,2), `'1e-3'` → 0.00); trailing zeros are not digits lost (`'12.300'`).
 * Plain notation is judged by the text alone (no pattern match), and so is a number with an
 * exponent (exponentRoundsAway). Measured on 10M values of a DECIMAL(12,2) column read from
 * CSV: DuckDB's own (rounding) read 0.31 s, as text with this check and the cast 0.65 s.
 */
export function roundsAway(col: string, scale: number): string {
  const exponent = `(contains(${col}, 'e') OR contains(${col}, 'E'))`;
  const changed = exponentRoundsAway(col, scale);
  const point = `strpos(${col}, '.')`;
  // Most values have no more characters after the point than the scale: then only a negative
  // exponent (`1e-3`) can hide decimal places, and a '-' is rare, so two searches decide. Nested
  // CASEs rather than AND: in a projection DuckDB evaluates every operand of an AND on every row,
  // while a CASE evaluates a branch only for its rows (0.9 s against 0.5 s per 10M values).
  return `CASE WHEN ${point} = 0 OR length(${col}) - ${point} <= ${scale} THEN (CASE WHEN NOT contains(${col}, '-') THEN false WHEN ${exponent} THEN ${changed} ELSE false END)
    WHEN ${exponent} THEN ${changed}
    ELSE length(rtrim(rtrim(${col}), '0')) - ${point} > ${scale} END`;
}

/**
 * SQL true when the number text `col`, written with an exponent (`1.25e-1`), has nonzero digits
 * beyond `scale` decimal places. Decided on the text: the mantissa's digits without trailing zeros,
 * shifted by the exponent. (Comparing the value read as DOUBLE missed `1e-400`, which a DOUBLE
 * holds as 0, and a half in the 18th digit; it only runs for text with an exponent.)
 */
function exponentRoundsAway(col: string, scale: number): string {
  const mantissa = `regexp_extract(${col}, '^\\s*[+-]?([0-9]*\\.?[0-9]*)[eE]', 1)`;
  const power = `TRY_CAST(regexp_extract(${col}, '[eE]([+-]?[0-9]+)\\s*$', 1) AS BIGINT)`;
  const digits = `replace(${mantissa}, '.', '')`;
  const afterPoint = `CASE WHEN contains(${mantissa}, '.') THEN length(split_part(${mantissa}, '.', 2)) ELSE 0 END`;
  const trailingZeros = `(length(${digits}) - length(rtrim(${digits}, '0')))`;
  return `(regexp_matches(${mantissa}, '[1-9]') AND ${afterPoint} - ${trailingZeros} - ${power} > ${scale})`;
}

/** Text to a DECIMAL in the default format: DuckDB's cast, but a value it would round is refused. */
function decimalConversion(col: string, type: string, scale: number, prefix: string): NumberConversion {
  const t = type.toUpperCase();
  const rounds = `coalesce(${roundsAway(col, scale)}, false)`;
  const tooPrecise = quotedValue(col, ` has more than ${scale} decimal place${scale === 1 ? '' : 's'}, which ${t} would round away (give the type more decimal places, or read the column as DOUBLE)`);
  const notNumber = quotedValue(col, ` is not a valid ${t}`);
  const reason = `CASE WHEN ${rounds} THEN ${tooPrecise} ELSE ${notNumber} END`;
  return {
    safe: `CASE WHEN NOT ${rounds} THEN TRY_CAST(${col} AS ${type}) END`,
    strict: `CASE WHEN ${rounds} THEN error(${prefix} || ${tooPrecise}) ELSE coalesce(TRY_CAST(${col} AS ${type}), CASE WHEN ${col} IS NOT NULL THEN error(${prefix} || ${notNumber}) END) END`,
    failed: `(${col} IS NOT NULL AND (${rounds} OR TRY_CAST(${col} AS ${type}) IS NULL))`,
    reason,
  };
}

/**
 * SQL true when the text `col` writes a number with a fraction: a decimal point or a negative
 * exponent (`15e-1`, `1e-05` as floats are often written); testing for '-' first keeps the common
 * case at two single-character searches.
 */
export function writesFraction(col: string): string {
  return `(contains(${col}, '.') OR (contains(${col}, '-') AND (contains(${col}, 'e') OR contains(${col}, 'E'))))`;
}

/**
 * Text to an integer type without a thousands separator. DuckDB's cast (and its CSV reader) rounds
 * a fraction away (`'4.5'` → 5, `'15e-1'` → 2); a value with a decimal point or a negative exponent
 * is refused instead (a comma never casts). Other notations DuckDB reads as the same integer
 * (`' 7 '`, `+5`, `1e3`, `1_000`, `0x1F`) are accepted. Measured on a 10M-row CSV with 4 integer
 * columns read as text: 1.5 s with the decimal point check alone, +0.25 s for the exponent check,
 * 1.3 s for the bare cast, 1.0–1.1 s for DuckDB's own (rounding) integer read, 2.0 s with two
 * `strpos` searches and 2.4–3.0 s with a pattern match.
 *
 * `refuseLeadingZero`: for a type detected from a sample, where a value such as `'01234'` past the
 * sample is a code (a zip code) that the sample happened not to show, which detection would have
 * kept as text: refused rather than read as 1234.
 */
function wholeNumberConversion(col: string, type: string, prefix: string, refuseLeadingZero: boolean): NumberConversion {
  const notWhole = quotedValue(col, ` is not a whole number of type ${type.toUpperCase()}`);
  const zeroReason = quotedValue(col, ` is not a number of type ${type.toUpperCase()} without losing its leading zero: the type was detected from the first rows; list the column as VARCHAR to keep such codes, or as ${type.toUpperCase()} to read them as numbers`);
  const leadingZero = `(starts_with(${col}, '0') AND length(${col}) > 1)`;
  const fraction = writesFraction(col);
  const bad = refuseLeadingZero ? `(${fraction} OR ${leadingZero})` : fraction;
  // A whole number the type cannot hold ('2147483648' for an INTEGER) is said to be out of range, not "not whole".
  const outOfRange = quotedValue(col, ` is out of range for ${type.toUpperCase()}`);
  const wholeReason = `CASE WHEN NOT ${fraction} AND TRY_CAST(${col} AS DOUBLE) IS NOT NULL THEN ${outOfRange} ELSE ${notWhole} END`;
  const reason = refuseLeadingZero ? `CASE WHEN ${leadingZero} AND NOT ${fraction} THEN ${zeroReason} ELSE ${wholeReason} END` : wholeReason;
  const fails = `error(${prefix} || ${reason})`;
  // Most values are written as DuckDB writes the integer itself (no sign, point, exponent or
  // leading zero): those pass on one comparison, and only the others are searched. Measured on
  // 10M rows x 4 integer columns (scratch script, `sum()` of each): the bare cast 0.38 s, the
  // checks alone 1.07-1.09 s, with this shortcut 0.83-0.87 s.
  const cast = `TRY_CAST(${col} AS ${type})`;
  const plain = `CAST(${cast} AS VARCHAR) = ${col}`;
  return {
    safe: `CASE WHEN ${plain} THEN ${cast} WHEN NOT ${bad} THEN ${cast} END`,
    strict: `CASE WHEN ${plain} THEN ${cast} WHEN ${bad} THEN ${fails} ELSE coalesce(${cast}, CASE WHEN ${col} IS NOT NULL THEN ${fails} END) END`,
    failed: `(${col} IS NOT NULL AND (${bad} OR TRY_CAST(${col} AS ${type}) IS NULL))`,
    reason,
  };
}
