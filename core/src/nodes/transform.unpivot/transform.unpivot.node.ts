import { z } from 'zod';
import { convertsExactly, exactlyConverted, mayLoseDigits } from '../shared/exact-widening.js';
import { booleanMeetsNumber, decimalRoom, fitsExactly, scaleKeepingType } from '../shared/exact-common-type.js';
import { nestedKindClash, nestedMayChange } from '../shared/nested-types.js';
import { textConversion } from '../shared/text-conversions.js';
import { defineNode } from '../define.js';
import { unpivotSpark } from './transform.unpivot.spark.js';
import { ident, stringLiteral } from '../../compiler/sql.js';
import { CaudalError } from '../../util/errors.js';
import { columnNamed, foldName, sameName } from '../shared/columns.js';

const VALUE_TYPES = ['auto', 'VARCHAR', 'DOUBLE', 'BIGINT', 'BOOLEAN', 'DATE', 'TIMESTAMP'] as const;

const params = z
  .object({
    columns: z.array(z.string().min(1)).default([]).meta({
      label: 'Columns to unpivot',
      help: 'Each becomes one row per input row. Empty: every column except the id columns.',
      widget: 'columns',
    }),
    id_columns: z.array(z.string().min(1)).default([]).meta({
      label: 'Id columns',
      help: 'Kept on every output row; used when "Columns to unpivot" is empty (otherwise every column not unpivoted is kept).',
      widget: 'columns',
    }),
    name_column: z.string().min(1).default('name').meta({ label: 'Name column', help: 'Receives the unpivoted column names.' }),
    value_column: z.string().min(1).default('value').meta({ label: 'Value column', help: 'Receives the values.' }),
    include_nulls: z.boolean().default(false).meta({ label: 'Keep NULL values', help: 'Off: a NULL cell produces no row.', widget: 'boolean' }),
    value_type: z.enum(VALUE_TYPES).default('auto').meta({
      label: 'Value type',
      help: 'auto: the common type of the columns (DuckDB rules), or VARCHAR when they have none. Otherwise every value is converted to this type; one it would change stops the run.',
      widget: 'select',
      group: 'Advanced',
    }),
  })
  .strict();

function fail(message: string, path: string, hint?: string): never {
  throw new CaudalError('validation', message, { hint, problems: [{ code: 'invalid_param', path, message, hint }] });
}

export const unpivotNode = defineNode({
  type: 'transform.unpivot',
  version: 1,
  spark: unpivotSpark,
  category: 'transform',
  title: 'Unpivot',
  description: 'Turns columns into rows: one row per input row and column, with the column name and its value (columns to rows).',
  aliases: ['melt', 'long', 'gather', 'pivot longer', 'columns to rows', 'stack columns'],
  inputs: [{ name: 'in' }],
  outputs: [{ name: 'out' }],
  params,
  docs: `Each input row becomes one row per unpivoted column: the columns that are kept (ids) in input order,
then \`name_column\` (VARCHAR, the column's name exactly as in the input) and \`value_column\`. Rows come
out input row by input row, and within one input row in the order of \`columns\` (input order when all
columns except the ids are unpivoted).

**Which columns.** List them in \`columns\` (every other column is kept as an id), or leave it empty and list
\`id_columns\`: all the other columns are unpivoted. With both empty every column is unpivoted.

**NULLs.** By default a NULL cell produces no row (SQL \`UNPIVOT\`); \`include_nulls\` keeps it as a row with
a NULL value (\`UNPIVOT INCLUDE NULLS\`), so every input row gives exactly as many rows as columns.

**Types.** One value column needs one type. With \`value_type: auto\` DuckDB's UNPIVOT rule applies: the
columns are widened to their common type (INTEGER + BIGINT → BIGINT, INTEGER + DOUBLE → DOUBLE,
DECIMAL + INTEGER → DECIMAL; a TIMESTAMP next to a TIMESTAMP WITH TIME ZONE becomes the latter, its
values read as UTC times). DuckDB refuses types that have no implicit common type (e.g. INTEGER and
VARCHAR, or DATE and DOUBLE); the node then casts every value to VARCHAR (numbers as text, dates as
\`YYYY-MM-DD\`) instead of failing. When the common type is DOUBLE, a BIGINT or long DECIMAL value that a
DOUBLE would change (above 2^53, or more than about 15 significant digits) stops the run, naming the
column, the value and what it would become.

A DECIMAL holds 38 digits. Where the columns together need more (DECIMAL(38,0) next to DECIMAL(10,2)),
DuckDB's common type would drop places after the point (2.55 would become 3); the value column keeps the
largest scale instead (DECIMAL(38,2)), and a value with more digits before the point than that leaves
room for stops the run, naming the column and the value. A BOOLEAN column next to number columns
would become 1 and 0: the values are text instead (\`true\`, \`5\`), as for types without a common type.
The same holds inside lists, structs and maps: a value in a \`BIGINT[]\` column that the common
\`DOUBLE[]\` would change stops the run, and \`[true]\` next to \`[5]\` comes out as text.

Another \`value_type\` converts every value to it, and no value is changed without a word: text converts
strictly, as in *Change column types* (\`'12.5'\` is not a BIGINT, \`'2024-03-04 10:30'\` is not a DATE),
and other types only where the value comes back unchanged (\`12.5\` would become 12 as a BIGINT, a
timestamp with a time of day would lose it as a DATE: both stop the run, naming the column and the value).
VARCHAR takes every value as its text. Round or truncate on purpose first with a Derive.

The name and value columns must not clash with a kept column or with each other, and a column may be
listed once in \`columns\` and in \`id_columns\` (case-insensitively; twice, each of its values would come
out twice): all checked before the run.

Metrics and warnings: none.`,
  example: {
    description: 'Monthly columns to one row per month',
    params: { id_columns: ['product_id'], name_column: 'month', value_column: 'units' },
  },
  check(p) {
    const out: Array<{ path: string; message: string; hint?: string }> = [];
    if (sameName(p.name_column, p.value_column))
      out.push({ path: 'value_column', message: `the name and value columns are both called '${p.value_column}'`, hint: 'give them different names' });
    // A column unpivoted twice gives each of its values twice; an id kept twice comes out as id and id_1.
    for (const field of ['columns', 'id_columns'] as const) {
      const seen = new Set<string>();
      p[field].forEach((c, i) => {
        if (seen.has(foldName(c))) out.push({ path: `${field}[${i}]`, message: `'${c}' is listed twice (names are compared case-insensitively)`, hint: 'remove one of them' });
        seen.add(foldName(c));
      });
    }
    return out;
  },
  async compile(ctx) {
    const input = ctx.input();
    const p = ctx.params;
    const has = (name: string) => input.columns.some((c) => sameName(c.name, name));
    const ids = p.columns.length > 0 ? input.columns.filter((c) => !p.columns.some((u) => sameName(u, c.name))).map((c) => c.name) : p.id_columns;
    const unpivoted =
      p.columns.length > 0 ? p.columns : input.columns.filter((c) => !p.id_columns.some((i) => sameName(i, c.name))).map((c) => c.name);
    if (unpivoted.length === 0) fail(`node '${ctx.nodeId}' has no column left to unpivot`, 'params.id_columns', 'remove a column from the id columns');
    for (const [col, field] of [
      [p.name_column, 'name_column'],
      [p.value_column, 'value_column'],
    ] as const) {
      if (ids.some((i) => sameName(i, col)))
        fail(`${field.replace('_', ' ')} '${col}' of node '${ctx.nodeId}' clashes with the kept column '${col}'`, `params.${field}`, 'choose another name');
    }
    const typeOf = (name: string) => columnNamed(input.columns, name)?.type;
    // Naming the kept and unpivoted columns makes DuckDB's binder report unknown ones.
    const project = (cast?: string, checked: (c: string) => string = ident) =>
      [...ids.map(ident), ...unpivoted.map((c) => (cast ? `${convertedTo(c, cast)} AS ${ident(c)}` : checked(c)))].join(', ');
    // A value type the user chose converts each value as Cast does: text strictly ('12.5' is not a
    // BIGINT), other types only where the value comes back unchanged (12.5 would become 12).
    const convertedTo = (c: string, type: string): string => {
      const from = typeOf(c);
      if (from === undefined) return `CAST(${ident(c)} AS ${type})`;
      const prefix = stringLiteral(`column "${c}": `);
      // Text converts exactly as Cast converts it: DuckDB's own cast reads '1_000' as 1000, '1e400' as
      // infinity and '1e-400' as 0 into a DOUBLE, '12.5' as 13 into a BIGINT.
      if (from === 'VARCHAR') return type === 'VARCHAR' ? ident(c) : textConversion(ident(c), type, { decimal: '.' }, prefix).strict;
      if (convertsExactly(from, type)) return `CAST(${ident(c)} AS ${type})`;
      const widening = { into: `the value type ${type}`, hint: 'convert it on purpose first (a Derive or a Cast node), or choose another value type (VARCHAR keeps every value)' };
      return `CAST(${exactlyConverted(c, from, type, widening)} AS ${type})`;
    };
    const build = (cast?: string, checked?: (c: string) => string) =>
      `SELECT * FROM (SELECT ${project(cast, checked)} FROM ${input.ref})\nUNPIVOT${p.include_nulls ? ' INCLUDE NULLS' : ''} (${ident(p.value_column)} FOR ${ident(p.name_column)} IN (${unpivoted.map(ident).join(', ')}))`;
    let cast: string | undefined = p.value_type === 'auto' ? undefined : p.value_type;
    if (!cast && unpivoted.every(has)) {
      const types = new Set(unpivoted.map(typeOf));
      // DuckDB would make a boolean next to numbers a number (true is 1): as text, it stays true.
      // The same inside lists and structs ([true] next to [2] would be [1]).
      const listed = [...types].map(String);
      if (booleanMeetsNumber(listed) || listed.some((a, i) => listed.slice(i + 1).some((b) => nestedKindClash(a, b)))) cast = 'VARCHAR';
      // DuckDB's common DECIMAL of DECIMAL(38,0) and DECIMAL(10,2) is DECIMAL(38,0) (2.55 would be 3):
      // keep the largest scale, and stop on a value with more digits before the point than it holds.
      const kept = cast ? undefined : scaleKeepingType([...types].map(String));
      if (kept) {
        const widening = {
          origin: 'in the input',
          into: `the value column "${p.value_column}" (${kept})`,
          hint: `${decimalRoom(kept)}; give the columns one type first (a Cast node), or set the value type to VARCHAR`,
        };
        const checked = (c: string) => {
          const from = typeOf(c)!;
          if (from === kept) return ident(c);
          return `CAST(${fitsExactly(from, kept) ? ident(c) : exactlyConverted(c, from, kept, widening)} AS ${kept}) AS ${ident(c)}`;
        };
        return { outputs: { out: build(undefined, checked) } };
      }
      if (types.size > 1 && !cast) {
        let valueType: string | undefined;
        try {
          valueType = columnNamed(await ctx.describe(build()), p.value_column)?.type;
        } catch (e) {
          if (/Cannot unpivot columns of types|explicit cast is required/i.test(String((e as Error).message))) cast = 'VARCHAR';
          else throw e;
        }
        // The common type may be a DOUBLE that cannot hold every value of a BIGINT or a long DECIMAL column.
        const lossy = valueType ? unpivoted.filter((c) => mayLoseDigits(typeOf(c)!, valueType) || nestedMayChange(typeOf(c)!, valueType)) : [];
        if (valueType && lossy.length > 0) {
          const other = unpivoted.find((c) => typeOf(c) === valueType);
          const widening = {
            origin: 'in the input',
            into: `the value column "${p.value_column}" (${valueType}${other ? `, the type of column "${other}"` : ''})`,
            hint: 'give the columns one type first (a Cast node), or set the value type to VARCHAR',
          };
          const checked = (c: string) => (lossy.includes(c) ? `${exactlyConverted(c, typeOf(c)!, valueType, widening)} AS ${ident(c)}` : ident(c));
          return { outputs: { out: build(undefined, checked) } };
        }
      }
    }
    return { outputs: { out: build(cast) } };
  },
});
