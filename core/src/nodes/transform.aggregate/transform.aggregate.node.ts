import { z } from 'zod';
import { defineNode } from '../define.js';
import { aggregateSpark } from './transform.aggregate.spark.js';
import { ident, literal } from '../../compiler/sql.js';
import { CaudalError } from '../../util/errors.js';
import { havingInputColumns } from './having-columns.js';
import { checkedDecimalSum, sumOperand } from '../shared/decimal-sum.js';
import { columnNamed, foldName } from '../shared/columns.js';

const FUNCTIONS = ['count', 'count_distinct', 'sum', 'avg', 'min', 'max', 'median', 'percentile', 'stddev', 'first', 'last', 'string_agg'] as const;
type Fn = (typeof FUNCTIONS)[number];

const params = z
  .object({
    group_by: z.array(z.string().min(1)).default([]).meta({
      label: 'Group by',
      help: 'One output row per combination of these columns. Empty: one row for the whole input.',
      widget: 'columns',
      group: 'Groups',
    }),
    aggregations: z
      .array(
        z
          .object({
            name: z.string().min(1).meta({ label: 'Output column' }),
            function: z.enum(FUNCTIONS).meta({ label: 'Function', widget: 'select' }),
            column: z.string().min(1).optional().meta({ label: 'Column', help: 'Optional for count (then it counts rows).', widget: 'column' }),
            p: z.number().min(0).max(1).optional().meta({ label: 'Percentile', help: 'For percentile: 0.9 is the 90th percentile (interpolated).', widget: 'number', placeholder: '0.5' }),
            order_by: z.string().min(1).optional().meta({ label: 'Order by', help: 'first/last: the column that decides which row comes first. string_agg: the order of the pieces.', widget: 'column' }),
            descending: z.boolean().default(false).meta({ label: 'Descending', help: 'string_agg: join in descending order.', widget: 'boolean' }),
            separator: z.string().default(', ').meta({ label: 'Separator', help: 'string_agg only.', widget: 'text', placeholder: ', ' }),
          })
          .strict(),
      )
      .min(1)
      .meta({ label: 'Aggregations', widget: 'list', group: 'Aggregations' }),
    having: z.string().min(1).optional().meta({
      label: 'Keep groups where',
      help: 'A condition on the output columns (group columns and aggregation names), e.g. `orders >= 10`.',
      widget: 'sql',
      group: 'Filter',
      placeholder: 'orders >= 10',
    }),
  })
  .strict();

const NEEDS_COLUMN = new Set<Fn>(FUNCTIONS.filter((f) => f !== 'count'));

export const aggregateNode = defineNode({
  type: 'transform.aggregate',
  version: 1,
  spark: aggregateSpark,
  category: 'transform',
  rowOrder: 'arbitrary',
  title: 'Aggregate',
  description: 'Groups rows and computes counts, sums, averages, percentiles, first/last values and more.',
  aliases: ['group by', 'summarize', 'pivot table', 'totals', 'rollup', 'statistics'],
  inputs: [{ name: 'in' }],
  outputs: [{ name: 'out' }],
  params,
  docs: `One output row per distinct combination of the \`group_by\` columns (NULL is a group of its own),
with the group columns first, then one column per aggregation, named by \`name\`. Row order is not
defined; add a Sort node when it matters.

**No group columns**: the whole input is one group, so the output has exactly one row, **also when
the input is empty** (SQL semantics): counts are 0, every other aggregation NULL. With group columns
an empty input gives no rows.

| function | result |
|---|---|
| \`count\` | rows in the group; with \`column\`, its non-NULL values |
| \`count_distinct\` | distinct non-NULL values of \`column\` |
| \`sum\`, \`avg\`, \`min\`, \`max\` | over non-NULL values; NULL when there are none. Sums of integers are 128-bit (HUGEINT; UHUGEINT too, which DuckDB alone would sum as a rounding DOUBLE), of DECIMAL(p,s) DECIMAL(38,s): a sum with more digits than that holds stops the run, naming the aggregation and the column. \`avg\` (and \`median\`, \`percentile\`, \`stddev\`) of integers is a DOUBLE: exact only up to 2^53 |
| \`median\`, \`percentile\` | interpolated (\`quantile_cont\`; \`p\` from 0 to 1), DOUBLE for numbers (DECIMAL included: 10.25 and 10.26 give 10.255); for dates and times the instant between, a TIMESTAMP for a DATE column |
| \`stddev\` | sample standard deviation; NULL for fewer than two values |
| \`first\`, \`last\` | \`column\` on the row with the smallest / largest \`order_by\` (\`arg_min\` / \`arg_max\`); rows where \`column\` or \`order_by\` is NULL are skipped. Ties: the smallest (first) or largest (last) \`column\` value wins, so the result is deterministic (comparing (order_by, column) pairs makes this aggregation about 2–3× slower than a plain \`arg_max\`, whose pick among ties varies from run to run) |
| \`string_agg\` | non-NULL values as text joined by \`separator\`, ordered by \`order_by\` (or the values themselves), then by the value; \`descending\` reverses it |

**having** is a condition on the output columns, applied after grouping (\`total > 1000\`,
\`orders >= 10 AND country <> 'XX'\`). Pipeline params are written \`$name\`. An input column that is
not an output column is refused with the names having can use: add an aggregation of it, or filter
rows before grouping with a Filter node. \`sum\`, \`avg\`, \`median\`, \`percentile\` and \`stddev\` of a
text column are refused before the run (a CSV read as text: convert the column with a Cast node).

**NaN** (a DOUBLE that is not a number, read from the text \`NaN\`) counts as larger than every
number, as in DuckDB's ordering: \`max\` returns it, \`sum\` and \`avg\` of a group holding one are NaN.
Turn such values into NULL first when they mean "no value" (a Derive: \`CASE WHEN isnan(v) THEN NULL ELSE v END\`).`,
  example: {
    description: 'Revenue and orders per country',
    params: {
      group_by: ['country'],
      aggregations: [
        { name: 'orders', function: 'count' },
        { name: 'revenue', function: 'sum', column: 'revenue' },
        { name: 'p90_revenue', function: 'percentile', column: 'revenue', p: 0.9 },
        { name: 'last_order', function: 'last', column: 'order_id', order_by: 'order_date' },
      ],
      having: 'orders >= 10',
    },
  },
  check(p) {
    const out: Array<{ path: string; message: string; hint?: string }> = [];
    const seen = new Set(p.group_by.map(foldName));
    p.aggregations.forEach((a, i) => {
      if (seen.has(foldName(a.name)))
        out.push({ path: `aggregations[${i}].name`, message: `output column '${a.name}' appears twice`, hint: 'give each aggregation a name not used by a group column or another aggregation' });
      seen.add(foldName(a.name));
      if (NEEDS_COLUMN.has(a.function) && !a.column) out.push({ path: `aggregations[${i}].column`, message: `${a.function} needs a column` });
      if (a.function === 'percentile' && a.p === undefined) out.push({ path: `aggregations[${i}].p`, message: 'percentile needs p (from 0 to 1)', hint: 'e.g. 0.9 for the 90th percentile' });
      if ((a.function === 'first' || a.function === 'last') && !a.order_by)
        out.push({ path: `aggregations[${i}].order_by`, message: `${a.function} needs order_by: the column that says which row comes ${a.function}` });
    });
    const groups = new Set<string>();
    p.group_by.forEach((g, i) => {
      if (groups.has(foldName(g))) out.push({ path: `group_by[${i}]`, message: `'${g}' is listed twice` });
      groups.add(foldName(g));
    });
    return out;
  },
  compile(ctx) {
    const input = ctx.input();
    const { group_by: groupBy, aggregations, having } = ctx.params;
    aggregations.forEach((a, i) => refuseText(ctx.nodeId, i, a, input.columns));
    const aggs = aggregations.map((a) => {
      const col = a.column === undefined ? '' : ident(a.column);
      const ord = a.order_by === undefined ? '' : ident(a.order_by);
      switch (a.function) {
        case 'count':
          return a.column === undefined ? 'count(*)' : `count(${col})`;
        case 'count_distinct':
          return `count(DISTINCT ${col})`;
        case 'sum': {
          const type = columnNamed(input.columns, a.column!)?.type;
          return checkedDecimalSum(`sum(${sumOperand(col, type)})`, type, ctx.nodeId, a.name, a.column!);
        }
        case 'avg':
        case 'min':
        case 'max':
          return `${a.function}(${col})`;
        case 'median':
          return `median(${interpolable(col, columnNamed(input.columns, a.column!)?.type)})`;
        case 'percentile':
          return `quantile_cont(${interpolable(col, columnNamed(input.columns, a.column!)?.type)}, ${literal(a.p ?? 0.5)})`;
        case 'stddev':
          return `stddev_samp(${col})`;
        // The value joins the ordering key so ties pick a deterministic row.
        case 'first':
          return `arg_min(${col}, (${ord}, ${col})) FILTER (WHERE ${ord} IS NOT NULL)`;
        case 'last':
          return `arg_max(${col}, (${ord}, ${col})) FILTER (WHERE ${ord} IS NOT NULL)`;
        case 'string_agg': {
          const dir = a.descending ? ' DESC' : '';
          const order = a.order_by === undefined ? `${col}${dir}` : `${ord}${dir}, ${col}${dir}`;
          return `string_agg(CAST(${col} AS VARCHAR), ${literal(a.separator)} ORDER BY ${order})`;
        }
      }
    });
    const list = [...groupBy.map(ident), ...aggs.map((sql, i) => `${sql} AS ${ident(aggregations[i]!.name)}`)];
    let sql = `SELECT ${list.join(', ')}\nFROM ${input.ref}${groupBy.length > 0 ? `\nGROUP BY ${groupBy.map(ident).join(', ')}` : ''}`;
    if (having) {
      const outputs = [...groupBy, ...aggregations.map((a) => a.name)];
      const misplaced = havingInputColumns(having, input.columns.map((c) => c.name), outputs);
      if (misplaced.length > 0) {
        const message = `node '${ctx.nodeId}': having uses ${misplaced.map((c) => `'${c}'`).join(', ')}, ${misplaced.length > 1 ? 'columns' : 'a column'} of the input; having filters the grouped rows, so it can use the group columns and the aggregations' names (${outputs.join(', ')})`;
        const hint = `add an aggregation of ${misplaced[0]} (e.g. sum) and use its name in having, or filter the rows before grouping with a Filter node`;
        throw new CaudalError('validation', message, { nodeId: ctx.nodeId, hint, problems: [{ code: 'invalid_expression', path: 'params.having', message, hint }] });
      }
      sql = `SELECT *\nFROM (\n${sql}\n)\nWHERE (\n${ctx.expr(having, 'having')}\n)`;
    }
    return { outputs: { out: sql } };
  },
});

/**
 * DuckDB interpolates a DECIMAL's median and percentiles in the column's own type, cutting the
 * result to its scale (10.25 and 10.26 gave 10.25): such a column is interpolated as a DOUBLE, as
 * the other numbers are.
 */
function interpolable(col: string, type: string | undefined): string {
  return type !== undefined && /^DECIMAL\b/i.test(type) ? `CAST(${col} AS DOUBLE)` : col;
}

/** Functions that need numbers (or values with an order and arithmetic); text is the usual mistake after a CSV read as text. */
const NUMERIC_ONLY = new Set<Fn>(['sum', 'avg', 'median', 'percentile', 'stddev']);

function refuseText(nodeId: string, i: number, a: { name: string; function: Fn; column?: string }, columns: Array<{ name: string; type: string }>): void {
  if (!NUMERIC_ONLY.has(a.function) || a.column === undefined) return;
  const type = columnNamed(columns, a.column!)?.type;
  if (type === undefined || !/^(VARCHAR|JSON|BOOLEAN|BLOB|UUID)$/i.test(type)) return;
  const message = `node '${nodeId}': aggregation '${a.name}' (${a.function}) needs numbers, but column '${a.column}' is ${type}`;
  const hint = `convert '${a.column}' to a number type first (a Cast node, e.g. to DOUBLE or DECIMAL), or use count, min, max or string_agg`;
  throw new CaudalError('validation', message, { nodeId, column: a.column, hint, problems: [{ code: 'invalid_param', path: `params.aggregations[${i}].column`, message, hint }] });
}
