import type { ColumnCategory } from './types.js';

/** Which statistics a DuckDB type gets. */
export function categoryOf(type: string): ColumnCategory {
  const t = type.toUpperCase();
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|REAL|DECIMAL.*)$/.test(t)) return 'number';
  if (/^(DATE|TIMESTAMP.*)$/.test(t)) return 'date';
  if (t === 'VARCHAR') return 'string';
  if (t === 'BOOLEAN') return 'boolean';
  return 'other';
}

/** Types GROUP BY / min / max handle; nested types (lists, structs, maps) get counts only. */
export function isScalar(type: string): boolean {
  return !/[[\]()]|^(STRUCT|MAP|UNION|LIST)/i.test(type.replace(/^DECIMAL\(\d+,\s*\d+\)$/i, 'DECIMAL'));
}
