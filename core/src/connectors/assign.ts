import { ident, literal, stringLiteral } from '../compiler/sql.js';
import type { Column } from '../nodes/define.js';
import { conversionCheck, mayLoseDigits } from '../nodes/shared/exact-widening.js';
import { decimalScale, isFloatType, roundsAway } from '../nodes/shared/locale-numbers.js';
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
 * The Spark runtime makes the same decisions in the server's SQL over its staging table
 * (`value_loss` in resources/spark/caudal_spark.py): a change here belongs there too.
 */

/** A target column type, in the kinds that some input would change. */
export interface TargetType {
  kind: 'integer' | 'numeric' | 'float' | 'date' | 'time' | 'timestamp' | 'datetime' | 'smalldatetime';
  /** numeric: digits after the point; time/timestamp: fractional digits of a second. */
  scale?: number;
  /** float: the DuckDB type holding what the column holds (DOUBLE for double precision, FLOAT for real). */
  float?: 'DOUBLE' | 'FLOAT';
  /** The type as the server names it, for messages: `numeric(10,2)`, `datetime2(0)`. */
  shown: string;
}

/** What writing a column into a target type would change. */
export type Loss =
  /** Every value would change (a timestamp into a time column): refused before the load. */
  | { refuse: string; hint: string }
  /** SQL true for a value that would change, and the error it raises (a SQL text expression). */
  | { changes: string; error: string };

/** A timestamp type, with or without a time zone. */
export const isTimestampType = (t: string) => isPlainTimestampType(t) || /^\s*(TIMESTAMPTZ|TIMESTAMP WITH TIME ZONE)\s*$/i.test(t);
/** Types whose values carry fractions of a second, read as microseconds (TIMESTAMP_NS, with nanoseconds, is checked on its own). */
const hasMicroseconds = (t: string) => /^(TIMESTAMP|TIMESTAMP_MS|TIMESTAMPTZ|TIMESTAMP WITH TIME ZONE|TIME)$/.test(t);
/** A DOUBLE, FLOAT or DECIMAL with decimal places. */
export const isFractionalType = (t: string) => isFloatType(t) || (decimalScale(t) ?? 0) > 0;

function truncation(name: string, digits: number): string {
  if (digits === 0) return `truncate it on purpose first (a Derive with date_trunc('second', ${name}))`;
  if (digits === 3) return `truncate it on purpose first (a Derive with date_trunc('millisecond', ${name}))`;
  return `truncate it to ${digits} fractional digit${digits === 1 ? '' : 's'} of a second on purpose first`;
}

/** What writing `column` (a DuckDB type) into `target` would change; undefined when nothing can. */
export function lossOf(column: Column, target: TargetType): Loss | undefined {
  const type = column.type.trim().toUpperCase();
  const c = ident(column.name);
  const into = `the table's column "${column.name}" (${target.shown})`;
  const error = (what: string, fix: string) => `${stringLiteral(`column "${column.name}" holds `)} || CAST(${c} AS VARCHAR) || ${stringLiteral(`, ${what}: ${fix}`)}`;

  if (type === 'VARCHAR') return textLoss(column, target, into, error);
  if (target.kind === 'time' && isTimestampType(type)) {
    return {
      refuse: `column "${column.name}" is ${column.type} in the input, but ${into} holds a time of day: writing it would drop the date of every value`,
      hint: `convert it on purpose first (a Derive with CAST(${column.name} AS TIME)), or make the table's column a timestamp`,
    };
  }
  const dateAndTime = target.kind === 'timestamp' || target.kind === 'datetime' || target.kind === 'smalldatetime';
  if (dateAndTime && isTimeType(type)) {
    return {
      // SQL Server gives each value the date 1900-01-01 without a word.
      refuse: `column "${column.name}" is TIME in the input, but ${into} holds a date and a time: writing it would give every value a date the data does not hold`,
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
      hint: `make the table's column a type that holds it (bigint, numeric), or round it on purpose first (a Derive with CAST(${column.name} AS DOUBLE))`,
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
  if (target.kind === 'numeric' && (isFloatType(type) || (scale !== undefined && scale > target.scale!))) {
    const s = target.scale!;
    return {
      changes: `round(${c}, ${literal(s)}) <> ${c}`,
      error: error(`which ${into} would round to ${s} decimal place${s === 1 ? '' : 's'}`, `round it on purpose first (a Derive with round(${column.name}, ${s})), or give the table's column more decimal places`),
    };
  }
  if (target.kind === 'timestamp' && type === 'TIMESTAMP_NS' && target.scale! < 9) {
    // Parquet files written by pandas hold TIMESTAMP_NS: their usual values have no digits past the
    // microsecond, and convert exactly; others would be rounded (PostgreSQL) or cut (SQL Server).
    return {
      changes: `epoch_ns(${c}) % ${literal(10 ** (9 - target.scale!))} <> 0`,
      error: error(
        `whose fraction of a second ${into} would round`,
        target.scale === 6 ? `truncate it to microseconds on purpose first (a Derive with CAST(${column.name} AS TIMESTAMP)), or keep it in a file (Parquet keeps nanoseconds)` : `${truncation(column.name, target.scale!)}, or give the table's column more precision`,
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
  if (target.kind === 'numeric') {
    const s = target.scale!;
    return {
      changes: `coalesce(${roundsAway(`trim(${c})`, `DECIMAL(38,${s})`, s)}, false)`,
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
    return {
      changes: `length(${fraction}) > ${literal(n)}`,
      error: error(`whose fraction of a second ${into} would round`, `${truncation(column.name, n)}, or give the table's column more precision`),
    };
  }
  return undefined;
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
