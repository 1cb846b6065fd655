import { ident, stringLiteral } from '../../compiler/sql.js';
import type { Column } from '../../nodes/define.js';
import { FLOAT_DIGITS, isFloatType, significantDigits } from '../../nodes/shared/locale-numbers.js';
import { checkedValue, isFractionalType, isTimestampType, listElementType, lossOf, type IntervalField, type TargetType } from '../assign.js';

/**
 * Type mapping between PostgreSQL and DuckDB. Reads travel as CSV text, so each remote type has
 * an expression that makes its text unambiguous on the PostgreSQL side (bytea as hex, arrays as
 * JSON, intervals as months/days/microseconds) and one that turns it into the DuckDB type.
 */
export interface PgTypeInfo {
  oid: number;
  /** pg_type.typname, e.g. int4, timestamptz, _int4 for int4[]. */
  name: string;
  /** pg_type.typcategory: A = array. */
  category: string;
  /** For arrays: the element's typname. */
  element?: string;
  /** format_type(): the name a user knows, e.g. `numeric(12,3)`, `integer[]`. */
  display: string;
  /**
   * For arrays of a table column: the dimensions its declaration states (pg_attribute.attndims,
   * 2 for `int[][]`). A query's result does not say, nor does PostgreSQL enforce it on values.
   */
  dims?: number;
}

export interface ColumnTransport {
  /** DuckDB type of the column once read. */
  duckdbType: string;
  /** Select expression on the PostgreSQL side for a quoted column reference. */
  remote(col: string): string;
  /** Type the CSV field is read as in DuckDB. */
  csvType: string;
  /** Expression on the DuckDB side turning the CSV field (quoted reference) into `duckdbType`. */
  local(col: string): string;
}

const SCALARS: Record<string, string> = {
  int2: 'SMALLINT',
  int4: 'INTEGER',
  int8: 'BIGINT',
  oid: 'BIGINT',
  float4: 'FLOAT',
  float8: 'DOUBLE',
  bool: 'BOOLEAN',
  text: 'VARCHAR',
  varchar: 'VARCHAR',
  bpchar: 'VARCHAR',
  char: 'VARCHAR',
  name: 'VARCHAR',
  citext: 'VARCHAR',
  date: 'DATE',
  time: 'TIME',
  timetz: 'TIMETZ',
  timestamp: 'TIMESTAMP',
  timestamptz: 'TIMESTAMPTZ',
  uuid: 'UUID',
  json: 'JSON',
  jsonb: 'JSON',
};

/** numeric(p,s) from its type modifier; unconstrained numeric has none (-1). */
export function numericPrecision(typmod: number): { precision: number; scale: number } | undefined {
  if (typmod < 4) return undefined;
  const v = typmod - 4;
  // The scale is an 11-bit signed number (PostgreSQL 15 allows numeric(5,-2), rounded to hundreds).
  return { precision: (v >> 16) & 0xffff, scale: ((v & 0x7ff) ^ 1024) - 1024 };
}

/**
 * The DECIMAL that holds every value of numeric(p,s) exactly, when one does: numeric(3,5) holds
 * 0.00123 (DECIMAL(5,5)), numeric(5,-2) whole numbers up to 9,999,900 (DECIMAL(7,0)). Both failed
 * the read with DuckDB's "scale cannot be greater than width" / "scale must be between 0 and 38".
 */
function decimalFor(p: { precision: number; scale: number }): string | undefined {
  const scale = Math.max(p.scale, 0);
  const width = p.scale < 0 ? p.precision - p.scale : Math.max(p.precision, p.scale);
  return width <= 38 ? `DECIMAL(${width},${scale})` : undefined;
}

const plain = (duckdbType: string): ColumnTransport => ({
  duckdbType,
  remote: (c) => c,
  csvType: duckdbType,
  local: (c) => c,
});

const asText: ColumnTransport = { duckdbType: 'VARCHAR', remote: (c) => `${c}::text`, csvType: 'VARCHAR', local: (c) => c };

function scalarType(name: string, typmod: number): string | undefined {
  if (name === 'numeric') {
    const p = numericPrecision(typmod);
    // DuckDB decimals stop at 38 digits; unconstrained numeric has no declared scale. Both become
    // DOUBLE (documented): cast in the query, e.g. amount::numeric(18,2), to keep exact decimals.
    return (p && decimalFor(p)) ?? 'DOUBLE';
  }
  return SCALARS[name];
}

/**
 * PostgreSQL writes a date before year 1 with the era last, `0044-03-15 BC` (`0044-03-15 10:00:00+00
 * BC` for a timestamp). DuckDB writes `0044-03-15 (BC)`, the era right after the date, and read
 * PostgreSQL's form of a date as the year 44 AD, without a word (a timestamp failed the read).
 * Both sides move the era to where DuckDB reads it: PostgreSQL in the read's query (only for values
 * before year 1, so the others keep COPY's plain output), DuckDB for text that arrives as is (CDC).
 */
const ERA_LAST = stringLiteral('^(\\S+)(.*) BC$');
const ERA_AFTER_DATE = stringLiteral('\\1 (BC)\\2');

/** DuckDB SQL: PostgreSQL's text of a date or timestamp (`text`) with a BC era where DuckDB reads it. */
export function duckdbEra(text: string): string {
  return `CASE WHEN suffix(${text}, ' BC') THEN regexp_replace(${text}, ${ERA_LAST}, ${ERA_AFTER_DATE}) ELSE ${text} END`;
}

const DATE_TYPES = new Set(['DATE', 'TIMESTAMP', 'TIMESTAMPTZ']);

/**
 * A date or timestamp column, its BC values rewritten on the PostgreSQL side (see duckdbEra). It
 * travels as text and is converted here: read_csv turned a timestamp DuckDB cannot hold (PostgreSQL
 * reaches 294276 AD, DuckDB 294247 AD) into NULL without a word.
 */
const withEra = (duckdbType: string): ColumnTransport => ({
  duckdbType,
  remote: (c) => `CASE WHEN ${c} < '0001-01-01' THEN regexp_replace(${c}::text, ${ERA_LAST}, ${ERA_AFTER_DATE}) ELSE ${c}::text END`,
  csvType: 'VARCHAR',
  local: (c) => temporalText(c, duckdbType, unquoted(c)),
});

/** PostgreSQL's text of a date or timestamp (the quoted reference `c`, of column `name`) as `duckdbType`, refusing one outside its range. */
function temporalText(c: string, duckdbType: string, name: string): string {
  const shown = duckdbType === 'TIMESTAMPTZ' ? 'TIMESTAMP WITH TIME ZONE' : duckdbType;
  const message = `${stringLiteral(`column "${name}": '`)} || ${c} || ${stringLiteral(`' is outside the range of DuckDB's ${shown} (290309 BC to 294247 AD; PostgreSQL's reaches 294276 AD): fix the value at the source, or read it as text in a query (${name}::text)`)}`;
  return `CASE WHEN ${c} IS NULL THEN NULL ELSE coalesce(TRY_CAST(${c} AS ${duckdbType}), error(${message})) END`;
}

export function transportFor(t: PgTypeInfo, typmod: number): ColumnTransport {
  if (t.category === 'A') {
    // An array column's typmod is its elements' (numeric(10,2)[] holds DECIMAL(10,2) values).
    const elem = t.element ? scalarType(t.element, typmod) : undefined;
    // Arrays of plain scalars become DuckDB lists, nested as deep as a table column declares
    // (int[][] → INTEGER[][]; multiDimensionRefusal covers the element types read otherwise);
    // anything else stays JSON.
    const byElement = t.element === 'numeric' || (elem !== undefined && DATE_TYPES.has(elem));
    const dims = byElement ? 1 : Math.max(1, t.dims ?? 1);
    const listType = elem && elem !== 'JSON' ? `${elem}${'[]'.repeat(dims)}` : 'JSON';
    if (listType !== 'JSON' && elem !== undefined && DATE_TYPES.has(elem)) {
      // Elements in PostgreSQL's text (to_json writes `0044-03-15T10:00:00 BC`), their era moved (duckdbEra).
      return { duckdbType: listType, remote: (c) => `array_to_json(${c}::text[])::text`, csvType: 'VARCHAR', local: (c) => ofDimensions(c, listType, 1, eraListFromJson(c, listType)) };
    }
    if (t.element === 'numeric' && listType !== 'JSON') {
      // DuckDB reads a JSON number through a double (12345678901234567.89 → …567.68): numeric
      // elements travel as JSON strings and are converted from their text.
      return { duckdbType: listType, remote: (c) => `array_to_json(${c}::text[])::text`, csvType: 'VARCHAR', local: (c) => ofDimensions(c, listType, 1, numericListFromJson(c, listType, unquoted(c))) };
    }
    return {
      duckdbType: listType,
      remote: (c) => `array_to_json(${c})::text`,
      csvType: 'VARCHAR',
      local: (c) => (listType === 'JSON' ? `CAST(${c} AS JSON)` : ofDimensions(c, listType, dims, `CAST(CAST(${c} AS JSON) AS ${listType})`)),
    };
  }
  if (t.name === 'bytea') {
    return { duckdbType: 'BLOB', remote: (c) => `encode(${c}, 'hex')`, csvType: 'VARCHAR', local: (c) => `from_hex(${c})` };
  }
  if (t.name === 'inet') {
    // inet's cast to text always adds the mask ('10.0.0.1/32'); its output, what psql and arrays
    // show and what a filter compares with, leaves a host's out ('10.0.0.1'). format() writes the output.
    return { ...asText, remote: (c) => `CASE WHEN ${c} IS NOT NULL THEN format('%s', ${c}) END` };
  }
  if (t.name === 'interval') {
    // PostgreSQL's interval text ("-1 days +02:00:00") is not DuckDB's; months/days/microseconds is exact for both.
    return {
      duckdbType: 'INTERVAL',
      remote: (c) =>
        `CASE WHEN ${c} IS NULL THEN NULL ELSE ((extract(year FROM ${c}) * 12 + extract(month FROM ${c}))::int)::text || ' months ' || (extract(day FROM ${c})::int)::text || ' days ' || ((extract(hour FROM ${c}) * 3600 + extract(minute FROM ${c}) * 60) * 1000000 + extract(microseconds FROM ${c}))::bigint::text || ' microseconds' END`,
      csvType: 'VARCHAR',
      local: (c) => `CAST(${c} AS INTERVAL)`,
    };
  }
  if (t.name === 'numeric' && scalarType(t.name, typmod) === 'DOUBLE') return numericAsDouble;
  const scalar = scalarType(t.name, typmod);
  if (scalar && DATE_TYPES.has(scalar)) return withEra(scalar);
  return scalar ? plain(scalar) : asText;
}

/**
 * `cast` of an array's JSON text (the quoted reference `c`) when the value has the `dims`
 * dimensions of `listType`, else an error naming the column and its dimensions. PostgreSQL types
 * `int[]` and `int[][]` alike and holds values of any dimensions in either: DuckDB's own cast of
 * `[[1,2],[3,4]]` to INTEGER[] said only "Failed to cast value to numerical: [3,4]". Elements are
 * scalars here (an array of JSON stays JSON), so the leading brackets count the dimensions; `[]`,
 * PostgreSQL's empty array, has none and fits any.
 */
function ofDimensions(c: string, listType: string, dims: number, cast: string): string {
  const name = unquoted(c);
  const fits = `starts_with(${c}, ${stringLiteral('['.repeat(dims))}) AND NOT starts_with(${c}, ${stringLiteral('['.repeat(dims + 1))})`;
  const found = `CAST(length(regexp_extract(${c}, '^\\[+')) AS VARCHAR)`;
  const message = `${stringLiteral(`column "${name}" is read as ${listType} (arrays of ${dims === 1 ? '1 dimension' : `${dims} dimensions`}), but a value has `)} || ${found} || ${stringLiteral(` dimension(s) (`)} || left(${c}, 80) || ${stringLiteral(`): cast it in a query, to_jsonb(${name}) to read it as JSON or ${name}::text as PostgreSQL's text, or read it from a table column declared with the dimensions its values have (e.g. int[][])`)}`;
  return `CASE WHEN ${c} IS NULL OR ${c} = '[]' OR (${fits}) THEN ${cast} ELSE error(${message}) END`;
}

/**
 * Before the run: an array column declared with more than one dimension whose elements are not read
 * by a plain cast (numeric, dates and timestamps convert element by element, one level deep). Undefined
 * when the column reads as it is.
 */
export function multiDimensionRefusal(name: string, t: PgTypeInfo): string | undefined {
  if (t.category !== 'A' || (t.dims ?? 1) <= 1 || !t.element) return undefined;
  const elem = scalarType(t.element, -1);
  if (t.element !== 'numeric' && !(elem && DATE_TYPES.has(elem))) return undefined;
  // format_type() says `numeric(10,2)[]` whatever the declaration: show the dimensions declared.
  const declared = t.display.replace(/(\[\])+$/, '[]'.repeat(t.dims!));
  return `column '${name}' (${declared}) is declared with ${t.dims} dimensions, and arrays of ${t.element} elements are read with one only: read the table with a query that casts it, e.g. to_jsonb(${name}) AS ${name} for JSON or ${name}::text AS ${name} for PostgreSQL's text`;
}

/** Significant digits a DOUBLE keeps for any decimal: one with at most 15 reads back as written. */
const DOUBLE_DIGITS = FLOAT_DIGITS.DOUBLE!;

/**
 * Unconstrained `numeric` (or one wider than DuckDB's 38 digits) becomes DOUBLE, which keeps about
 * 15 significant digits: 1234567890.123456789 arrived as 1234567890.1234567 without a word. The
 * value travels as text and one with more significant digits than a DOUBLE keeps stops the read,
 * naming the column and the value; cast in the query to keep them (`amount::numeric(38,9)`).
 */
const numericAsDouble: ColumnTransport = {
  duckdbType: 'DOUBLE',
  remote: (c) => `${c}::text`,
  csvType: 'VARCHAR',
  local: (c) => numericTextAsDouble(c, unquoted(c)),
};

/** The column name of a quoted reference. */
const unquoted = (c: string) => c.replace(/^"|"$/g, '').replaceAll('""', '"');

/**
 * A list of numeric elements from JSON text holding them as strings (`["12.50", null]`): as
 * DECIMAL(p,s) from their text, exactly; as DOUBLE (unconstrained numeric) refusing an element
 * with more digits than a DOUBLE keeps, as for a single value.
 */
export function numericListFromJson(c: string, listType: string, name: string): string {
  const texts = `CAST(CAST(${c} AS JSON) AS VARCHAR[])`;
  if (listType === 'DOUBLE[]') return `list_transform(${texts}, caudal_e -> ${numericTextAsDouble('caudal_e', name)})`;
  return `CAST(${texts} AS ${listType})`;
}

/** A list of dates or timestamps from JSON text holding PostgreSQL's text of each (`["0044-03-15 BC", null]`). */
export function eraListFromJson(c: string, listType: string): string {
  return `list_transform(CAST(CAST(${c} AS JSON) AS VARCHAR[]), caudal_e -> CAST(${duckdbEra('caudal_e')} AS ${listType.slice(0, -2)}))`;
}

/** A numeric's text (the quoted reference `c`, of column `name`) as DOUBLE, refusing one with more digits than a DOUBLE keeps. */
export function numericTextAsDouble(c: string, name: string): string {
  const significant = significantDigits(c);
  const message = `${stringLiteral(`column "${name}": numeric without a declared precision is read as DOUBLE, which keeps ${DOUBLE_DIGITS} significant digits, but '`)} || ${c} || ${stringLiteral(`' has more: cast it in a query to keep them, e.g. ${name}::numeric(38,10), or give the column a precision`)}`;
  // Numeric's text has no exponent: 1e400 is 401 digits, so the value is shortened in the message.
  const shortened = `CASE WHEN length(${c}) > 20 THEN left(${c}, 20) || '…' ELSE ${c} END`;
  const range = `${stringLiteral(`column "${name}": numeric without a declared precision is read as DOUBLE, which holds values from about 4.9e-324 to 1.8e308, but '`)} || ${shortened} || ${stringLiteral(`' is outside that range: cast it in a query, e.g. ${name}::text, or give the column a precision of at most 38 digits`)}`;
  // A DOUBLE reads 1e400 as Infinity and 1e-400 as 0: both refused unless the text says so.
  const double = `CAST(${c} AS DOUBLE)`;
  // Below 2.2e-308 (subnormal) a DOUBLE keeps fewer digits the closer to zero: about log10 of the
  // value over the smallest one. 1e-310 passes; 1.2345e-320, which would read 1.2347e-320, stops.
  const kept = `greatest(1, floor(log10(abs(${double}) / 4.9406564584124654e-324)))`;
  const subnormal = `${double} <> 0 AND abs(${double}) < 2.2250738585072014e-308 AND ${significant} > ${kept}`;
  const fewer = `${stringLiteral(`column "${name}": numeric without a declared precision is read as DOUBLE, which keeps fewer than ${DOUBLE_DIGITS} digits below 2.2e-308 (`)} || CAST(${kept} AS BIGINT) || ${stringLiteral(` for this value): the value with the significant digits `)} || rtrim(ltrim(replace(${c}, '.', ''), '-0'), '0') || ${stringLiteral(` would read as `)} || CAST(${double} AS VARCHAR) || ${stringLiteral(`; cast it in a query, e.g. ${name}::text`)}`;
  return `CASE WHEN ${c} IN ('NaN', 'Infinity', '-Infinity') THEN ${double} WHEN ${significant} > ${DOUBLE_DIGITS} THEN error(${message}) WHEN isinf(${double}) OR (${double} = 0 AND ${significant} > 0) THEN error(${range}) WHEN ${subnormal} THEN error(${fewer}) ELSE ${double} END`;
}

/** True for a column type display (format_type) that transportFor reads as DOUBLE through numericTextAsDouble. */
export function isNumericAsDouble(remoteType: string, duckdbType: string): boolean {
  return /^numeric\b/i.test(remoteType) && duckdbType === 'DOUBLE';
}

// ---- DuckDB → PostgreSQL (sinks) ------------------------------------------------------------

const PG_FOR_DUCKDB: Record<string, string> = {
  BOOLEAN: 'boolean',
  TINYINT: 'smallint',
  SMALLINT: 'smallint',
  INTEGER: 'integer',
  BIGINT: 'bigint',
  HUGEINT: 'numeric(38,0)',
  UTINYINT: 'smallint',
  USMALLINT: 'integer',
  UINTEGER: 'bigint',
  UBIGINT: 'numeric(20,0)',
  UHUGEINT: 'numeric(39,0)',
  FLOAT: 'real',
  DOUBLE: 'double precision',
  VARCHAR: 'text',
  DATE: 'date',
  TIME: 'time',
  // Both print a time with its UTC offset, down to seconds of offset (12:00:00+05:30:15), and read the other's text.
  'TIME WITH TIME ZONE': 'timetz',
  TIMETZ: 'timetz',
  TIMESTAMP: 'timestamp',
  TIMESTAMP_S: 'timestamp',
  TIMESTAMP_MS: 'timestamp',
  TIMESTAMP_NS: 'timestamp',
  'TIMESTAMP WITH TIME ZONE': 'timestamptz',
  TIMESTAMPTZ: 'timestamptz',
  INTERVAL: 'interval',
  UUID: 'uuid',
  BLOB: 'bytea',
  JSON: 'jsonb',
};

/** The PostgreSQL column type a DuckDB type becomes when a sink creates the table. */
export function pgTypeFor(duckdbType: string): string {
  const t = duckdbType.trim().toUpperCase();
  const dec = /^DECIMAL\((\d+),\s*(\d+)\)$/.exec(t);
  if (dec) return `numeric(${Number(dec[1])},${Number(dec[2])})`;
  // A fixed-size ARRAY (FLOAT[768], an embedding) as a list: both are one-dimensional arrays.
  const elem = listElementType(t);
  if (elem) {
    const inner = PG_FOR_DUCKDB[elem] ?? (/^DECIMAL\(/.test(elem) ? pgTypeFor(elem) : undefined);
    return inner && inner !== 'jsonb' && inner !== 'bytea' ? `${inner}[]` : 'jsonb';
  }
  return PG_FOR_DUCKDB[t] ?? (/^(STRUCT|MAP|UNION)\b/.test(t) ? 'jsonb' : 'text');
}

/**
 * DuckDB expression writing a column as text PostgreSQL's COPY (CSV) parses into `pgTypeFor`:
 * bytes as `\x` hex, lists as array literals, nested values as JSON; the rest as DuckDB prints them.
 */
export function exportExpr(name: string, duckdbType: string): string {
  const c = ident(name);
  const pgType = pgTypeFor(duckdbType);
  if (pgType === 'bytea') return `'\\x' || lower(hex(${c}))`;
  if (pgType.endsWith('[]')) return arrayLiteral(asList(name, duckdbType));
  if (pgType === 'jsonb' && duckdbType.toUpperCase() !== 'JSON') return `to_json(${c})`;
  return c;
}

/** A list column as a DuckDB list: a fixed-size ARRAY cast to the list of its elements' type. */
function asList(name: string, duckdbType: string): string {
  const elem = listElementType(duckdbType);
  return elem && !duckdbType.trim().endsWith('[]') ? `CAST(${ident(name)} AS ${elem}[])` : ident(name);
}

/**
 * A list (DuckDB SQL) as a PostgreSQL array literal: every element quoted, backslashes and quotes
 * escaped, a valid one-dimensional array literal for any element type (each as DuckDB prints it,
 * -0.0 and nan included, which PostgreSQL reads as the same float).
 */
function arrayLiteral(list: string): string {
  return `CASE WHEN ${list} IS NULL THEN NULL ELSE '{' || array_to_string(list_transform(${list}, x -> CASE WHEN x IS NULL THEN 'NULL' ELSE '"' || replace(replace(CAST(x AS VARCHAR), '\\', '\\\\'), '"', '\\"') || '"' END), ',') || '}' END`;
}

/** A list of lists (any depth) as a multi-dimensional array literal, its innermost elements quoted as arrayLiteral does. */
function nestedArrayLiteral(list: string, type: string, depth = 0): string {
  const element = listElementType(type);
  const inner = element && listElementType(element);
  if (!inner) return arrayLiteral(list);
  const x = `x${depth}`;
  return `CASE WHEN ${list} IS NULL THEN NULL ELSE '{' || array_to_string(list_transform(${list}, ${x} -> coalesce(${nestedArrayLiteral(x, element, depth + 1)}, 'NULL')), ',') || '}' END`;
}

/** `interval(3)`, `interval day`, `interval hour to minute`, `interval day to second(2)`, as format_type() writes them. */
const INTERVAL_TYPE = /^interval(?:\((\d)\))?(?: (year|month|day|hour|minute|second)(?: to (month|hour|minute|second))?(?:\((\d)\))?)?$/;

/** A `format_type()` name as a load target that some input would change (connectors/assign.ts). */
export function pgTargetType(formatType: string): TargetType | undefined {
  const t = formatType.trim().toLowerCase();
  if (t.endsWith('[]')) {
    // Elements go through the element type's input, typmod included (numeric(5,2)[] rounds them).
    const element = pgTargetType(formatType.trim().slice(0, -2));
    return element && { kind: 'array', element, shown: formatType };
  }
  if (/^(smallint|integer|bigint)$/.test(t)) return { kind: 'integer', shown: formatType };
  const numeric = /^numeric\((\d+),(\d+)\)$/.exec(t);
  if (numeric) return { kind: 'numeric', precision: Number(numeric[1]), scale: Number(numeric[2]), shown: formatType };
  if (t === 'double precision' || t === 'real') return { kind: 'float', float: t === 'real' ? 'FLOAT' : 'DOUBLE', shown: formatType };
  if (t === 'date') return { kind: 'date', shown: formatType };
  const text = /^(?:character varying|character)\((\d+)\)$/.exec(t);
  if (text) return { kind: 'text', length: Number(text[1]), shown: formatType };
  const temporal = /^(time|timestamp)(?:\((\d)\))?( with time zone| without time zone)?$/.exec(t);
  if (temporal) {
    // Without time zone, PostgreSQL reads an offset or zone in the text, and drops it.
    const dropsOffset = temporal[3] !== ' with time zone';
    return { kind: temporal[1] as 'time' | 'timestamp', scale: temporal[2] === undefined ? 6 : Number(temporal[2]), dropsOffset, shown: formatType };
  }
  const interval = INTERVAL_TYPE.exec(t);
  if (interval) {
    const precision = interval[1] ?? interval[4];
    return { kind: 'interval', fields: (interval[3] ?? interval[2] ?? 'second') as IntervalField, scale: precision === undefined ? 6 : Number(precision), shown: formatType };
  }
  return undefined;
}

/**
 * The export expression of a column loaded into a table column of `tableType` (undefined: a table
 * the load creates): values the column would change stop the load; exact ones are sent in the form
 * PostgreSQL takes (a midnight timestamp as its date; 12.0 as 12, which an integer column refuses).
 */
export function loadExpr(column: Column, tableType: string | undefined): string {
  // A table the load creates gets pgTypeFor's type, which holds every value but TIMESTAMP_NS's
  // nanoseconds and a HUGEINT's 39th digit.
  const target = pgTargetType(tableType ?? pgTypeFor(column.type));
  // A list of lists into an array column (int[][]: PostgreSQL keeps no dimensions in the type) as
  // the nested literal {{1,2},{3,4}}, each innermost value converted by the server's input (which
  // refuses 1.5 for an integer, and a jagged array, naming the line).
  const element = listElementType(column.type);
  if (tableType?.trim().endsWith('[]') && element && listElementType(element)) return nestedArrayLiteral(asList(column.name, column.type), column.type);
  const loss = target && lossOf(column, target);
  if (!target || !loss) return exportExpr(column.name, column.type);
  return checkedValue(loss, sentValue(column, target));
}

/** The value in the form PostgreSQL takes for `target`, converted here where its input would refuse an exact value. */
function sentValue(column: Column, target: TargetType): string {
  const element = listElementType(column.type);
  if (target.kind === 'array' && target.element && element) {
    // Each element as a single value would be sent, in a lambda whose parameter has the column's
    // name (as lossOf's SQL is written).
    const exact = exactForm({ name: column.name, type: element }, target.element);
    const list = asList(column.name, column.type);
    return arrayLiteral(exact ? `list_transform(${list}, ${ident(column.name)} -> ${exact})` : list);
  }
  return exactForm(column, target) ?? exportExpr(column.name, column.type);
}

function exactForm(column: Column, target: TargetType): string | undefined {
  const c = ident(column.name);
  if (target.kind === 'date' && isTimestampType(column.type)) return `CAST(CAST(${c} AS TIMESTAMP) AS DATE)`;
  if (target.kind === 'integer' && isFractionalType(column.type)) return isFloatType(column.type) ? `printf('%.0f', ${c})` : `CAST(${c} AS DECIMAL(38,0))`;
  return undefined;
}
