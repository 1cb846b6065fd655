import { z } from 'zod';
import { defineNode } from '../define.js';
import { filterSpark } from './transform.filter.spark.js';
import { paramError } from '../shared/columns.js';
import { nonBooleanConditions, NOT_BOOLEAN_HINT } from '../shared/boolean-condition.js';
import { refuseTextNumberComparisons } from '../shared/text-number-comparisons.js';

const params = z
  .object({
    condition: z.string().min(1).meta({
      label: 'Keep rows where',
      help: 'A SQL boolean expression over the input columns. Pipeline params are written $name.',
      widget: 'sql',
      placeholder: "status = 'completed' AND amount > 0",
    }),
  })
  .strict();

export const filterNode = defineNode({
  type: 'transform.filter',
  version: 1,
  spark: filterSpark,
  category: 'transform',
  rowOrder: 'follows',
  title: 'Filter',
  description: 'Keeps the rows for which a SQL condition is true.',
  aliases: ['where', 'keep rows', 'remove rows'],
  inputs: [{ name: 'in' }],
  outputs: [{ name: 'out' }],
  params,
  docs: `Rows where the condition is \`false\` or \`NULL\` are dropped. The condition is checked against
the input's columns before the run starts: a misspelled column is reported with the closest name.
It must give true/false: a number or a text (\`amount\`, \`flag\`) is refused, as DuckDB would keep
every row whose number is not 0, or whose text reads as true (\`yes\`, \`t\`), and stop on other text.
A text column or text expression compared with a number (\`code = 7\`, \`code IN (1, 2)\`,
\`substr(code, 1, 4) > 2020\`) is refused too: DuckDB would
convert each text to a number, so \`'7.4'\`, \`' 7'\` and \`'007'\` would equal 7; compare with text
(\`code = '7'\`) or convert the column first (a Cast node, or \`TRY_CAST(code AS INTEGER) = 7\`).`,
  example: {
    description: 'Keep completed orders since the run date',
    params: { condition: "status = 'completed' AND order_date >= $run_date" },
  },
  async compile(ctx) {
    const input = ctx.input();
    const condition = ctx.expr(ctx.params.condition, 'condition');
    const [type] = (await nonBooleanConditions(ctx, input, [condition])) ?? [];
    if (type !== undefined) throw paramError(ctx.nodeId, 'condition', `node '${ctx.nodeId}': the condition gives ${type} values, not true/false`, NOT_BOOLEAN_HINT);
    await refuseTextNumberComparisons(ctx, input, [{ sql: condition, path: 'condition', what: 'the condition' }]);
    return { outputs: { out: `SELECT * FROM ${input.ref}\nWHERE (\n${condition}\n)` } };
  },
});
