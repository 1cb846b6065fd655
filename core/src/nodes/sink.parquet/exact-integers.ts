import { ident, stringLiteral } from '../../compiler/sql.js';
import type { Column } from '../define.js';
import { mapTypes, structFields } from '../shared/flatten.js';
import { guardedPartitionValue } from './partition-values.js';

/**
 * Parquet has no 128-bit integer, and DuckDB (1.5) writes HUGEINT and UHUGEINT columns as DOUBLE:
 * `12345678901234567890123` is stored as 1.2345678901234568e+22, digits lost without a word. These
 * are the integers the CSV source detects for 20+ digit account numbers precisely so that no digit
 * is lost. The sink writes them as DECIMAL(38,0) instead, which every Parquet reader takes exactly,
 * and refuses a value of 39 digits (beyond what DECIMAL holds) naming the column.
 *
 * Parquet's INTERVAL keeps months, days and milliseconds, and DuckDB cuts an interval's
 * microseconds to write it (1.123456 s became 1.123 s): such a value is refused.
 *
 * Both at any depth: in structs, lists and maps (keys and values).
 */

const WIDE = /^\s*U?HUGEINT\s*$/i;
const LIMIT = `CAST('100000000000000000000000000000000000000' AS HUGEINT)`;
const ULIMIT = `CAST('100000000000000000000000000000000000000' AS UHUGEINT)`;

/** `expr` (of `type`) with 128-bit integers as DECIMAL(38,0), at any depth of structs and lists; undefined when nothing changes. */
function exact(expr: string, type: string, column: string, depth = 0): string | undefined {
  const t = type.trim();
  if (WIDE.test(t)) {
    const unsigned = /^\s*U/i.test(t);
    const tooWide = unsigned ? `${expr} >= ${ULIMIT}` : `(${expr} >= ${LIMIT} OR ${expr} <= -${LIMIT})`;
    const message = `${stringLiteral(`column "${column}" holds `)} || CAST(${expr} AS VARCHAR) || ${stringLiteral(`, more than the 38 digits a Parquet file keeps exactly (it would be stored as a DOUBLE): write it as text (CAST(${column} AS VARCHAR) in a Derive) or to a CSV file`)}`;
    return `CASE WHEN ${tooWide} THEN error(${message}) ELSE CAST(${expr} AS DECIMAL(38,0)) END`;
  }
  if (/^\s*INTERVAL\s*$/i.test(t)) {
    const message = `${stringLiteral(`column "${column}" holds `)} || CAST(${expr} AS VARCHAR) || ${stringLiteral(`, whose fraction of a millisecond a Parquet INTERVAL does not keep (it keeps months, days and milliseconds): round it to milliseconds on purpose first, or write it as text (CAST(${column} AS VARCHAR) in a Derive)`)}`;
    // microsecond() of an interval counts from the start of its minute: whole milliseconds are multiples of 1000.
    return `CASE WHEN microsecond(${expr}) % 1000 <> 0 THEN error(${message}) ELSE ${expr} END`;
  }
  const map = mapTypes(t);
  if (map) {
    const e = `_m${depth}`;
    const key = exact(`${e}.key`, map.key, column, depth + 1);
    const value = exact(`${e}.value`, map.value, column, depth + 1);
    if (key === undefined && value === undefined) return undefined;
    return `map_from_entries(list_transform(map_entries(${expr}), ${e} -> struct_pack(key := ${key ?? `${e}.key`}, value := ${value ?? `${e}.value`})))`;
  }
  const fields = structFields(t);
  if (fields) {
    const parts = fields.map((f) => exact(`${expr}.${ident(f.name)}`, f.type, column, depth));
    if (parts.every((p) => p === undefined)) return undefined;
    const members = fields.map((f, i) => `${ident(f.name)} := ${parts[i] ?? `${expr}.${ident(f.name)}`}`);
    // struct_pack of NULL members would be a struct of NULLs: a NULL struct stays NULL.
    return `CASE WHEN ${expr} IS NOT NULL THEN struct_pack(${members.join(', ')}) END`;
  }
  const list = /^(.*)\[\]$/s.exec(t);
  if (list) {
    const x = `_h${depth}`;
    const inner = exact(x, list[1]!, column, depth + 1);
    return inner ? `list_transform(${expr}, ${x} -> ${inner})` : undefined;
  }
  return undefined;
}

/**
 * The SELECT list writing `columns` to Parquet without losing digits, nor values of the partition
 * columns `partitionBy` that a folder name cannot keep (partition-values.ts); undefined when `*` does.
 */
export function parquetExactSelect(columns: Column[], partitionBy: string[] = []): string | undefined {
  // `partitionBy` holds the input's own spellings (resolvePartitionColumns): 'é' is not 'É'.
  const partitions = new Set(partitionBy);
  const converted = columns.map((c) => (partitions.has(c.name) ? guardedPartitionValue(ident(c.name), c.type, c.name) : exact(ident(c.name), c.type, c.name)));
  if (converted.every((x) => x === undefined)) return undefined;
  return columns.map((c, i) => `${converted[i] ?? ident(c.name)} AS ${ident(c.name)}`).join(', ');
}
