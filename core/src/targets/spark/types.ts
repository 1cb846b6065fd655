/**
 * DuckDB type names → Spark SQL DDL types, for reads that state their schema. DuckDB's TIMESTAMP has no
 * time zone: Spark's TIMESTAMP_NTZ. Unsigned and 128-bit integers widen to a type holding every value.
 */
const SIMPLE: Record<string, string> = {
  VARCHAR: 'STRING', TEXT: 'STRING', STRING: 'STRING', UUID: 'STRING', JSON: 'STRING',
  BIGINT: 'BIGINT', INT8: 'BIGINT', LONG: 'BIGINT',
  INTEGER: 'INT', INT: 'INT', INT4: 'INT',
  SMALLINT: 'SMALLINT', INT2: 'SMALLINT', TINYINT: 'TINYINT', INT1: 'TINYINT',
  DOUBLE: 'DOUBLE', FLOAT8: 'DOUBLE', FLOAT: 'FLOAT', REAL: 'FLOAT', FLOAT4: 'FLOAT',
  BOOLEAN: 'BOOLEAN', BOOL: 'BOOLEAN', DATE: 'DATE', BLOB: 'BINARY',
  TIMESTAMP: 'TIMESTAMP_NTZ', DATETIME: 'TIMESTAMP_NTZ', 'TIMESTAMP_NS': 'TIMESTAMP_NTZ', 'TIMESTAMP_MS': 'TIMESTAMP_NTZ', 'TIMESTAMP_S': 'TIMESTAMP_NTZ',
  'TIMESTAMP WITH TIME ZONE': 'TIMESTAMP_LTZ', TIMESTAMPTZ: 'TIMESTAMP_LTZ',
  HUGEINT: 'DECIMAL(38,0)', UHUGEINT: 'DECIMAL(38,0)', UBIGINT: 'DECIMAL(20,0)', UINTEGER: 'BIGINT', USMALLINT: 'INT', UTINYINT: 'SMALLINT',
};

/** Splits `a, b(c, d), e` at top-level commas. */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let cur = '';
  for (const ch of s) {
    if (ch === '"') quoted = !quoted;
    if (!quoted && (ch === '(' || ch === '<')) depth++;
    if (!quoted && (ch === ')' || ch === '>')) depth--;
    if (!quoted && depth === 0 && ch === ',') {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

export function sparkType(duckdb: string): string {
  const t = duckdb.trim();
  const upper = t.toUpperCase();
  if (upper.endsWith('[]')) return `ARRAY<${sparkType(t.slice(0, -2))}>`;
  if (Object.hasOwn(SIMPLE, upper)) return SIMPLE[upper]!;
  const dec = /^(DECIMAL|NUMERIC)\s*\((\d+)\s*,\s*(\d+)\)$/i.exec(t);
  if (dec) return `DECIMAL(${dec[2]},${dec[3]})`;
  const struct = /^STRUCT\s*\(([\s\S]*)\)$/i.exec(t);
  if (struct) {
    const fields = splitTop(struct[1]!).map((f) => {
      const m = /^("(?:[^"]|"")+"|\S+)\s+([\s\S]+)$/.exec(f);
      if (!m) throw new Error(`cannot read the struct field '${f}'`);
      const name = m[1]!.startsWith('"') ? m[1]!.slice(1, -1).replaceAll('""', '"') : m[1]!;
      return `\`${name.replaceAll('`', '``')}\`: ${sparkType(m[2]!)}`;
    });
    return `STRUCT<${fields.join(', ')}>`;
  }
  const map = /^MAP\s*\(([\s\S]*)\)$/i.exec(t);
  if (map) {
    const [k, v] = splitTop(map[1]!);
    return `MAP<${sparkType(k!)}, ${sparkType(v!)}>`;
  }
  throw new Error(`the DuckDB type ${t} has no Spark equivalent`);
}
