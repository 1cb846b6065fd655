import { ident, stringLiteral } from '../../compiler/sql.js';
import type { Column } from '../define.js';
import { mapTypes, structFields } from './flatten.js';
import { isFloatType } from './locale-numbers.js';

/**
 * Values written as JSON must be JSON. JSON has no NaN or Infinity, and DuckDB writes them as the
 * bare tokens `NaN`, `Infinity`, `-Infinity` (COPY … FORMAT json, to_json, json_object): a file or
 * a message that JSON.parse, jq, Elasticsearch and most consumers refuse. Such values are common
 * enough (in DuckDB `0.0 / 0.0` is NaN and `1 / 0.0` is Infinity, e.g. a ratio in a Derive), so the
 * sinks that write JSON refuse them, naming the column, instead of writing what cannot be read.
 */


/** The members of `UNION(a T, b U)` (named like struct fields), or undefined when the type is not a union. */
function unionMembers(type: string): Array<{ name: string; type: string }> | undefined {
  return /^UNION\(/i.test(type) ? structFields(`STRUCT(${type.slice('UNION('.length)}`) : undefined;
}

/**
 * SQL that is true when `expr` (of `type`) holds NaN or ±Infinity anywhere inside it: struct
 * fields, list and array elements, map keys and values, union members, nested in any combination;
 * undefined when the type cannot hold one.
 */
function nonFinite(expr: string, type: string, depth = 0): string | undefined {
  const t = type.trim();
  if (isFloatType(t)) return `NOT isfinite(${expr})`;
  const anyOf = (parts: Array<string | undefined>) => {
    const found = parts.filter((p): p is string => p !== undefined);
    return found.length > 0 ? `(${found.map((p) => `coalesce(${p}, false)`).join(' OR ')})` : undefined;
  };
  const inList = (list: string, element: string) => {
    const x = `_x${depth}`;
    const inner = nonFinite(x, element, depth + 1);
    return inner ? `list_bool_or(list_transform(${list}, ${x} -> coalesce(${inner}, false)))` : undefined;
  };
  const fields = structFields(t);
  if (fields) return anyOf(fields.map((f) => nonFinite(`${expr}.${ident(f.name)}`, f.type, depth)));
  // A union's value is the member its tag names; union_extract gives NULL for the others.
  const members = unionMembers(t);
  if (members) return anyOf(members.map((m) => nonFinite(`union_extract(${expr}, ${stringLiteral(m.name)})`, m.type, depth)));
  const map = mapTypes(t);
  if (map) return anyOf([inList(`map_keys(${expr})`, map.key), inList(`map_values(${expr})`, map.value)]);
  const list = /^(.*)\[\d*\]$/s.exec(t);
  if (list) return inList(expr, list[1]!);
  return undefined;
}

/** `expr`, the value of `column`, or an error naming the column when JSON cannot represent it. */
export function finiteForJson(expr: string, column: Column): string {
  const bad = nonFinite(expr, column.type);
  if (!bad) return expr;
  const fix = isFloatType(column.type)
    ? `replace them first, e.g. in a Derive: CASE WHEN isfinite(${column.name}) THEN ${column.name} END (NULL instead)`
    : 'replace them first (a division by zero gives them)';
  // DuckDB writes a NaN whose sign bit is set (0.0 / 0.0 on x86) as "-nan": there is no negative NaN.
  const shown = `regexp_replace(CAST(${expr} AS VARCHAR), '-nan', 'nan', 'g')`;
  const message = `${stringLiteral(`column "${column.name}" holds `)} || ${shown} || ${stringLiteral(`, which JSON cannot represent (it has no NaN or Infinity): ${fix}`)}`;
  return `CASE WHEN coalesce(${bad}, false) THEN error(${message}) ELSE ${expr} END`;
}

/**
 * A SELECT list of `columns` with the values JSON cannot represent refused, or undefined when no
 * column can hold one (then `*` is the same and cheaper to read in plans).
 */
export function jsonSafeSelect(columns: Column[]): string | undefined {
  if (!columns.some((c) => nonFinite(ident(c.name), c.type) !== undefined)) return undefined;
  return columns
    .map((c) => {
      const col = ident(c.name);
      const checked = finiteForJson(col, c);
      return checked === col ? col : `${checked} AS ${col}`;
    })
    .join(', ');
}

/** `relation` as a FROM item whose values are refused where JSON cannot represent them (jsonSafeSelect). */
export function jsonSafeRelation(relation: string, columns: Column[]): string {
  const checked = jsonSafeSelect(columns);
  return checked ? `(SELECT ${checked} FROM ${relation})` : relation;
}
