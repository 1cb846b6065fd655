import { z } from 'zod';
import { defineNode } from '../define.js';
import { limitSpark } from './transform.limit.spark.js';
import { literal } from '../../compiler/sql.js';

const params = z
  .object({
    count: z.number().int().min(0).meta({ label: 'Rows', help: 'How many rows to keep.', widget: 'number', placeholder: '100' }),
    offset: z.number().int().min(0).default(0).meta({ label: 'Skip first', help: 'Rows skipped before counting (for paging).', widget: 'number', group: 'Advanced' }),
  })
  .strict();

export const limitNode = defineNode({
  type: 'transform.limit',
  version: 1,
  spark: limitSpark,
  category: 'transform',
  title: 'Limit',
  description: 'Keeps the first N rows, optionally after skipping some.',
  aliases: ['head', 'top', 'first rows', 'take', 'offset'],
  inputs: [{ name: 'in' }],
  outputs: [{ name: 'out' }],
  params,
  docs: `Keeps \`count\` rows after skipping \`offset\` rows (\`LIMIT count OFFSET offset\`). With fewer rows
than \`offset + count\` you get what is there; an empty input gives an empty output.

**Which rows are "first" is only well defined after a \`transform.sort\`** whose keys identify every row
(or with \`break_ties\`). Right after a file source you get the first rows of the file, because DuckDB keeps
the insertion order of scans; after an aggregation, a join or a union the order, and so the rows kept, may
differ from run to run. Put a sort in front when the choice of rows matters (top-N, paging).

Metrics and warnings: none.`,
  example: { description: 'The ten largest orders (after a sort on amount descending)', params: { count: 10 } },
  compile(ctx) {
    const input = ctx.input();
    const { count, offset } = ctx.params;
    return { outputs: { out: `SELECT * FROM ${input.ref}\nLIMIT ${literal(count)}${offset > 0 ? ` OFFSET ${literal(offset)}` : ''}` } };
  },
});
