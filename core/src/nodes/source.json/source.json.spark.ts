import type { SparkForm } from '../define.js';
import { ident, stringLiteral } from '../../compiler/sql.js';
import { structFields } from '../shared/flatten.js';
import { decimalScale, numberConversion } from '../shared/locale-numbers.js';
import { selectColumns, sparkPaths } from '../shared/spark-files.js';
import { jsonStart } from './layout.js';
import { firstFile } from '../shared/partitions.js';

type Params = { path: string; format: 'auto' | 'array' | 'newline_delimited'; flatten: boolean; filename_column?: string; records_path?: string };

/**
 * Spark: its JSON reader (JSON Lines, or whole files for arrays) with the columns and types the
 * DuckDB plan found stated, so both engines read the same schema.
 */
const isDecimal = (type: string) => decimalScale(type) !== undefined;
const hasDecimal = (type: string): boolean => isDecimal(type) || (structFields(type.trim()) ?? []).some((f) => hasDecimal(f.type));

/** `type` with its DECIMALs (the type itself, or struct fields at any depth) as VARCHAR. */
function decimalsAsText(type: string): string {
  if (isDecimal(type)) return 'VARCHAR';
  const fields = structFields(type.trim());
  if (!fields || !hasDecimal(type)) return type;
  return `STRUCT(${fields.map((f) => `${ident(f.name)} ${decimalsAsText(f.type)}`).join(', ')})`;
}

/** `expr`, read with decimalsAsText(type), back in `type`; `prefix` (SQL text) starts an error, `field` names the struct path. */
function fromText(expr: string, type: string, prefix: string, field = ''): string {
  const at = field === '' ? prefix : `${prefix} || ${stringLiteral(`field ${field.slice(0, -1)}: `)}`;
  if (isDecimal(type)) return numberConversion(expr, type, { decimal: '.' }, at).strict;
  const fields = structFields(type.trim());
  if (!fields || !hasDecimal(type)) return expr;
  const members = fields.map((f) => `${ident(f.name)} := ${fromText(`${expr}.${ident(f.name)}`, f.type, prefix, `${field}${f.name}.`)}`);
  return `CASE WHEN ${expr} IS NOT NULL THEN struct_pack(${members.join(', ')}) END`;
}

export const jsonSourceSpark: SparkForm<Params> = {
  kind: 'custom',
  async compile(ctx) {
    const p = ctx.params;
    if (p.flatten) ctx.unsupported('flatten', 'flattening nested objects into columns has no Spark form yet', 'select nested fields with transform.sql (a.b) instead');
    if (p.records_path !== undefined) ctx.unsupported('records_path', 'records held in a list inside each file have no Spark form yet', 'write them out as JSON Lines first (a DuckDB run into sink.json) and read those on Spark');
    const pattern = ctx.path(p.path);
    const { paths, options } = sparkPaths(ctx, pattern);
    // Spark reads JSON Lines unless told the files are arrays (whole files, multiLine). With \`auto\`
    // the first local file decides, as DuckDB's detection does; remote files are read as JSON Lines.
    const array = p.format === 'array' || (p.format === 'auto' && (await jsonStart(await firstFile(ctx, pattern)))?.first === '[');
    const columns = ctx.outputColumns();
    const raw = ctx.auxName('raw');
    // Spark's JSON reader rounds extra decimal places into a DecimalType (HALF_UP): DECIMAL columns,
    // and DECIMAL fields of structs at any depth, are read as the number's text and converted as on
    // DuckDB, which refuses them.
    const read = columns.map((c) => ({ name: c.name, type: decimalsAsText(c.type) }));
    const select = columns.some((c) => hasDecimal(c.type))
      ? `SELECT ${columns.map((c) => `${fromText(ident(c.name), c.type, stringLiteral(`column "${c.name}": `))} AS ${ident(c.name)}`).join(', ')}\nFROM ${raw}`
      : selectColumns(raw, columns);
    return {
      read: {
        name: raw,
        format: 'json',
        paths,
        // dateFormat stated: without it Spark falls back to a parser that reads "2024-05-06 10:30"
        // into a DateType field as 2024-05-06; with it the time is refused, as on DuckDB.
        options: { ...options, ...(array ? { multiLine: 'true' } : {}), mode: 'FAILFAST', dateFormat: 'yyyy-M-d' },
        schema: read,
        applySchema: true,
        ...(p.filename_column ? { fileColumn: p.filename_column } : {}),
      },
      outputs: { out: select },
    };
  },
};
