import { ident, literal, stringLiteral } from '../compiler/sql.js';
import type { Column } from '../nodes/define.js';
import { conversionCheck, mayLoseDigits } from '../nodes/shared/exact-widening.js';
import { decimalScale, INTEGER_DIGITS, isFloatType, isIntegerType, roundsAway } from '../nodes/shared/locale-numbers.js';
import { isPlainTimestampType, isTimeType } from '../nodes/shared/temporal-text.js';

/**
 * Loading into an existing database table makes the server convert each value to its column's
 * type, and some conversions change values without a word. Measured on PostgreSQL 16 through COPY:
 * a TIMESTAMP into a `date` column keeps the date (10:30 is dropped), into a `time` column the time
 * (the date is dropped); 12.345 into `numeric(10,2)` becomes 12.35; 10:30:00.7 into `timestamp(0)`
 * becomes 10:30:01. SQL Server's INSERT … SELECT does the same, and truncates 12.7 into an `int`.
 * This decides, per input column and target column type, what the export from DuckDB checks, so
 * that such a value stops the load naming the column and the value, while values that convert
 * exactly still load (a midnight timestamp into a date, 12.0 into an integer).
 *
 * SQL Server's `datetime` keeps steps of 1/300 s (shown .000, .003, .007) and `smalldatetime` whole
 * minutes: a value between steps is rounded to the nearest one, so it is refused as well.
 *
 * A float column (double precision, real) holds whole numbers exactly only up to 2^53 (2^24), and
 * 15 (6) significant digits: a BIGINT id or a long decimal past that would be rounded, so it is
 * refused (the same check as where DuckDB widens such values to DOUBLE, nodes/shared/exact-widening).
 *
 * Text goes to the server as it is and is parsed by the server's own input rules, which are broad
 * (`Jan 5 2024` is a date to PostgreSQL); what is checked is what those rules would change without
 * a word: `12.345` into `numeric(10,2)` (rounded), `2024-01-05 10:30` into a `date` (the time
 * dropped, when DuckDB reads the text as a timestamp), more fractional digits of a second than
 * a timestamp or time column keeps (rounded), and into SQL Server's `datetime` and `smalldatetime`
 * a time between their steps (rounded, as for a TIMESTAMP).
 *
 * Not checked, on purpose: a DOUBLE into a single-precision column (approximate by definition), a TIMESTAMPTZ into
 * a timestamp without zone (DuckDB sessions run in UTC, so it is the UTC wall clock, as a cast
 * gives), and PostgreSQL's `money` (its decimal places follow the server's locale).
 *
 * PostgreSQL also changes, measured on 16: each element of an array as it would the single value
 * (checked element by element); text past a `varchar(n)`/`char(n)` length when the excess is spaces
 * (cut without a word, unlike other excess: any value longer than n is refused); an interval past
 * its column's fields or precision (`1 day 3 hours` into `interval day` keeps 1 day); a UTC offset
 * or zone name in text, and a TIMETZ's offset, into a column without time zone (dropped: `12:00+05`
 * is stored 12:00). A TIMETZ is not converted to UTC as a TIMESTAMPTZ is: it is no instant (it has
 * no date), and its offset is data of its own, so a value with a non-zero offset is refused.
 *
 * The Spark runtime makes the same decisions in the server's SQL over its staging table
 * (`value_loss` in resources/spark/caudal_spark.py): a change here belongs there too.
 */

/** A target column type, in the kinds that some input would change. */
export interface TargetType {
  kind: 'integer' | 'numeric' | 'float' | 'date' | 'time' | 'timestamp' | 'datetime' | 'smalldatetime' | 'text' | 'interval' | 'array';
  /** numeric: digits after the point; time/timestamp/interval: fractional digits of a second. */
  scale?: number;
  /** numeric: total digits, when the server says (a value with more before the point is refused). */
  precision?: number;
  /** text: the most characters it holds (varchar(n), char(n)). */
  length?: number;
  /** interval: the smallest field it keeps (finer parts are cut). */
  fields?: IntervalField;
  /** time/timestamp: the server reads a UTC offset or zone given with a value and drops it (PostgreSQL without time zone). */
  dropsOffset?: boolean;
  /** array: its elements' type (their `shown` is the array's). */
  element?: TargetType;
  /** float: the DuckDB type holding what the column holds (DOUBLE for double precision, FLOAT for real). */
  float?: 'DOUBLE' | 'FLOAT';
  /** The type as the server names it, for messages: `numeric(10,2)`, `datetime2(0)`. */
  shown: string;
}

/** What writing a column into a target type would change. */
export type Loss =
  /** Every value would change (a timestamp into a time column): refused before the load. */
  | { refuse: string; hint: string }
  /** Some values would change (see Check). */
  | Check;

/** SQL true for a value that would change, and the error it raises (a SQL text expression). */
type Check = { changes: string; error: string };

export type IntervalField = 'year' | 'month' | 'day' | 'hour' | 'minute' | 'second';

/** A timestamp type, with or without a time zone. */
export const isTimestampType = (t: string) => isPlainTimestampType(t) || /^\s*(TIMESTAMPTZ|TIMESTAMP WITH TIME ZONE)\s*$/i.test(t);
/** DuckDB's time with a UTC offset. */
const isTimeTzType = (t: string) => /^\s*(TIMETZ|TIME WITH TIME ZONE)\s*$/i.test(t);
/** Types whose values carry fractions of a second, read as microseconds (TIMESTAMP_NS, with nanoseconds, is checked on its own). */
const hasMicroseconds = (t: string) => /^(TIMESTAMP|TIMESTAMP_MS|TIMESTAMPTZ|TIMESTAMP WITH TIME ZONE|TIME)$/.test(t);
/** A DOUBLE, FLOAT or DECIMAL with decimal places. */
export const isFractionalType = (t: string) => isFloatType(t) || (decimalScale(t) ?? 0) > 0;

function truncation(name: string, digits: number): string {
  if (digits === 0) return `truncate it on purpose first (a Derive with date_trunc('second', ${name}))`;
  if (digits === 3) return `truncate it on purpose first (a Derive with date_trunc('millisecond', ${name}))`;
  return `truncate it to ${digits} fractional digit${digits === 1 ? '' : 's'} of a second on purpose first`;
}

/**
 * What writing `column` (a DuckDB type) into `target` would change; undefined when nothing can.
 * `list` is the input's list type when `column` stands for its elements (see listLoss): the SQL
 * then reads one element by the column's name, and the messages speak of an element.
 */
export function lossOf(column: Column, target: TargetType, list?: string): Loss | undefined {
  if (target.kind === 'array') return listLoss(column, target);
  const type = column.type.trim().toUpperCase();
  const c = ident(column.name);
  const into = `the table's column "${column.name}" (${target.shown})`;
  const holds = `column "${column.name}" holds ${list ? 'a list with the element ' : ''}`;
  const forEach = list ? `; in a list, do it to each element (a Derive with list_transform(${column.name}, x -> …))` : '';
  const error = (what: string, fix: string) => `${stringLiteral(holds)} || CAST(${c} AS VARCHAR) || ${stringLiteral(`, ${what}: ${fix}${forEach}`)}`;

  if (target.kind === 'text') return type === 'VARCHAR' ? lengthLoss(column, target, into, holds, forEach) : undefined;
  if (target.kind === 'interval') return type === 'INTERVAL' ? intervalLoss(column, target, into, error) : undefined;
  if (type === 'VARCHAR') return textLoss(column, target, into, error);
  if (target.kind === 'time' && target.dropsOffset && isTimeTzType(type)) return timeTzLoss(column, target, into, error);
  if (target.kind === 'time' && isTimestampType(type)) {
    return {
      refuse: `column "${column.name}" is ${list ?? column.type} in the input, but ${into} holds a time of day: writing it would drop the date of every value`,
      hint: `convert it on purpose first (a Derive with CAST(${column.name} AS TIME)), or make the table's column a timestamp`,
    };
  }
  const dateAndTime = target.kind === 'timestamp' || target.kind === 'datetime' || target.kind === 'smalldatetime';
  if (dateAndTime && isTimeType(type)) {
    return {
      // SQL Server gives each value the date 1900-01-01 without a word.
      refuse: `column "${column.name}" is ${list ?? 'TIME'} in the input, but ${into} holds a date and a time: writing it would give every value a date the data does not hold`,
      hint: `add the date on purpose first (a Derive with some_date + ${column.name}), or make the table's column a time`,
    };
  }
  if (target.kind === 'datetime' && isTimestampType(type)) {
    // millisecond() and microsecond() count from the start of the minute, so they are never negative.
    const finerThanMs = type === 'TIMESTAMP_NS' ? `epoch_ns(${c}) % 1000000 <> 0` : `microsecond(${c}) % 1000 <> 0`;
    return {
      changes: `${finerThanMs} OR millisecond(${c}) % 10 NOT IN (0, 3, 7)`,
      error: error(
        `whose fraction of a second ${into} would round (it keeps steps of 1/300 s, shown as .000, .003 and .007)`,
        `truncate it on purpose first (a Derive with date_trunc('second', ${column.name})), or make the table's column datetime2`,
      ),
    };
  }
  if (target.kind === 'smalldatetime' && isTimestampType(type)) {
    return {
      changes: type === 'TIMESTAMP_NS' ? `epoch_ns(${c}) % 60000000000 <> 0` : `microsecond(${c}) <> 0`,
      error: error(`whose seconds ${into} would round to the minute`, `truncate it on purpose first (a Derive with date_trunc('minute', ${column.name})), or make the table's column datetime2`),
    };
  }
  if (target.kind === 'date' && isTimestampType(type)) {
    return {
      // Through TIMESTAMP: DuckDB has no TIMESTAMPTZ to TIME cast (the session's zone is UTC).
      changes: `CAST(CAST(${c} AS TIMESTAMP) AS TIME) <> TIME '00:00:00'`,
      error: error(`whose time of day ${into} would drop`, `convert it on purpose first (a Derive with CAST(${column.name} AS DATE) keeps the date), or make the table's column a timestamp`),
    };
  }
  if (target.kind === 'float' && mayLoseDigits(type, target.float!)) {
    const check = conversionCheck(column.name, column.type, target.float!, {
      into,
      hint: `make the table's column a type that holds it (bigint, numeric), or round it on purpose first (a Derive with CAST(${column.name} AS DOUBLE))${forEach}`,
    });
    return { changes: check.changes, error: check.message };
  }
  const scale = decimalScale(type);
  if (target.kind === 'integer' && isFractionalType(type)) {
    return {
      changes: `${c} <> trunc(${c})`,
      error: error(`which is not a whole number, and ${into} holds whole numbers`, `round it on purpose first (a Derive with round(${column.name}) or trunc(${column.name})), or make the table's column a decimal type`),
    };
  }
  if (target.kind === 'numeric' && target.precision !== undefined && isIntegerType(type)) {
    const loss = integerDigitsLoss(c, type, target.precision - target.scale!);
    if (loss) {
      return {
        changes: loss,
        error: error(
          `which has more digits than ${into} holds (${target.precision - target.scale!} before the point)`,
          `give the table's column more digits (numeric(39,0) holds any HUGEINT; a table the load creates gets numeric(38,0), so create it first), or convert it on purpose first (a Derive with CAST(${column.name} AS VARCHAR))`,
        ),
      };
    }
  }
  if (target.kind === 'numeric' && (isFloatType(type) || (scale !== undefined && scale > target.scale!))) {
    const s = target.scale!;
    return {
      changes: `round(${c}, ${literal(s)}) <> ${c}`,
      error: error(`which ${into} would round to ${s} decimal place${s === 1 ? '' : 's'}`, `round it on purpose first (a Derive with round(${column.name}, ${s})), or give the table's column more decimal places`),
    };
  }
  const nanoseconds = (target.kind === 'timestamp' && type === 'TIMESTAMP_NS') || (target.kind === 'time' && type === 'TIME_NS');
  if (nanoseconds && target.scale! < 9) {
    // Parquet files written by pandas hold TIMESTAMP_NS: their usual values have no digits past the
    // microsecond, and convert exactly; others would be rounded (PostgreSQL) or cut (SQL Server).
    // The same for TIME_NS into a time column (12:00:00.123456789 landed as .123457).
    return {
      changes: `epoch_ns(${c}) % ${literal(10 ** (9 - target.scale!))} <> 0`,
      error: error(
        `whose fraction of a second ${into} would round`,
        target.scale === 6 ? `truncate it to microseconds on purpose first (a Derive with CAST(${column.name} AS ${type === 'TIME_NS' ? 'TIME' : 'TIMESTAMP'})), or keep it in a file (Parquet keeps nanoseconds)` : `${truncation(column.name, target.scale!)}, or give the table's column more precision`,
      ),
    };
  }
  const sameKind = (target.kind === 'time') === (type === 'TIME');
  if ((target.kind === 'timestamp' || target.kind === 'time') && target.scale! < 6 && hasMicroseconds(type) && sameKind) {
    return {
      changes: `microsecond(${c}) % ${literal(10 ** (6 - target.scale!))} <> 0`,
      error: error(`whose fraction of a second ${into} would round`, `${truncation(column.name, target.scale!)}, or give the table's column more precision`),
    };
  }
  return undefined;
}

/** What the server's parse of a text column's values would change in `target` (see the header). */
function textLoss(column: Column, target: TargetType, into: string, error: (what: string, fix: string) => string): Loss | undefined {
  const c = ident(column.name);
  const at = `TRY_CAST(trim(${c}) AS TIMESTAMP)`;
  if (target.kind === 'float' && target.float) {
    // Text writing a whole number the column's float type does not hold ('16777217' into real is
    // 16777216, '9007199254740993' into double precision ...992), as a BIGINT would be checked.
    // Fractions are approximate in a float by definition, as for typed values.
    const whole = `TRY_CAST(trim(${c}) AS HUGEINT)`;
    return {
      changes: `coalesce(CAST(CAST(${whole} AS ${target.float}) AS HUGEINT) <> ${whole}, false)`,
      error: error(
        `a whole number ${into} cannot hold exactly (${target.float === 'FLOAT' ? 'a real holds whole numbers exactly up to 2^24' : 'a double holds whole numbers exactly up to 2^53'})`,
        `make the table's column a type that holds it (bigint, numeric), or convert it on purpose first (a Derive with CAST(${column.name} AS ${target.float}))`,
      ),
    };
  }
  if (target.kind === 'numeric') {
    const s = target.scale!;
    return {
      changes: `coalesce(${roundsAway(`trim(${c})`, s)}, false)`,
      error: error(`which ${into} would round to ${s} decimal place${s === 1 ? '' : 's'}`, `round it on purpose first (a Derive with round(CAST(${column.name} AS DOUBLE), ${s})), or give the table's column more decimal places`),
    };
  }
  if (target.kind === 'date') {
    return {
      changes: `coalesce(CAST(${at} AS TIME) <> TIME '00:00:00', false)`,
      error: error(`whose time of day ${into} would drop`, `convert it on purpose first (a Derive with CAST(CAST(${column.name} AS TIMESTAMP) AS DATE) keeps the date), or make the table's column a timestamp`),
    };
  }
  // SQL Server's datetime and smalldatetime round what they parse to their steps, as they round a
  // TIMESTAMP (lossOf); judged on the text read as a timestamp, so text DuckDB cannot read that way
  // is left to the server's own parse.
  if (target.kind === 'datetime') {
    return {
      changes: `coalesce(microsecond(${at}) % 1000 <> 0 OR millisecond(${at}) % 10 NOT IN (0, 3, 7), false)`,
      error: error(
        `whose fraction of a second ${into} would round (it keeps steps of 1/300 s, shown as .000, .003 and .007)`,
        `truncate it on purpose first (a Derive with date_trunc('second', CAST(${column.name} AS TIMESTAMP))), or make the table's column datetime2`,
      ),
    };
  }
  if (target.kind === 'smalldatetime') {
    return {
      changes: `coalesce(microsecond(${at}) <> 0, false)`,
      error: error(`whose seconds ${into} would round to the minute`, `truncate it on purpose first (a Derive with date_trunc('minute', CAST(${column.name} AS TIMESTAMP))), or make the table's column datetime2`),
    };
  }
  if ((target.kind === 'timestamp' || target.kind === 'time') && target.scale! < 9) {
    const n = target.scale!;
    // The digits after the seconds' point, trailing zeros aside.
    const fraction = `rtrim(regexp_extract(${c}, ':\\d\\d\\.(\\d+)', 1), '0')`;
    const rounded = {
      changes: `length(${fraction}) > ${literal(n)}`,
      error: error(`whose fraction of a second ${into} would round`, `${truncation(column.name, n)}, or give the table's column more precision`),
    };
    return anyOf(target.dropsOffset ? zoneInText(column.name, target, into, error) : undefined, rounded);
  }
  return undefined;
}

/**
 * What follows the (last written) time of day in a text, lower case, without what is no zone: AM/PM,
 * a year written after the time (`Sat Jun 01 12:00:00 2024`, PostgreSQL's own style) and a BC/AD era.
 */
const afterTime = (c: string) =>
  `trim(regexp_replace(lower(regexp_extract(${c}, ${stringLiteral('[0-9]:[0-9]{2}(?::[0-9]{2})?(?:[.,][0-9]*)?(.*)$')}, 1)), ${stringLiteral('^\\s*(?:[ap]\\.?m\\.?)?\\s*(?:[0-9]{4}\\b)?|\\s*\\b(?:bc|ad)\\s*$')}, '', 'g'))`;
/** Zones that mean UTC: the value is the UTC wall clock, which is what a column without zone gets from a TIMESTAMPTZ too. */
const UTC_ZONE = stringLiteral('(?:z|utc|gmt|ut|[+-]0{1,2}(?::?00){0,2})');

/**
 * Text with a UTC offset or a zone name after its time of day (`12:00:00+05`, `… America/New_York`),
 * which PostgreSQL's timestamp and time without time zone read and drop: 12:00 stays 12:00.
 */
function zoneInText(name: string, target: TargetType, into: string, error: (what: string, fix: string) => string): Check {
  const zone = afterTime(ident(name));
  return {
    changes: `${zone} <> '' AND NOT regexp_full_match(${zone}, ${UTC_ZONE})`,
    error: error(
      `whose UTC offset or time zone ${into} would drop (it keeps the time as written)`,
      target.kind === 'timestamp'
        ? `convert it on purpose first (a Derive with CAST(${name} AS TIMESTAMPTZ) gives the instant, written as its UTC wall clock), or make the table's column timestamptz`
        : `remove the offset on purpose first, or make the table's column time with time zone`,
    ),
  };
}

/**
 * A TIMETZ into a time without time zone: PostgreSQL drops the offset (12:00:00+05 becomes 12:00:00),
 * so a value with a non-zero one is refused, as is a finer fraction of a second than the column keeps.
 */
function timeTzLoss(column: Column, target: TargetType, into: string, error: (what: string, fix: string) => string): Loss | undefined {
  const c = ident(column.name);
  const offset = {
    changes: `date_part('timezone', ${c}) <> 0`,
    error: error(`whose UTC offset ${into} would drop`, `convert it on purpose first (a Derive with CAST(${column.name} AS TIME) keeps the local time of day), or make the table's column time with time zone`),
  };
  const rounded =
    target.scale! < 6
      ? {
          changes: `microsecond(${c}) % ${literal(10 ** (6 - target.scale!))} <> 0`,
          error: error(`whose fraction of a second ${into} would round`, `${truncation(column.name, target.scale!)}, or give the table's column more precision`),
        }
      : undefined;
  return anyOf(offset, rounded);
}

/** The first of several checks that a value fails, as one (its error is the failing check's). */
function anyOf(...losses: Array<Check | undefined>): Check | undefined {
  const checks = losses.filter((l) => l !== undefined);
  if (checks.length <= 1) return checks[0];
  return {
    changes: checks.map((l) => `coalesce(${l.changes}, false)`).join(' OR '),
    error: `CASE ${checks.map((l) => `WHEN coalesce(${l.changes}, false) THEN ${l.error}`).join(' ')} END`,
  };
}

/**
 * Text longer than a varchar(n) or char(n) column: PostgreSQL refuses the excess unless it is
 * spaces, which it cuts without a word (`'abc       '` into varchar(5) becomes `'abc  '`, the SQL
 * standard's rule). Any value longer than n is refused here, the same way whatever the excess.
 */
function lengthLoss(column: Column, target: TargetType, into: string, holds: string, forEach: string): Check {
  const c = ident(column.name);
  const n = target.length!;
  return {
    // Characters (code points), as PostgreSQL counts them.
    changes: `length(${c}) > ${literal(n)}`,
    error: `${stringLiteral(`${holds}'`)} || ${c} || ${stringLiteral(`', `)} || CAST(length(${c}) AS VARCHAR) || ${stringLiteral(
      ` characters, but ${into} holds at most ${n}: shorten it on purpose first (a Derive with left(${column.name}, ${n}), or rtrim(${column.name}) for trailing spaces), or widen the table's column${forEach}`,
    )}`,
  };
}

/** Per interval field: SQL true where a value has parts finer than the field, which a column keeping no finer field cuts. */
const FINER_PARTS: Record<Exclude<IntervalField, 'second'>, (c: string) => string> = {
  year: (c) => `date_part('month', ${c}) <> 0 OR date_part('day', ${c}) <> 0 OR ${FINER_PARTS.day(c)}`,
  month: (c) => `date_part('day', ${c}) <> 0 OR ${FINER_PARTS.day(c)}`,
  day: (c) => `date_part('hour', ${c}) <> 0 OR ${FINER_PARTS.hour(c)}`,
  hour: (c) => `date_part('minute', ${c}) <> 0 OR ${FINER_PARTS.minute(c)}`,
  // date_part('microseconds') is the seconds and their fraction, in microseconds.
  minute: (c) => `date_part('microseconds', ${c}) <> 0`,
};

/**
 * An INTERVAL into an interval column with fewer fields (`interval day` keeps months and days, and
 * drops the time: 1 day 3 hours becomes 1 day) or fewer fractional digits of a second (rounded).
 */
function intervalLoss(column: Column, target: TargetType, into: string, error: (what: string, fix: string) => string): Loss | undefined {
  const c = ident(column.name);
  const field = target.fields ?? 'second';
  if (field !== 'second') {
    return {
      changes: FINER_PARTS[field](c),
      error: error(`which ${into} would cut to whole ${field}s`, `truncate it on purpose first (a Derive with date_trunc('${field}', ${column.name})), or make the table's column a plain interval`),
    };
  }
  if (target.scale! >= 6) return undefined;
  return {
    changes: `date_part('microseconds', ${c}) % ${literal(10 ** (6 - target.scale!))} <> 0`,
    error: error(`whose fraction of a second ${into} would round`, `${truncation(column.name, target.scale!)}, or give the table's column more precision`),
  };
}

/** SQL true where an integer has more than `digits` digits; undefined when the type never has. */
function integerDigitsLoss(c: string, type: string, digits: number): string | undefined {
  if ((INTEGER_DIGITS[type] ?? 0) <= digits) return undefined;
  if (digits === 0) return `${c} <> 0`;
  // In the column's own type, which holds it (it has more digits): compared exactly.
  const most = `CAST('${'9'.repeat(digits)}' AS ${type})`;
  return type.startsWith('U') ? `${c} > ${most}` : `${c} NOT BETWEEN -${most} AND ${most}`;
}

/** A list's element type (`TIMESTAMP` for `TIMESTAMP[]`, and for a fixed-size `TIMESTAMP[3]`). */
export const listElementType = (type: string): string | undefined => /^(.+)\[\d*\]$/.exec(type.trim())?.[1];

/**
 * A list into an array column: each element as the single value would be (see lossOf). The element's
 * check is written for the column's name, so it runs in a lambda whose parameter has that name.
 */
function listLoss(column: Column, target: TargetType): Loss | undefined {
  const element = listElementType(column.type);
  if (!element || !target.element) return undefined;
  const loss = lossOf({ name: column.name, type: element }, { ...target.element, shown: target.shown }, column.type);
  if (!loss || 'refuse' in loss) return loss;
  const c = ident(column.name);
  // A fixed-size ARRAY as the list of its elements' type.
  const list = column.type.trim().endsWith('[]') ? c : `CAST(${c} AS ${element}[])`;
  const changed = `list_filter(${list}, ${c} -> ${loss.changes})`;
  // The error names the first element that would change.
  return { changes: `len(${changed}) > 0`, error: `list_transform(${changed}, ${c} -> ${loss.error})[1]` };
}

/** `value` (the column's export expression), raising the loss's error where it would change. */
export function checkedValue(loss: Loss | undefined, value: string): string {
  if (!loss || 'refuse' in loss) return value;
  return `CASE WHEN ${loss.changes} THEN error(${loss.error}) ELSE ${value} END`;
}

/** The first input column that its target type would change in every value. */
export function refusedColumn(columns: Column[], targetOf: (name: string) => TargetType | undefined): { column: string; refuse: string; hint: string } | undefined {
  for (const c of columns) {
    const target = targetOf(c.name);
    const loss = target && lossOf(c, target);
    if (loss && 'refuse' in loss) return { column: c.name, ...loss };
  }
  return undefined;
}
