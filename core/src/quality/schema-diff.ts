import type { Column } from '../nodes/define.js';

export interface ExpectedColumn {
  name: string;
  type?: string;
}

/** DuckDB spells some types several ways; compare the canonical names. */
const ALIASES: Record<string, string> = {
  INT: 'INTEGER',
  INT4: 'INTEGER',
  INT8: 'BIGINT',
  LONG: 'BIGINT',
  INT2: 'SMALLINT',
  SHORT: 'SMALLINT',
  INT1: 'TINYINT',
  FLOAT8: 'DOUBLE',
  FLOAT4: 'FLOAT',
  REAL: 'FLOAT',
  STRING: 'VARCHAR',
  TEXT: 'VARCHAR',
  BOOL: 'BOOLEAN',
  DATETIME: 'TIMESTAMP',
  NUMERIC: 'DECIMAL',
  TIMESTAMPTZ: 'TIMESTAMP WITH TIME ZONE',
};

export function canonicalType(t: string): string {
  const up = t.trim().toUpperCase().replace(/\s+/g, ' ');
  return ALIASES[up] ?? up;
}

/**
 * The differences between the columns a node sees and the ones expected, one line each:
 * "missing column 'x'", "column 'x' is VARCHAR, expected BIGINT", "extra column 'y' (DOUBLE)".
 * Names compare without regard to case, as DuckDB resolves them.
 */
export function schemaDiff(actual: Column[], expected: ExpectedColumn[], allowExtra: boolean): string[] {
  const out: string[] = [];
  const byName = new Map(actual.map((c) => [c.name.toLowerCase(), c]));
  const wanted = new Set(expected.map((c) => c.name.toLowerCase()));
  for (const e of expected) {
    const a = byName.get(e.name.toLowerCase());
    if (!a) out.push(`missing column '${e.name}'${e.type ? ` (${e.type})` : ''}`);
    else if (e.type && canonicalType(a.type) !== canonicalType(e.type)) out.push(`column '${a.name}' is ${a.type}, expected ${e.type}`);
  }
  if (!allowExtra) for (const a of actual) if (!wanted.has(a.name.toLowerCase())) out.push(`extra column '${a.name}' (${a.type})`);
  return out;
}
