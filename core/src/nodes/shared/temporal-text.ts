import { stringLiteral } from '../../compiler/sql.js';
import { quotedValue, type NumberConversion } from './locale-numbers.js';

/**
 * Text to dates, timestamps and times without losing what the text says. DuckDB's casts are
 * lenient in three ways that change values without a word:
 * - to DATE, the cast stops at the date and ignores what follows: `2024-03-04 13:45` and
 *   `2024-03-1x` read as 2024-03-04 and 2024-03-01;
 * - to TIMESTAMP, a UTC offset is read and dropped: `2024-03-04 10:00:00+05` reads as 10:00,
 *   although the instant is 05:00 UTC (PostgreSQL does the same; TIMESTAMPTZ keeps the instant);
 * - to TIME, it reads the first time in the text and ignores the rest: a date before it, an offset,
 *   `PM` (`01:45:00 PM` reads as 01:45) or any text after it.
 * - a year of one to three digits is read as that year: `24-03-01` to DATE is 0024-03-01, and
 *   strptime's `%Y` reads `01/02/24` as 0024-02-01;
 * - the words `infinity`, `-infinity` and `epoch` are read whatever the format: the cast reads them as
 *   the infinite values and 1970-01-01, try_strptime as 1900-01-01 (a made-up date) and strptime as
 *   the infinite values and 1970-01-01.
 * The conversions below refuse such values instead, with a reason that says what to do. The casts keep
 * `infinity` and `-infinity` (the values the text writes, which DuckDB writes back the same way).
 */

/** DuckDB's timestamp types without a time zone (DATETIME is an alias). */
export function isPlainTimestampType(type: string): boolean {
  return /^\s*(TIMESTAMP(_S|_MS|_US|_NS)?|DATETIME)\s*$/i.test(type);
}

export const isDateType = (type: string) => /^\s*DATE\s*$/i.test(type);
export const isTimeType = (type: string) => /^\s*TIME\s*$/i.test(type);

/**
 * The UTC offset written after a time (`+05`, `-08:00`, `+0530`, and with seconds `+05:53:28`, as
 * PostgreSQL prints local mean time before 1900), or '' when there is none. It follows the minutes
 * or seconds, so a date alone (`2024-03-04`) never looks like one.
 */
const offsetOf = (col: string) => `regexp_extract(${col}, ${stringLiteral(':[0-9]{2}(?:[.,][0-9]*)?\\s*([+-][0-9]{1,2}(?::?[0-9]{2}){0,2})\\s*$')}, 1)`;
const ZERO_OFFSET = stringLiteral('[+-]0{1,2}(?::?00){0,2}');

/**
 * SQL true where the text's fraction of a second has a non-zero digit past the first `digits`
 * (which a type keeping that many would drop: DuckDB's casts cut `10:00:00.123456789` to
 * 10:00:00.123456 for TIMESTAMP and TIME).
 */
export function finerThan(col: string, digits: number): string {
  return `regexp_matches(${col}, ${stringLiteral(`:[0-9]{2}[.,][0-9]{${digits}}[0-9]*[1-9]`)})`;
}

/** A timestamp literal of the result's type; a TIMESTAMPTZ one at UTC, whatever the session's zone. */
const stamp = (text: string, tz: boolean) => (tz ? `TIMESTAMPTZ '${text}+00'` : `TIMESTAMP '${text}'`);

/** The result's year written with four digits (`0024`); the UTC year of a TIMESTAMPTZ. */
const fourDigitYear = (r: string, tz: boolean) => `lpad(CAST(year(${tz ? `timezone('UTC', ${r})` : r}) AS VARCHAR), 4, '0')`;

/** SQL true where the text is one of the words strptime reads whatever the format (any case, spaces around). */
const specialWord = (col: string) => `regexp_full_match(${col}, ${stringLiteral('(?i)[\\s\\v]*[+-]?(infinity|epoch)[\\s\\v]*')})`;

/**
 * SQL true where the timestamp `r`, which strptime or try_strptime read from the text `col`, is not
 * what the text writes: a special word (see above: try_strptime gives 1900-01-01 00:00:00, strptime
 * ±infinity or 1970-01-01), or a year from 1 to 999 not written with four digits (`%Y` reads `24`).
 * Nested CASEs so that most values pay one or two comparisons: a date from 1970 to 9999 is looked at
 * no further, and the text only where the result is past 9999 (infinity), 1900-01-01, 1970-01-01 or
 * before the year 1000. (No isinf(): Spark has no such function, nor infinite timestamps.)
 * `tz`: `r` is a TIMESTAMPTZ.
 */
export function misreadByStrptime(col: string, r: string, tz: boolean): string {
  return `(CASE WHEN ${r} >= ${stamp('1970-01-02 00:00:00', tz)} THEN (CASE WHEN ${r} > ${stamp('9999-12-31 23:59:59', tz)} THEN ${specialWord(col)} ELSE false END) WHEN ${r} >= ${stamp('1000-01-01 00:00:00', tz)} THEN (CASE WHEN ${r} = ${stamp('1900-01-01 00:00:00', tz)} OR ${r} = ${stamp('1970-01-01 00:00:00', tz)} THEN ${specialWord(col)} ELSE false END) WHEN ${r} < ${stamp('0001-01-01 00:00:00', tz)} THEN true ELSE coalesce(NOT contains(${col}, ${fourDigitYear(r, tz)}), false) END)`;
}

/**
 * SQL true where the timestamp `cast`, DuckDB's cast of the text `col`, is not what the text writes:
 * `epoch` (read as 1970-01-01) or a year from 1 to 999 not written with four digits (`1-1-1` read
 * as 0001-01-01). `infinity`, `-infinity` and years before 1 (`2024-01-05 (BC)`) are kept. Most
 * values pass on one comparison. `tz`: `cast` is a TIMESTAMPTZ.
 */
function castMisread(col: string, cast: string, tz = false): string {
  return `(CASE WHEN ${cast} >= ${stamp('1970-01-02 00:00:00', tz)} THEN false WHEN ${cast} = ${stamp('1970-01-01 00:00:00', tz)} THEN ${specialWord(col)} WHEN ${cast} >= ${stamp('1000-01-01 00:00:00', tz)} THEN false WHEN ${cast} < ${stamp('0001-01-01 00:00:00', tz)} THEN false ELSE coalesce(NOT contains(${col}, ${fourDigitYear(cast, tz)}), false) END)`;
}

export const isTimestampTzType = (type: string) => /^\s*(TIMESTAMPTZ|TIMESTAMP WITH TIME ZONE)\s*$/i.test(type);

/**
 * Text to TIMESTAMPTZ: DuckDB's cast (which keeps the offset as the instant), refusing `epoch` and a
 * year of fewer than four digits (see castMisread).
 */
export function timestamptzConversion(col: string, prefix: string): NumberConversion {
  const cast = `TRY_CAST(${col} AS TIMESTAMPTZ)`;
  const misread = castMisread(col, cast, true);
  const reason = quotedValue(col, ' is not a valid TIMESTAMPTZ');
  // DuckDB's cast cuts `10:00:00.1234567+00` to .123456 without a word; trailing zeros lose
  // nothing. Only text with a point or a comma is searched.
  const tooFine = `(CASE WHEN NOT contains(${col}, '.') AND NOT contains(${col}, ',') THEN false ELSE ${finerThan(col, 6)} END)`;
  const fineReason = quotedValue(col, ' has more fractional digits of a second than TIMESTAMPTZ keeps (6): convert to VARCHAR to keep them');
  return {
    safe: `CASE WHEN ${misread} THEN NULL WHEN ${tooFine} THEN NULL ELSE ${cast} END`,
    strict: `CASE WHEN ${misread} THEN error(${prefix} || ${reason}) WHEN ${tooFine} THEN error(${prefix} || ${fineReason}) ELSE coalesce(${cast}, CASE WHEN ${col} IS NOT NULL THEN error(${prefix} || ${reason}) END) END`,
    failed: `(${col} IS NOT NULL AND (${misread} OR coalesce(${tooFine}, false) OR ${cast} IS NULL))`,
    reason: `CASE WHEN ${tooFine} THEN ${fineReason} ELSE ${reason} END`,
  };
}

/** Fractional digits of a second each timestamp type keeps. */
const KEPT_DIGITS: Record<string, number> = { TIMESTAMP_S: 0, TIMESTAMP_MS: 3, TIMESTAMP_NS: 9 };

/**
 * Text to a TIMESTAMP type: DuckDB's cast, refusing a non-zero UTC offset (which the cast would
 * drop) and more fractional digits of a second than the type keeps (which it would cut). `Z`,
 * `+00` and `+00:00` lose nothing and are accepted. `epoch` and a year of fewer than four digits
 * (`1-1-1`) do not convert either (see castMisread); `infinity` and `-infinity` do.
 */
export function timestampConversion(col: string, type: string, prefix: string): NumberConversion {
  const t = type.trim().toUpperCase();
  const offset = offsetOf(col);
  const cast = `TRY_CAST(${col} AS ${t})`;
  const kept = KEPT_DIGITS[t] ?? 6;
  // The pattern matches run only where an offset or too many fractional digits are possible: the
  // usual form `2024-03-04 10:00:00` has no room for them, and a value without `+`, without `-`
  // after the date and with at most `kept` characters after the point has none either. Measured
  // on 10M values (scratch script, DuckDB 1.5): `…:00` values cast alone 0.23 s, checked 0.32 s;
  // `…:00.123000` values cast alone 0.25 s, checked 0.64 s (the pattern matches on every value
  // took 1.27 s).
  const plain = `${col} LIKE '____-__-__ __:__:__'`;
  const quick = `(NOT contains(${col}, '+') AND NOT contains(substr(${col}, 11), '-') AND (strpos(${col}, '.') = 0 OR length(${col}) - strpos(${col}, '.') <= ${kept}))`;
  const offsetBad = `(${offset} <> '' AND NOT regexp_full_match(${offset}, ${ZERO_OFFSET}))`;
  const tooFine = finerThan(col, kept);
  // Nested CASEs: in a projection DuckDB evaluates every operand of AND / OR on every row.
  const bad = `(CASE WHEN ${plain} THEN false WHEN ${quick} THEN false ELSE (${offsetBad} OR ${tooFine}) END)`;
  const fineReason = quotedValue(col, ` has more fractional digits of a second than ${t} keeps (${kept}): ${kept === 9 ? 'list the column as VARCHAR to keep them' : kept === 6 ? 'list the column as TIMESTAMP_NS to keep them' : 'list the column as TIMESTAMP or TIMESTAMP_NS to keep them'}`);
  const badReason = `CASE WHEN ${offsetBad} THEN ${quotedValue(col, ` is not a ${t} without losing its UTC offset `)} || ${offset} || ${stringLiteral(': list the column as TIMESTAMPTZ to keep the instant')} ELSE ${fineReason} END`;
  const notReason = quotedValue(col, ` is not a valid ${t}`);
  // The result is compared first, so DuckDB computes the cast once for all the uses below (it shares
  // an expression that the first condition of a CASE uses); most values pass on one comparison.
  // castMisread compares with TIMESTAMP literals (the year 1, 1000): as TIMESTAMP_NS, which holds
  // 1677 to 2262 only, they do not convert and every value before 1970 would fail the read.
  const misread = castMisread(col, t === 'TIMESTAMP_NS' ? `CAST(${cast} AS TIMESTAMP)` : cast);
  return {
    safe: `CASE WHEN ${misread} THEN NULL WHEN ${bad} THEN NULL ELSE ${cast} END`,
    strict: `CASE WHEN ${misread} THEN error(${prefix} || ${notReason}) WHEN ${bad} THEN error(${prefix} || ${badReason}) ELSE coalesce(${cast}, CASE WHEN ${col} IS NOT NULL THEN error(${prefix} || ${notReason}) END) END`,
    failed: `(${col} IS NOT NULL AND (${misread} OR ${bad} OR ${cast} IS NULL))`,
    reason: `CASE WHEN ${bad} THEN ${badReason} ELSE ${notReason} END`,
  };
}

/** The three forms of a conversion whose `cast` gives NULL where the text does not convert. */
function fromCast(col: string, cast: string, reason: string, prefix: string): NumberConversion {
  return {
    safe: cast,
    strict: `coalesce(${cast}, CASE WHEN ${col} IS NOT NULL THEN error(${prefix} || ${reason}) END)`,
    failed: `(${col} IS NOT NULL AND ${cast} IS NULL)`,
    reason,
  };
}

/**
 * Text to DATE: `YYYY-MM-DD` (one-digit months and days, spaces around; a four-digit year) and
 * nothing else, read by strptime, which refuses what follows the date where DuckDB's cast ignores it.
 * `infinity` and `-infinity` are the infinite dates, as DuckDB's cast reads them; `epoch` does not
 * convert. Most values pass on one comparison of the result: the text is looked at again only where
 * the result is 1900-01-01 (where try_strptime puts the special words) or before the year 1000.
 * `keepTime`: what to do with a value that has a time (the reason's end).
 */
export function dateConversion(col: string, prefix: string, keepTime = 'convert to TIMESTAMP to keep it'): NumberConversion {
  const withTime = `regexp_matches(${col}, ${stringLiteral('^\\s*[+-]?[0-9]+-[0-9]{1,2}-[0-9]{1,2}[ T][0-9]{1,2}:[0-9]{2}')})`;
  // Only a value that failed is looked at again, to say why.
  const reason = `CASE WHEN ${withTime} THEN ${quotedValue(col, ` is not a DATE: it has a time; ${keepTime}`)} ELSE ${quotedValue(col, ' is not a valid DATE (YYYY-MM-DD)')} END`;
  const read = `try_strptime(${col}, '%Y-%m-%d')`;
  const special = `CASE WHEN contains(${col}, '1900') THEN DATE '1900-01-01' WHEN NOT contains(lower(${col}), 'epoch') THEN TRY_CAST(${col} AS DATE) END`;
  // Dates as DuckDB writes them outside years 1-9999, which every Caudal sink writes so: `0045-03-15 (BC)`,
  // `12345-06-07` (reached only by text strptime did not read).
  const beyond = `regexp_full_match(${col}, ${stringLiteral('\\s*[0-9]{4,}-[0-9]{2}-[0-9]{2}( \\(BC\\))?\\s*')})`;
  const cast = `CASE WHEN ${read} > TIMESTAMP '1900-01-01' THEN CAST(${read} AS DATE) WHEN ${read} = TIMESTAMP '1900-01-01' THEN (${special}) WHEN ${read} >= TIMESTAMP '1000-01-01' THEN CAST(${read} AS DATE) WHEN contains(${col}, ${fourDigitYear(read, false)}) THEN CAST(${read} AS DATE) WHEN ${read} IS NULL AND ${beyond} THEN TRY_CAST(trim(${col}) AS DATE) END`;
  return fromCast(col, cast, reason, prefix);
}

/** The written forms of a time of day that TIME keeps whole: `H:MM`, `HH:MM:SS`, fractions of a second. */
const TIME_TEXT = stringLiteral('\\s*[0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\\.[0-9]{1,9})?)?\\s*');

/**
 * Text to TIME: a time of day alone (TIME columns are rare, so a pattern match is affordable here);
 * DuckDB's cast would read `01:45:00 PM` as 01:45 and drop a date or an offset around the time.
 */
export function timeConversion(col: string, prefix: string): NumberConversion {
  const cast = `CASE WHEN regexp_full_match(${col}, ${TIME_TEXT}) AND NOT ${finerThan(col, 6)} THEN TRY_CAST(${col} AS TIME) END`;
  const reason = `CASE WHEN ${finerThan(col, 6)} THEN ${quotedValue(col, ' has more fractional digits of a second than TIME keeps (6): list the column as VARCHAR to keep them')} ELSE ${quotedValue(col, ' is not a TIME written HH:MM or HH:MM:SS with nothing else (a date, an offset or AM/PM would be dropped): list the column as TIMESTAMP, TIMETZ or VARCHAR')} END`;
  return fromCast(col, cast, reason, prefix);
}
