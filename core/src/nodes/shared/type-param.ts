import { z } from 'zod';
import { sqlType, typeProblem } from '../../util/duckdb-type.js';

/**
 * A column's DuckDB type as the user writes it. Parsed params carry the type by the name DuckDB
 * gives it (`dec(10,2)` → `DECIMAL(10,2)`, `int4` → `INTEGER`, field names quoted), so the checks
 * chosen by type name see every alias, and the text is safe to put into SQL. Text that is no type
 * stays as written: `columnTypeProblems` reports it from the node's check.
 */
export const duckDbType = () => z.string().min(1).overwrite(sqlType);

/** One problem per listed column whose type is not a DuckDB type, at `<list>[i].type`. */
export function columnTypeProblems(list: string, columns: ReadonlyArray<{ type: string; name?: string; column?: string }>): Array<{ path: string; message: string }> {
  const out: Array<{ path: string; message: string }> = [];
  columns.forEach((c, i) => {
    const why = typeProblem(c.type);
    const name = c.name ?? c.column;
    if (why) out.push({ path: `${list}[${i}].type`, message: name === undefined ? why : `column '${name}': ${why}` });
  });
  return out;
}
