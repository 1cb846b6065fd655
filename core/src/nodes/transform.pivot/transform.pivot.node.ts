import { z } from 'zod';
import { defineNode } from '../define.js';
import { pivotSpark } from './transform.pivot.spark.js';
import { ident, literal } from '../../compiler/sql.js';
import { CaudalError } from '../../util/errors.js';
import { constantConverts } from '../shared/typed-constant.js';
import { isFloatType } from '../shared/locale-numbers.js';
import { checkedDecimalSum } from '../shared/decimal-sum.js';
import { columnNamed, foldName } from '../shared/columns.js';

const AGGREGATES = ['sum', 'count', 'avg', 'min', 'max', 'first'] as const;

/** Why `null` cannot be a value (its rows are ignored), and what to write instead. */
const NULL_VALUE =
  'a value is a text, a number or a boolean, not null: a column is named after its value, and rows whose pivot column is NULL count for no cell; to give them a column, replace NULL first (a Fill nulls node, e.g. with "none") and list that value';

const params = z
  .object({
    group_by: z.array(z.string().min(1)).default([]).meta({
      label: 'Group by',
      help: 'One output row per combination of these columns. Empty: a single output row.',
      widget: 'columns',
    }),
    pivot_column: z.string().min(1).meta({ label: 'Pivot column', help: 'Its values become column names.', widget: 'column' }),
    values: z
      .array(z.union([z.string(), z.number(), z.boolean()], { error: (issue) => (issue.input === null ? NULL_VALUE : undefined) }))
      .min(1)
      .meta({
        label: 'Values',
        help: 'The pivot-column values that get a column, in output order. Required: the output columns must be known without reading the data.',
        widget: 'list',
      }),
    aggregate: z.enum(AGGREGATES).default('sum').meta({ label: 'Aggregate', widget: 'select' }),
    value_column: z.string().min(1).optional().meta({
      label: 'Value column',
      help: 'The column aggregated into each cell. Optional for count (then rows are counted).',
      widget: 'column',
    }),
    order_by: z.string().min(1).optional().meta({
      label: 'First by',
      help: 'For aggregate "first": the column that decides which row is first (ascending; ties broken by the value). Rows where it or the value is NULL are skipped.',
      widget: 'column',
      group: 'Advanced',
    }),
    column_name: z.string().min(1).default('{value}').meta({
      label: 'Column names',
      help: 'Pattern for the new columns: {value} is the pivot value, {aggregate} the aggregate, {column} the value column.',
      placeholder: '{value}_{aggregate}',
      group: 'Advanced',
    }),
  })
  .strict();

type Params = z.output<typeof params>;

/** The placeholders column_name may hold. */
const PLACEHOLDERS = ['{value}', '{aggregate}', '{column}'];
/** How a pivot value names NaN or ±Infinity of a FLOAT or DOUBLE column (DuckDB's spellings). */
const FLOAT_WORDS = /^[+-]?(nan|inf|infinity)$/i;
const PLACEHOLDER = /\{(value|aggregate|column)\}/g;

/**
 * The output column name of one pivot value. One pass with a function: chained replaceAll calls
 * would read a value spelling `{aggregate}` as a placeholder, and a replacement string reads `$&`,
 * `$$` and `` $` `` in a value as patterns.
 */
export function pivotColumnName(p: Pick<Params, 'column_name' | 'aggregate' | 'value_column'>, value: string | number | boolean): string {
  const fill = { value: String(value), aggregate: p.aggregate, column: p.value_column ?? 'rows' };
  return p.column_name.replace(PLACEHOLDER, (_, name: keyof typeof fill) => fill[name]);
}

export const pivotNode = defineNode({
  type: 'transform.pivot',
  version: 1,
  spark: pivotSpark,
  category: 'transform',
  title: 'Pivot',
  description: 'Turns the values of one column into columns, aggregating a value column per group (rows to columns).',
  aliases: ['crosstab', 'wide', 'spread', 'pivot wider', 'rows to columns'],
  inputs: [{ name: 'in' }],
  outputs: [{ name: 'out' }],
  params,
  docs: `The output has the \`group_by\` columns, then one column per entry of \`values\`, in that order.
Cell (group g, value v) is the aggregate of \`value_column\` over the rows of group g whose \`pivot_column\`
equals v. It compiles to one \`GROUP BY\` with an aggregate per value
(\`sum(CASE WHEN status = 'paid' THEN amount END) AS paid\`), which DuckDB runs in a single pass; a few
thousand values are fine (5,000 values over a million rows: about 15 s on two cores).

**Why the values must be listed.** A pipeline is planned (columns checked, downstream nodes bound, previews
shown) before any data is read. If the columns came from the data, the output schema would change whenever
a new value appeared, breaking downstream nodes at run time instead of at plan time; DuckDB's own dynamic
\`PIVOT\` has to scan the whole input just to plan. Listing the values keeps the schema fixed and the query one
pass. Values are matched with \`=\`, so \`'2024'\` matches an integer column's 2024 and \`'2024-01-31'\` a DATE.
A value the pivot column's type would change is refused before the run, since it would match other
rows: \`'12.5'\` for an INTEGER column (DuckDB would compare 13), \`'2024-01-31 10:00'\` for a DATE,
\`'0x10'\` for a BIGINT. The other way round, a number or boolean value for a text (VARCHAR) pivot column
is refused too: DuckDB would compare by reading each text as a number, so \`'01'\`, \`'1.0'\` and \`' 1'\`
would all count as 1 (and text that is not a number would stop the run). Write the value as text
(\`"1"\`) to match exactly that text. Two values that are one value of the column's type (\`'2024'\`
and \`'02024'\` for an INTEGER) would give two columns with the same cells, and are refused. For a FLOAT
or DOUBLE pivot column, NaN and ±Infinity, which JSON has no number for, are written as text: \`"nan"\`,
\`"inf"\`, \`"-inf"\` (or \`"infinity"\`). \`null\` is not a value (see below).

**Values not listed** (and NULL in the pivot column) are ignored: their rows count for no cell, but a group
that only has such rows still gets a row (all cells empty, or 0 for count). To give NULL a column,
replace it first (a Fill nulls node, e.g. with \`'none'\`) and list that value.

**Empty cells.** \`sum\`, \`avg\`, \`min\`, \`max\`, \`first\` give NULL when the group has no row with that value
(or only NULL values; for \`first\`, no row where both the value and \`order_by\` are set); \`count\` gives 0. \`count\` with a value column counts its non-NULL values; without one
it counts rows. Types follow DuckDB: \`sum\` of an integer column is HUGEINT (INT128), of a DECIMAL(p,s)
DECIMAL(38,s) (a cell sum with more digits than that holds stops the run, naming the cell's column),
\`avg\` is DOUBLE.

**first** needs \`order_by\`: the cell takes the value of the row with the smallest \`order_by\` (ties broken
by the smallest value), so the result does not depend on row order. As in transform.aggregate's \`first\`,
rows where the value or \`order_by\` is NULL are skipped: rows (v 5, order NULL), (v NULL, order 1),
(v 3, order 2) give 3.

**Column names** come from \`column_name\` (default \`{value}\`; e.g. \`{value}_{aggregate}\` gives
\`paid_sum\`). Names are used exactly, with spaces, accents, \`$\` or braces (a value \`{column}\` names its
column \`{column}\`). Two values that give the same name, or a
name equal to a group-by column, are reported before the run (ignoring the case of A–Z, as DuckDB compares
names; two values that differ only in case, \`"n1"\` and \`"N1"\`, clash whatever the pattern: make them one
spelling first, with transform.clean_text or transform.map_values), and so are a value that gives an empty name (\`""\` with the default pattern) and a placeholder other than
\`{value}\`, \`{aggregate}\` and \`{column}\`.

Row order is not guaranteed, as for any aggregation: add a \`transform.sort\` on the group columns if it matters.

Metrics and warnings: none. Rows whose pivot value is not listed count for no cell, without a warning (counting them would mean reading the input a second time); check with a \`transform.filter\` on \`pivot_column NOT IN (...)\` if that matters.`,
  example: {
    description: 'Quantity per customer and channel',
    params: { group_by: ['customer_id'], pivot_column: 'channel', values: ['web', 'store', 'phone'], aggregate: 'sum', value_column: 'quantity' },
  },
  check(p) {
    const out: Array<{ path: string; message: string; hint?: string }> = [];
    if (p.aggregate !== 'count' && !p.value_column) out.push({ path: 'value_column', message: `aggregate '${p.aggregate}' needs a value column`, hint: 'or use count to count rows' });
    if (p.aggregate === 'first' && !p.order_by) out.push({ path: 'order_by', message: "aggregate 'first' needs order_by to say which row is first", hint: 'e.g. a date or id column' });
    const unknown = [...p.column_name.matchAll(/\{([^{}]*)\}/g)].map((m) => m[0]).filter((x) => !PLACEHOLDERS.includes(x));
    if (unknown.length > 0)
      out.push({
        path: 'column_name',
        message: `column_name has ${unknown.length === 1 ? 'an unknown placeholder' : 'unknown placeholders'} ${unknown.map((x) => `'${x}'`).join(', ')}: the placeholders are ${PLACEHOLDERS.join(', ')}`,
        hint: 'e.g. {value}_{aggregate}',
      });
    const taken = new Map<string, { what: string; value?: string | number | boolean }>();
    p.group_by.forEach((g) => taken.set(foldName(g), { what: `group-by column '${g}'` }));
    p.values.forEach((v, i) => {
      const name = pivotColumnName(p, v);
      const prev = taken.get(foldName(name));
      if (name === '') out.push({ path: `values[${i}]`, message: `value ${JSON.stringify(v)} gives an empty column name`, hint: 'set column_name to a pattern with text around {value}, e.g. {value}_{aggregate} or code_{value}' });
      else if (prev?.value !== undefined && String(prev.value) !== String(v) && foldName(String(prev.value)) === foldName(String(v)))
        // No column_name can part them: every pattern holding {value} gives two names that differ only in case.
        out.push({
          path: `values[${i}]`,
          message: `values ${JSON.stringify(prev.value)} and ${JSON.stringify(v)} differ only in the case of their letters, and column names do not (they ignore the case of A-Z): their columns would clash whatever column_name says`,
          hint: `make them one spelling before the pivot (transform.clean_text with case lower or upper, or transform.map_values), then list that spelling once`,
        });
      else if (prev) out.push({ path: `values[${i}]`, message: `value ${JSON.stringify(v)} gives column '${name}', which clashes with ${prev.what}`, hint: 'change column_name, e.g. {value}_{aggregate}' });
      else taken.set(foldName(name), { what: `the column of value ${JSON.stringify(v)}`, value: v });
    });
    return out;
  },
  async compile(ctx) {
    const input = ctx.input();
    const p = ctx.params;
    // Values are matched with `=`, which converts text to the column's type the lenient way
    // ('12.5' would match 13 in an INTEGER column, '2024-01-31 10:00' every row of that DATE).
    const pivotType = columnNamed(input.columns, p.pivot_column)?.type;
    // A number meeting text is compared as a number, DuckDB converting the text: '01', '1.0', ' 1'
    // and '+1' would all count as 1, and text that is no number would stop the run naming the cell.
    if (pivotType === 'VARCHAR') {
      for (const [i, val] of p.values.entries()) {
        if (typeof val === 'string') continue;
        const message = `node '${ctx.nodeId}': the value ${JSON.stringify(val)} is a ${typeof val}, but the pivot column '${p.pivot_column}' is text (VARCHAR): comparing them would read each text as a ${typeof val}, so text written another way (${typeof val === 'number' ? 'a leading zero or space, a trailing .0' : "'t', 'TRUE', '1'"}) would count as ${JSON.stringify(val)} too, and text that is not a ${typeof val} would stop the run`;
        throw new CaudalError('validation', message, {
          nodeId: ctx.nodeId,
          column: p.pivot_column,
          problems: [{ code: 'invalid_param', path: `params.values[${i}]`, message, hint: `write the value as text, ${JSON.stringify(String(val))}, to match exactly that text (or convert the column first with transform.cast)` }],
        });
      }
    }
    if (pivotType && pivotType !== 'VARCHAR') {
      for (const [i, val] of p.values.entries()) {
        // NaN and ±Infinity are values of a FLOAT or DOUBLE column like any other (DuckDB's NaN
        // equals NaN), but JSON has no number for them: they are written as text.
        if (isFloatType(pivotType) && typeof val === 'string' && FLOAT_WORDS.test(val)) continue;
        if (await constantConverts((sql) => ctx.rows(sql), val, pivotType)) continue;
        const message = `node '${ctx.nodeId}': the value ${JSON.stringify(val)} is not a valid ${pivotType} (or would change converting to it), the type of the pivot column '${p.pivot_column}'`;
        const words = isFloatType(pivotType) ? ' (NaN and Infinity as the text "nan", "inf" or "-inf")' : '';
        throw new CaudalError('validation', message, { nodeId: ctx.nodeId, column: p.pivot_column, problems: [{ code: 'invalid_param', path: `params.values[${i}]`, message, hint: `write it as a ${pivotType}, as the column's values are${words}` }] });
      }
      const same = await sameTypedValues((sql) => ctx.rows(sql), p.values, pivotType);
      if (same) {
        const [a, b] = [p.values[same.first]!, p.values[same.second]!];
        const message = `node '${ctx.nodeId}': the values ${JSON.stringify(a)} and ${JSON.stringify(b)} are one ${pivotType}, ${same.shown}, in the pivot column '${p.pivot_column}': their two columns would hold the same cells`;
        throw new CaudalError('validation', message, { nodeId: ctx.nodeId, column: p.pivot_column, problems: [{ code: 'invalid_param', path: `params.values[${same.second}]`, message, hint: `list ${same.shown} once` }] });
      }
    }
    const v = p.value_column ? ident(p.value_column) : undefined;
    const key = ident(p.pivot_column);
    // One aggregate per value over `CASE WHEN key = value THEN v END` (NULL for the other rows, which
    // the aggregates skip), not `agg(v) FILTER (WHERE key = value)`: DuckDB sets up FILTER clauses at a
    // cost that grows with the square of their number (1,000 values took 9 s before reading a row).
    const agg = (val: string | number | boolean): string => {
      const hit = `${key} = ${literal(val)}`;
      switch (p.aggregate) {
        case 'count':
          return `count(CASE WHEN ${hit} THEN ${v ?? '1'} END)`;
        case 'first': {
          // As transform.aggregate's first: the value on the row with the smallest (order_by, value),
          // rows where either is NULL skipped (arg_min skips a NULL key, here also every other value's row).
          const o = ident(p.order_by ?? '');
          return `arg_min(CASE WHEN ${hit} THEN ${v} END, CASE WHEN ${hit} AND ${o} IS NOT NULL AND ${v} IS NOT NULL THEN (${o}, ${v}) END)`;
        }
        default:
          return `${p.aggregate}(CASE WHEN ${hit} THEN ${v} END)`;
      }
    };
    const valueType = p.value_column === undefined ? undefined : columnNamed(input.columns, p.value_column)?.type;
    const cell = (val: string | number | boolean) =>
      p.aggregate === 'sum' && p.value_column ? checkedDecimalSum(agg(val), valueType, ctx.nodeId, pivotColumnName(p, val), p.value_column) : agg(val);
    const cells = p.values.map((val) => `${cell(val)} AS ${ident(pivotColumnName(p, val))}`);
    const groups = p.group_by.map(ident);
    const sql = `SELECT ${[...groups, ...cells].join(',\n  ')}\nFROM ${input.ref}${groups.length > 0 ? `\nGROUP BY ${groups.join(', ')}` : ''}`;
    return { outputs: { out: sql } };
  },
});

/**
 * The first two of `values` that are one value of `type` ('2024' and '02024' for an INTEGER pivot
 * column), compared with `=` after converting, as the cells compare them; undefined when none are.
 */
async function sameTypedValues(rows: (sql: string) => Promise<Array<Record<string, unknown>>>, values: Array<string | number | boolean>, type: string): Promise<{ first: number; second: number; shown: string } | undefined> {
  if (values.length < 2) return undefined;
  const typed = values.map((val, i) => `(${i}, CAST(${literal(val)} AS ${type}))`).join(', ');
  const [row] = await rows(`WITH v(i, x) AS (VALUES ${typed})\nSELECT a.i AS earlier, b.i AS later, CAST(b.x AS VARCHAR) AS shown FROM v a JOIN v b ON a.x = b.x AND a.i < b.i ORDER BY b.i, a.i LIMIT 1`);
  return row ? { first: Number(row.earlier), second: Number(row.later), shown: String(row.shown) } : undefined;
}
