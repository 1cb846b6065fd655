import { z } from 'zod';
import { defineNode } from '../define.js';
import { filterSpark } from './transform.filter.spark.js';

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
the input's columns before the run starts: a misspelled column is reported with the closest name.`,
  example: {
    description: 'Keep completed orders since the run date',
    params: { condition: "status = 'completed' AND order_date >= $run_date" },
  },
  compile(ctx) {
    const input = ctx.input();
    return { outputs: { out: `SELECT * FROM ${input.ref}\nWHERE (\n${ctx.expr(ctx.params.condition, 'condition')}\n)` } };
  },
});
