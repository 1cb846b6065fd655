import type { Column } from '../nodes/define.js';
import { canonicalType, typeProblem } from '../util/duckdb-type.js';
import { columnNamed, sameName } from '../nodes/shared/columns.js';

export interface ExpectedColumn {
  name: string;
  type?: string;
}

/** The comparison key: the canonical type, with struct and union field names without regard to case, as DuckDB resolves them. */
function typeKey(t: string): string {
  return canonicalType(t).replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_]*/g, (m) => (m.startsWith("'") ? m : m.toLowerCase()));
}

/**
 * The differences between the columns a node sees and the ones expected, one line each:
 * "missing column 'x'", "column 'x' is VARCHAR, expected BIGINT", "extra column 'y' (DOUBLE)".
 * Names compare as DuckDB resolves them (the exact spelling first, then ignoring the case of ASCII
 * letters only: 'é' and 'É' are two columns, see columnNamed); types by the name DuckDB gives
 * them, however they are written (`INT[]` = `INTEGER[]`, `NUMERIC` = `DECIMAL(18,3)`). An expected
 * type DuckDB does not know is a line of its own, naming the column.
 */
export function schemaDiff(actual: Column[], expected: ExpectedColumn[], allowExtra: boolean): string[] {
  const out: string[] = [];
  for (const e of expected) {
    const a = columnNamed(actual, e.name);
    const unknown = e.type === undefined ? undefined : typeProblem(e.type);
    if (!a) out.push(`missing column '${e.name}'${e.type ? ` (${e.type})` : ''}`);
    else if (e.type && typeKey(a.type) !== typeKey(e.type)) {
      // A type no parser here knows, written exactly as DuckDB names the column's, matched above.
      out.push(unknown ? `column '${a.name}': the expected type ${unknown}` : `column '${a.name}' is ${a.type}, expected ${e.type}${canonicalType(e.type) !== e.type ? ` (${canonicalType(e.type)})` : ''}`);
    }
  }
  if (!allowExtra) for (const a of actual) if (!expected.some((e) => sameName(e.name, a.name))) out.push(`extra column '${a.name}' (${a.type})`);
  return out;
}
