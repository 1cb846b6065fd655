import { z } from 'zod';
import { defineNode } from '../define.js';
import { sampleSpark } from './transform.sample.spark.js';
import { literal } from '../../compiler/sql.js';

/** DuckDB refuses `reservoir(n ROWS)` past this many rows, with a parser error about the SQL. */
const MAX_RESERVOIR_ROWS = 1_000_000_000;

const params = z
  .object({
    unit: z.enum(['rows', 'percent']).default('rows').meta({ label: 'Sample by', help: 'A fixed number of rows, or a share of the rows.', widget: 'select' }),
    size: z.number().positive().meta({ label: 'Size', help: 'Number of rows (whole number) or percent (0-100).', widget: 'number', placeholder: '1000' }),
    seed: z.number().int().min(0).max(2147483647).default(42).meta({
      label: 'Seed',
      help: 'The same seed over the same input gives the same rows. Change it for another sample.',
      widget: 'number',
      group: 'Advanced',
    }),
  })
  .strict();

export const sampleNode = defineNode({
  type: 'transform.sample',
  version: 1,
  spark: sampleSpark,
  category: 'transform',
  title: 'Sample',
  description: 'Keeps a random but reproducible subset of rows: a number of rows or a percentage.',
  aliases: ['random rows', 'subset', 'reservoir', 'bernoulli'],
  inputs: [{ name: 'in' }],
  outputs: [{ name: 'out' }],
  params,
  docs: `- \`unit: rows\`: exactly \`size\` rows (all rows when the input has fewer), chosen uniformly by
  **reservoir** sampling (\`USING SAMPLE reservoir(n ROWS) REPEATABLE (seed)\`), at most 1,000,000,000.
- \`unit: percent\`: each row is kept independently with probability \`size\` % by **Bernoulli** sampling
  (\`USING SAMPLE bernoulli(p PERCENT) REPEATABLE (seed)\`), so the count is close to, not exactly, that share.
  DuckDB's \`system\` method (whole vectors of ~2048 rows at once) is not offered: it is faster but the rows
  are clustered, which is rarely what a sample is for.

**Reproducibility.** The seed is always set (default 42): the same seed over the same input in the same
order gives the same rows, whatever the number of DuckDB threads (the node's tests check 1, 2 and 4
threads for both methods over a filtered, multi-row-group input; \`system\` was reproducible too). A different input order (e.g. upstream of an unsorted
aggregation) can change which rows are picked: sort first if the sample must be stable across data changes.
Reservoir output is in sampling order, not input order.

The node's output is always **materialized** in a run, so every downstream node sees the same sample.
A preview samples the preview's input, which may be a prefix of the data: its rows can differ from a run's.

Metrics and warnings: none; the run summary shows the node as materialized, with the sample's row count.`,
  example: { description: 'A reproducible 1% sample', params: { unit: 'percent', size: 1, seed: 7 } },
  check(p) {
    if (p.unit === 'rows' && !Number.isInteger(p.size)) return [{ path: 'size', message: `a row count must be a whole number, not ${p.size}` }];
    if (p.unit === 'rows' && p.size > MAX_RESERVOIR_ROWS)
      return [{ path: 'size', message: `a sample can be at most ${MAX_RESERVOIR_ROWS} rows (DuckDB's reservoir), not ${p.size}`, hint: 'to keep every row, remove the Sample node; for a share of the rows, use unit "percent"' }];
    if (p.unit === 'percent' && p.size > 100) return [{ path: 'size', message: `a percentage must be at most 100, not ${p.size}` }];
    return [];
  },
  compile(ctx) {
    const input = ctx.input();
    const { unit, size, seed } = ctx.params;
    const method = unit === 'rows' ? `reservoir(${literal(size)} ROWS)` : `bernoulli(${literal(size)} PERCENT)`;
    return { outputs: { out: `SELECT * FROM ${input.ref}\nUSING SAMPLE ${method} REPEATABLE (${literal(seed)})` }, materialize: true };
  },
});
