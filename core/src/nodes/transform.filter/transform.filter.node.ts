import { z } from 'zod';
import { defineNode } from '../define.js';
import { filterSpark } from './transform.filter.spark.js';
import { paramError } from '../shared/columns.js';

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
every row whose number is not 0, or whose text reads as true (\`yes\`, \`t\`), and stop on other text.`,
  example: {
    description: 'Keep completed orders since the run date',
    params: { condition: "status = 'completed' AND order_date >= $run_date" },
  },
  async compile(ctx) {
    const input = ctx.input();
    const condition = ctx.expr(ctx.params.condition, 'condition');
    // DuckDB takes a number or a text as a truth value in a WHERE without a word.
    const [type] = await ctx.describe(`SELECT (\n${condition}\n) AS c FROM ${input.ref}`).then(
      (cols) => cols.map((c) => c.type),
      () => [undefined], // an unknown column or a syntax error: the node's SQL check names it
    );
    if (type !== undefined && type !== 'BOOLEAN' && !/^[\s()]*null[\s()]*$/i.test(ctx.params.condition))
      throw paramError(
        ctx.nodeId,
        'condition',
        `node '${ctx.nodeId}': the condition gives ${type} values, not true/false`,
        "write a comparison or a test, e.g. amount <> 0 or flag = 'yes' (DuckDB would read a number other than 0, and texts like 'yes' or 't', as true)",
      );
    return { outputs: { out: `SELECT * FROM ${input.ref}\nWHERE (\n${condition}\n)` } };
  },
});
