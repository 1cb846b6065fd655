import type { SparkForm } from '../define.js';
import { ident, stringLiteral } from '../../compiler/sql.js';
import { decimalScale, numberConversion } from '../shared/locale-numbers.js';
import { selectColumns, sparkPaths } from '../shared/spark-files.js';

type Params = { path: string; format: 'auto' | 'array' | 'newline_delimited'; flatten: boolean; filename_column?: string };

/**
 * Spark: its JSON reader (JSON Lines, or whole files for arrays) with the columns and types the
 * DuckDB plan found stated, so both engines read the same schema.
 */
export const jsonSourceSpark: SparkForm<Params> = {
  kind: 'custom',
  compile(ctx) {
    const p = ctx.params;
    if (p.flatten) ctx.unsupported('flatten', 'flattening nested objects into columns has no Spark form yet', 'select nested fields with transform.sql (a.b) instead');
    const { paths, options } = sparkPaths(ctx, ctx.path(p.path));
    const columns = ctx.outputColumns();
    const raw = ctx.auxName('raw');
    // Spark's JSON reader rounds extra decimal places into a DecimalType (HALF_UP): DECIMAL columns
    // are read as the number's text and converted as on DuckDB, which refuses them (struct fields
    // inside are left to Spark).
    const isDecimal = (type: string) => decimalScale(type) !== undefined;
    const read = columns.map((c) => (isDecimal(c.type) ? { name: c.name, type: 'VARCHAR' } : c));
    const select = columns.some((c) => isDecimal(c.type))
      ? `SELECT ${columns.map((c) => (isDecimal(c.type) ? `${numberConversion(ident(c.name), c.type, { decimal: '.' }, stringLiteral(`column "${c.name}": `)).strict} AS ${ident(c.name)}` : ident(c.name))).join(', ')}\nFROM ${raw}`
      : selectColumns(raw, columns);
    return {
      read: {
        name: raw,
        format: 'json',
        paths,
        // dateFormat stated: without it Spark falls back to a parser that reads "2024-05-06 10:30"
        // into a DateType field as 2024-05-06; with it the time is refused, as on DuckDB.
        options: { ...options, ...(p.format === 'array' ? { multiLine: 'true' } : {}), mode: 'FAILFAST', dateFormat: 'yyyy-M-d' },
        schema: read,
        applySchema: true,
        ...(p.filename_column ? { fileColumn: p.filename_column } : {}),
      },
      outputs: { out: select },
    };
  },
};
