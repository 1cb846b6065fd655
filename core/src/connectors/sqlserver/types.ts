import { ident, stringLiteral } from '../../compiler/sql.js';
import { checkedValue, lossOf, type TargetType } from '../assign.js';

/**
 * Type mapping between SQL Server and DuckDB, both ways.
 *
 * Reads travel as text through a CSV file: each SQL Server type has an expression that makes its
 * text exact on the server (decimals and money as digits, datetime2 and datetimeoffset in ISO form
 * with every fractional digit, offsets turned into UTC, bytes as hex) and one that turns the text
 * into the DuckDB type. Writes go through the driver's bulk copy into a staging table; types the
 * driver would round (decimals beyond 15 digits, sub-millisecond times) travel as text and are
 * converted on the server.
 */
export interface SqlServerTypeInfo {
  /** Base type name, lower case: `decimal`, `nvarchar`, `datetime2`, … */
  name: string;
  precision?: number;
  scale?: number;
}

export interface ReadTransport {
  duckdbType: string;
  /** T-SQL select expression for a quoted column reference. */
  remote(col: string): string;
  /** DuckDB expression turning the CSV text (quoted reference) into `duckdbType`. */
  local(col: string): string;
}

/**
 * `value`, or an error where the text (`length` characters with 7 fractional digits, as the server
 * writes time(7) and datetimeoffset(7)) has a seventh digit that DuckDB's microseconds would cut.
 */
function withoutSeventhDigit(c: string, length: number, value: string, type: string): string {
  const message = `'''' || ${c} || ${stringLiteral(`' has a seventh fractional digit of a second, which DuckDB's ${type} (microseconds) would cut: select the column as text in a query (CONVERT(varchar(${length}), column)) to keep it`)}`;
  return `CASE WHEN length(${c}) = ${length} AND right(${c}, 1) <> '0' THEN error(${message}) ELSE ${value} END`;
}

const text = (duckdbType: string, remote = (c: string) => c, local = (c: string) => `CAST(${c} AS ${duckdbType})`): ReadTransport => ({ duckdbType, remote, local });

/** `decimal(18,2)` → { name: 'decimal', precision: 18, scale: 2 } (as sp_describe_first_result_set names types). */
export function parseTypeName(systemTypeName: string): SqlServerTypeInfo {
  const m = /^\s*([a-z0-9_ ]+?)\s*(?:\(\s*(max|\d+)\s*(?:,\s*(\d+)\s*)?\))?\s*$/i.exec(systemTypeName);
  if (!m) return { name: systemTypeName.toLowerCase() };
  const first = m[2] && m[2].toLowerCase() !== 'max' ? Number(m[2]) : undefined;
  const name = m[1]!.toLowerCase();
  // For time types the number in parentheses is the fractional-second scale.
  if (['datetime2', 'datetimeoffset', 'time'].includes(name)) return { name, scale: first ?? 7 };
  return { name, precision: first, scale: m[3] !== undefined ? Number(m[3]) : undefined };
}

export function readTransport(t: SqlServerTypeInfo): ReadTransport {
  switch (t.name) {
    case 'bit':
      return text('BOOLEAN');
    case 'tinyint':
    case 'smallint':
      return text('SMALLINT');
    case 'int':
      return text('INTEGER');
    case 'bigint':
      return text('BIGINT');
    case 'real':
      return text('FLOAT');
    case 'float':
      return text('DOUBLE');
    case 'decimal':
    case 'numeric': {
      const p = t.precision ?? 18;
      const s = t.scale ?? 0;
      return text(`DECIMAL(${p},${s})`, (c) => `CONVERT(varchar(48), ${c})`);
    }
    case 'money':
      return text('DECIMAL(19,4)', (c) => `CONVERT(varchar(48), CAST(${c} AS decimal(19,4)))`);
    case 'smallmoney':
      return text('DECIMAL(10,4)', (c) => `CONVERT(varchar(48), CAST(${c} AS decimal(10,4)))`);
    case 'date':
      return text('DATE', (c) => `CONVERT(char(10), ${c}, 23)`);
    case 'time':
      // DuckDB's TIME has microseconds: a time(7) value whose seventh digit is not 0 is refused.
      return text('TIME', (c) => `CONVERT(varchar(16), ${c})`, (c) => withoutSeventhDigit(c, 16, `CAST(left(${c}, 15) AS TIME)`, 'TIME'));
    case 'datetime':
    case 'smalldatetime':
      return text('TIMESTAMP', (c) => `CONVERT(varchar(23), CAST(${c} AS datetime2(3)), 126)`);
    case 'datetime2':
      // datetime2(7) keeps its 100 ns steps as TIMESTAMP_NS; up to 6 digits fit TIMESTAMP exactly.
      return (t.scale ?? 7) > 6
        ? text('TIMESTAMP_NS', (c) => `CONVERT(varchar(27), ${c}, 126)`)
        : text('TIMESTAMP', (c) => `CONVERT(varchar(27), ${c}, 126)`);
    case 'datetimeoffset':
      // The instant, in UTC: SWITCHOFFSET applies the offset on the server, exactly.
      return text('TIMESTAMPTZ', (c) => `CONVERT(varchar(27), CAST(SWITCHOFFSET(${c}, 0) AS datetime2(7)), 126)`, (c) => withoutSeventhDigit(c, 27, `CAST(left(${c}, 26) || '+00' AS TIMESTAMPTZ)`, 'TIMESTAMPTZ'));
    case 'uniqueidentifier':
      return text('UUID', (c) => `CONVERT(char(36), ${c})`);
    case 'binary':
    case 'varbinary':
    case 'image':
    case 'timestamp':
    case 'rowversion':
      return text('BLOB', (c) => `CONVERT(varchar(max), CAST(${c} AS varbinary(max)), 2)`, (c) => `from_hex(${c})`);
    case 'char':
    case 'varchar':
    case 'nchar':
    case 'nvarchar':
    case 'sysname':
      return text('VARCHAR', (c) => c, (c) => c);
    case 'text':
    case 'ntext':
    case 'xml':
      return text('VARCHAR', (c) => `CONVERT(nvarchar(max), ${c})`, (c) => c);
    case 'hierarchyid':
      return text('VARCHAR', (c) => `${c}.ToString()`, (c) => c);
    case 'geography':
    case 'geometry':
      return text('VARCHAR', (c) => `${c}.STAsText()`, (c) => c);
    default:
      // sql_variant and user types: their text.
      return text('VARCHAR', (c) => `CONVERT(nvarchar(max), ${c})`, (c) => c);
  }
}

// ---- DuckDB → SQL Server (sinks) ---------------------------------------------------------

/** The SQL Server column type a DuckDB type becomes when the sink creates the table. */
export function sqlserverTypeFor(duckdbType: string): string {
  const t = duckdbType.trim().toUpperCase();
  const dec = /^DECIMAL\((\d+),\s*(\d+)\)$/.exec(t);
  if (dec) return `decimal(${Number(dec[1])},${Number(dec[2])})`;
  switch (t) {
    case 'BOOLEAN':
      return 'bit';
    case 'TINYINT':
    case 'SMALLINT':
      return 'smallint';
    case 'UTINYINT':
      return 'tinyint';
    case 'INTEGER':
    case 'USMALLINT':
      return 'int';
    case 'BIGINT':
    case 'UINTEGER':
      return 'bigint';
    case 'HUGEINT':
      return 'decimal(38,0)';
    case 'UBIGINT':
      return 'decimal(20,0)';
    case 'UHUGEINT':
      return 'decimal(38,0)';
    case 'FLOAT':
      return 'real';
    case 'DOUBLE':
      return 'float';
    case 'DATE':
      return 'date';
    case 'TIME':
      return 'time(6)';
    case 'TIMESTAMP':
    case 'TIMESTAMP_MS':
    case 'TIMESTAMP_S':
      return 'datetime2(6)';
    case 'TIMESTAMP_NS':
      return 'datetime2(7)';
    case 'TIMESTAMP WITH TIME ZONE':
    case 'TIMESTAMPTZ':
      return 'datetimeoffset(6)';
    case 'UUID':
      return 'uniqueidentifier';
    case 'BLOB':
      return 'varbinary(max)';
    default:
      // VARCHAR, JSON, lists, structs, maps, intervals: Unicode text.
      return 'nvarchar(max)';
  }
}

/**
 * How a column travels in the bulk copy: the staging table's column type, the DuckDB expression
 * producing the value the driver sends (JS number, boolean, string or bytes), and the T-SQL that
 * turns the staged value into the target type.
 */
export interface WriteTransport {
  stageType: string;
  /** mssql type name for the bulk column (a key of the driver's `TYPES`). */
  bulkType: 'Bit' | 'SmallInt' | 'Int' | 'BigInt' | 'Real' | 'Float' | 'NVarChar' | 'UniqueIdentifier' | 'VarBinary';
  /** Length for NVarChar / VarBinary: a number, or 'max'. */
  length?: number | 'max';
  /** DuckDB expression for the value sent, given the quoted column. */
  export(col: string): string;
  /** T-SQL expression turning the staged column (quoted) into the target's type. */
  finish(col: string): string;
}

const direct = (stageType: string, bulkType: WriteTransport['bulkType'], exp: (c: string) => string = (c) => c): WriteTransport => ({ stageType, bulkType, export: exp, finish: (c) => c });
const asText = (target: string, exp: (c: string) => string, length: number | 'max' = 64, finish = (c: string) => `CAST(${c} AS ${target})`): WriteTransport => ({
  stageType: `nvarchar(${length})`,
  bulkType: 'NVarChar',
  length,
  export: exp,
  finish,
});

export function writeTransport(duckdbType: string): WriteTransport {
  const t = duckdbType.trim().toUpperCase();
  const target = sqlserverTypeFor(duckdbType);
  const str = (c: string) => `CAST(${c} AS VARCHAR)`;
  if (/^DECIMAL\(/.test(t) || t === 'HUGEINT' || t === 'UBIGINT' || t === 'UHUGEINT') return asText(target, str);
  switch (t) {
    case 'BOOLEAN':
      return direct('bit', 'Bit');
    case 'TINYINT':
    case 'SMALLINT':
    case 'UTINYINT':
      return direct('smallint', 'SmallInt', (c) => `CAST(${c} AS INTEGER)`);
    case 'INTEGER':
    case 'USMALLINT':
      return direct('int', 'Int', (c) => `CAST(${c} AS INTEGER)`);
    case 'BIGINT':
    case 'UINTEGER':
      // As text: the driver turns it into a BigInt without going through a double.
      return direct('bigint', 'BigInt', str);
    case 'FLOAT':
      return direct('real', 'Real', (c) => `CAST(${c} AS DOUBLE)`);
    case 'DOUBLE':
      return direct('float', 'Float');
    case 'DATE':
      return asText('date', str, 16, (c) => `CONVERT(date, ${c}, 23)`);
    case 'TIME':
      return asText('time(6)', (c) => `strftime(DATE '2000-01-01' + ${c}, '%H:%M:%S.%f')`, 16);
    case 'TIMESTAMP':
    case 'TIMESTAMP_MS':
    case 'TIMESTAMP_S':
      return asText('datetime2(6)', (c) => `strftime(CAST(${c} AS TIMESTAMP), '%Y-%m-%dT%H:%M:%S.%f')`, 32, (c) => `CONVERT(datetime2(6), ${c}, 126)`);
    case 'TIMESTAMP_NS':
      return asText('datetime2(7)', (c) => `strftime(${c}, '%Y-%m-%dT%H:%M:%S.') || left(strftime(${c}, '%n'), 7)`, 32, (c) => `CONVERT(datetime2(7), ${c}, 126)`);
    case 'TIMESTAMP WITH TIME ZONE':
    case 'TIMESTAMPTZ':
      return asText('datetimeoffset(6)', (c) => `strftime(timezone('UTC', ${c}), '%Y-%m-%dT%H:%M:%S.%f') || '+00:00'`, 40);
    case 'UUID':
      return { ...direct('uniqueidentifier', 'UniqueIdentifier', str) };
    case 'BLOB':
      return { ...direct('varbinary(max)', 'VarBinary'), length: 'max' };
    case 'VARCHAR':
      return { ...direct('nvarchar(max)', 'NVarChar'), length: 'max' };
    default:
      // Nested values as JSON text; intervals and the rest as DuckDB prints them.
      return { ...direct('nvarchar(max)', 'NVarChar', /^(STRUCT|MAP|UNION|JSON)\b|\[\d*\]$/.test(t) ? (c) => `CAST(to_json(${c}) AS VARCHAR)` : str), length: 'max' };
  }
}

/**
 * The DuckDB select list sending `columns` in transport form, in order. `tableTypes` (an existing
 * target's column types, as tableColumns names them) adds the checks that stop a value its column
 * would change (connectors/assign.ts): SQL Server's INSERT … SELECT from the staging table rounds
 * decimals and fractions of a second, truncates 12.7 into an int and drops a time put into a date.
 */
export function exportSelect(columns: Array<{ name: string; type: string }>, tableTypes?: Map<string, string>): string {
  const typeOf = caseInsensitive(tableTypes);
  return columns
    .map((c) => {
      // A table the load creates gets sqlserverTypeFor's type: datetime2(7) cuts TIMESTAMP_NS's last two digits.
      const target = tsqlTargetType(typeOf(c.name) ?? sqlserverTypeFor(c.type));
      return `${checkedValue(target && lossOf(c, target), unheldRefused(c, writeTransport(c.type).export(ident(c.name))))} AS ${ident(c.name)}`;
    })
    .join(', ');
}

/**
 * `value` (the column's export), or an error naming the column for a value no SQL Server column
 * can hold, whatever the target: NaN and ±Infinity (float and real have none; the driver sent
 * Infinity through and the server said only "Invalid number." for NaN), and TIME's 24:00:00 (time
 * ends at 23:59:59.9999999; it was written as 00:00:00). The engine's error names the node.
 */
function unheldRefused(column: { name: string; type: string }, value: string): string {
  const t = column.type.trim().toUpperCase();
  const c = ident(column.name);
  const refuse = (bad: string, what: string) => `CASE WHEN ${bad} THEN error(${stringLiteral(`column "${column.name}" holds `)} || CAST(${c} AS VARCHAR) || ${stringLiteral(`, ${what}`)}) ELSE ${value} END`;
  if (t === 'DOUBLE' || t === 'FLOAT' || t === 'REAL' || t === 'FLOAT4' || t === 'FLOAT8') {
    return refuse(`NOT isfinite(${c})`, `which SQL Server's float and real cannot hold (they have no NaN or Infinity): replace them first, e.g. in a Derive: CASE WHEN isfinite(${column.name}) THEN ${column.name} END (NULL instead)`);
  }
  if (t === 'TIME') {
    return refuse(`${c} = TIME '24:00:00'`, `which SQL Server's time cannot hold (its day ends at 23:59:59.9999999): replace it first, e.g. in a Derive: CASE WHEN ${column.name} = TIME '24:00:00' THEN TIME '23:59:59.999999' ELSE ${column.name} END, or write the column as text`);
  }
  return value;
}

/**
 * Why a column of this SQL Server type (as sp_describe_first_result_set names it) cannot be an
 * incremental read's watermark, or undefined when it can: numbers, dates and times, and text
 * compare on the server as the read's maximum says. The watermark travels as text, which SQL Server
 * converts to the column's type, or the column to text where text ranks higher: binary and
 * rowversion columns would be compared as text, uniqueidentifier in SQL Server's own order of its
 * bytes (not DuckDB's), and the rest (xml, geography, hierarchyid, sql_variant…) not in the order
 * of the text the read gives them. Any of them would make later runs skip rows or read them again.
 */
export function watermarkRefusal(systemTypeName: string): { why: string; hint: string } | undefined {
  const name = parseTypeName(systemTypeName.replace(/\s+COLLATE\s+.*$/i, '')).name;
  if (WATERMARK_TYPES.has(name)) return undefined;
  if (['binary', 'varbinary', 'timestamp', 'rowversion'].includes(name)) {
    return {
      why: 'its bytes would be compared as text on the server, so later runs would read the wrong rows',
      hint: 'read through a query that casts it to a number and make that the watermark column, e.g. SELECT *, CAST(rv AS bigint) AS rv_n FROM dbo.orders WHERE rv < MIN_ACTIVE_ROWVERSION() (a rowversion, or up to 8 bytes)',
    };
  }
  if (name === 'uniqueidentifier') return { why: 'its values do not follow the order rows arrive in, and SQL Server orders them otherwise than DuckDB', hint: 'use a datetime2 column or an increasing id as the watermark' };
  return { why: 'SQL Server does not order it as the text the read gives it', hint: 'use a column of a number, date and time, or text type as the watermark, or one cast to such a type in a query' };
}

const WATERMARK_TYPES = new Set(['bit', 'tinyint', 'smallint', 'int', 'bigint', 'decimal', 'numeric', 'money', 'smallmoney', 'real', 'float', 'date', 'time', 'datetime', 'smalldatetime', 'datetime2', 'datetimeoffset', 'char', 'varchar', 'nchar', 'nvarchar', 'sysname']);

/** Looks names up as SQL Server compares them (by the usual case-insensitive collation). */
export function caseInsensitive(types: Map<string, string> | undefined): (name: string) => string | undefined {
  const lower = new Map([...(types ?? new Map<string, string>())].map(([k, v]) => [k.toLowerCase(), v]));
  return (name) => lower.get(name.toLowerCase());
}

/**
 * A column type as tableColumns names it (`decimal(10,2)`, `datetime2(0)`) as a load target that
 * some input would change. money and smallmoney keep four decimal places.
 */
export function tsqlTargetType(shown: string): TargetType | undefined {
  const t = parseTypeName(shown);
  if (['tinyint', 'smallint', 'int', 'bigint'].includes(t.name)) return { kind: 'integer', shown };
  if ((t.name === 'decimal' || t.name === 'numeric') && t.scale !== undefined) return { kind: 'numeric', scale: t.scale, shown };
  if (t.name === 'date') return { kind: 'date', shown };
  if (t.name === 'time') return { kind: 'time', scale: t.scale ?? 7, shown };
  if (t.name === 'money' || t.name === 'smallmoney') return { kind: 'numeric', scale: 4, shown };
  // float(n) with n up to 24 is real (single precision); float alone is float(53).
  if (t.name === 'float' || t.name === 'real') return { kind: 'float', float: t.name === 'real' || (t.precision ?? 53) <= 24 ? 'FLOAT' : 'DOUBLE', shown };
  if (t.name === 'datetime2' || t.name === 'datetimeoffset') return { kind: 'timestamp', scale: t.scale ?? 7, shown };
  if (t.name === 'datetime' || t.name === 'smalldatetime') return { kind: t.name, shown };
  return undefined;
}
