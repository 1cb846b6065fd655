import { ident, stringLiteral } from '../../compiler/sql.js';
import type { Column } from '../../nodes/define.js';
import { finiteForJson } from '../../nodes/shared/json-out.js';

export type EsProperty = Record<string, unknown>;

/**
 * The Elasticsearch field a DuckDB column becomes when the sink creates an index (overridable per
 * field with the node's `mappings`). Decimals up to 15 digits are scaled_float, which holds them
 * exactly; wider ones double. Elasticsearch parses every number through a double (a scaled_float
 * too: Math.round(value * factor)), so past 15 significant digits the indexed value is the nearest
 * double either way; the document's source keeps every digit. Text gets a keyword sub-field, as
 * Elasticsearch's own dynamic mapping does.
 */
export function esPropertyFor(duckdbType: string): EsProperty | undefined {
  const t = duckdbType.trim().toUpperCase();
  const dec = /^DECIMAL\((\d+),\s*(\d+)\)$/.exec(t);
  if (dec) return Number(dec[1]) <= 15 ? { type: 'scaled_float', scaling_factor: 10 ** Number(dec[2]) } : { type: 'double' };
  const list = /^(.*)\[\d*\]$/.exec(t);
  // Arrays are implicit in Elasticsearch: a list maps as its elements do.
  if (list) return esPropertyFor(list[1]!);
  switch (t) {
    case 'BOOLEAN':
      return { type: 'boolean' };
    case 'TINYINT':
      return { type: 'byte' };
    case 'SMALLINT':
    case 'UTINYINT':
      return { type: 'short' };
    case 'INTEGER':
    case 'USMALLINT':
      return { type: 'integer' };
    case 'BIGINT':
    case 'UINTEGER':
      return { type: 'long' };
    case 'UBIGINT':
      return { type: 'unsigned_long' };
    case 'FLOAT':
      return { type: 'float' };
    case 'DOUBLE':
      return { type: 'double' };
    case 'DATE':
      return { type: 'date', format: 'strict_date' };
    case 'TIMESTAMP':
    case 'TIMESTAMP_S':
    case 'TIMESTAMP_MS':
    case 'TIMESTAMP WITH TIME ZONE':
    case 'TIMESTAMPTZ':
      return { type: 'date' };
    case 'TIMESTAMP_NS':
      return { type: 'date_nanos' };
    case 'BLOB':
      return { type: 'binary' };
    case 'UUID':
    case 'TIME':
    case 'INTERVAL':
    case 'HUGEINT':
    case 'UHUGEINT':
      return { type: 'keyword' };
    case 'VARCHAR':
      return { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 256 } } };
    default:
      // JSON, structs and maps: Elasticsearch maps their fields as it finds them.
      return /^(STRUCT|JSON)\b/.test(t) ? { type: 'object' } : /^MAP\b/.test(t) ? { type: 'flattened' } : undefined;
  }
}

/** Index mappings from the columns, with the user's per-field overrides on top. */
export function deriveMappings(columns: Column[], overrides: Record<string, EsProperty> = {}): { properties: Record<string, EsProperty> } {
  const properties: Record<string, EsProperty> = {};
  for (const c of columns) {
    const p = esPropertyFor(c.type);
    if (p) properties[c.name] = p;
  }
  return { properties: { ...properties, ...overrides } };
}

/**
 * DuckDB expression for one column's JSON value in a document: dates and timestamps in the ISO form
 * Elasticsearch's date parser takes (with 'T', UTC with 'Z'), bytes as base64, wide integers and
 * UUIDs as strings; everything else as DuckDB's to_json gives it.
 */
export function docValueSql(c: Column): string {
  const col = ident(c.name);
  const t = c.type.trim().toUpperCase();
  const text = (expr: string) => `CASE WHEN ${col} IS NULL THEN NULL ELSE ${expr} END`;
  switch (t) {
    case 'TIMESTAMP':
    case 'TIMESTAMP_S':
    case 'TIMESTAMP_MS':
      return text(`strftime(CAST(${col} AS TIMESTAMP), '%Y-%m-%dT%H:%M:%S.%f')`);
    case 'TIMESTAMP_NS':
      return text(`strftime(${col}, '%Y-%m-%dT%H:%M:%S.%n')`);
    case 'TIMESTAMP WITH TIME ZONE':
    case 'TIMESTAMPTZ':
      return text(`strftime(timezone('UTC', ${col}), '%Y-%m-%dT%H:%M:%S.%fZ')`);
    case 'DATE':
    case 'TIME':
    case 'UUID':
    case 'INTERVAL':
    case 'HUGEINT':
    case 'UHUGEINT':
      return `CAST(${col} AS VARCHAR)`;
    case 'BLOB':
      return `base64(${col})`;
    default:
      // JSON has no NaN or Infinity: such values are refused, naming the column (nodes/shared/json-out.ts).
      return finiteForJson(col, c);
  }
}

/** One JSON document per row. */
export function docSql(columns: Column[]): string {
  return `CAST(json_object(${columns.map((c) => `${stringLiteral(c.name)}, ${docValueSql(c)}`).join(', ')}) AS VARCHAR)`;
}

/**
 * Document id from the id columns, NULL when one is NULL. One column: its value as text. Several:
 * their values joined with `:`, each value's `%` and `:` written `%25` and `%3A` first, so that two
 * different rows never share an id (('a:b', 'c') and ('a', 'b:c') were both `a:b:c`). A value
 * without either character is unchanged: ids an index already holds stay the same.
 */
export function idSql(idColumns: string[]): string {
  const text = (c: string) => `CAST(${ident(c)} AS VARCHAR)`;
  if (idColumns.length === 1) return text(idColumns[0]!);
  return idColumns.map((c) => `replace(replace(${text(c)}, '%', '%25'), ':', '%3A')`).join(` || ':' || `);
}

/** The DuckDB type a mapped field reads as (discovery). */
export function duckdbTypeForEs(esType: string | undefined): string {
  switch (esType) {
    case 'boolean':
      return 'BOOLEAN';
    case 'byte':
    case 'short':
      return 'SMALLINT';
    case 'integer':
      return 'INTEGER';
    case 'long':
      return 'BIGINT';
    case 'unsigned_long':
      return 'UBIGINT';
    case 'float':
    case 'half_float':
      return 'FLOAT';
    case 'double':
    case 'scaled_float':
      return 'DOUBLE';
    case 'date':
      return 'TIMESTAMP';
    case 'date_nanos':
      return 'TIMESTAMP_NS';
    case 'binary':
      return 'BLOB';
    case 'object':
    case 'nested':
    case 'flattened':
      return 'JSON';
    default:
      return 'VARCHAR';
  }
}
