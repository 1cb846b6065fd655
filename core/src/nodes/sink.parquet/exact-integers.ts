import { ident, stringLiteral } from '../../compiler/sql.js';
import type { Column } from '../define.js';
import { structFields } from '../shared/flatten.js';

/**
 * Parquet has no 128-bit integer, and DuckDB (1.5) writes HUGEINT and UHUGEINT columns as DOUBLE:
 * `12345678901234567890123` is stored as 1.2345678901234568e+22, digits lost without a word. These
 * are the integers the CSV source detects for 20+ digit account numbers precisely so that no digit
 * is lost. The sink writes them as DECIMAL(38,0) instead, which every Parquet reader takes exactly,
 * and refuses a value of 39 digits (beyond what DECIMAL holds) naming the column.
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

/** The SELECT list writing `columns` to Parquet without losing digits, or undefined when `*` does. */
export function parquetExactSelect(columns: Column[]): string | undefined {
  const converted = columns.map((c) => exact(ident(c.name), c.type, c.name));
  if (converted.every((x) => x === undefined)) return undefined;
  return columns.map((c, i) => `${converted[i] ?? ident(c.name)} AS ${ident(c.name)}`).join(', ');
}
