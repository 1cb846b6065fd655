import { z } from 'zod';
import { defineNode } from '../define.js';
import { selectSpark } from './transform.select.spark.js';
import { ident } from '../../compiler/sql.js';

const params = z
  .object({
    columns: z
      .array(
        z
          .object({
            column: z.string().min(1).meta({ label: 'Column', widget: 'column' }),
            as: z.string().min(1).optional().meta({ label: 'Rename to' }),
          })
          .strict(),
      )
      .default([])
      .meta({
        label: 'Columns to keep',
        help: 'In output order. Leave empty to keep every column (then use Drop).',
        widget: 'list',
      }),
    drop: z.array(z.string().min(1)).default([]).meta({
      label: 'Columns to drop',
      help: 'Removed from the output; used when the keep list is empty.',
      widget: 'columns',
    }),
  })
  .strict();

export const selectNode = defineNode({
  type: 'transform.select',
  version: 1,
  spark: selectSpark,
  category: 'transform',
  rowOrder: 'follows',
  title: 'Select columns',
  description: 'Picks, renames, reorders or drops columns.',
  aliases: ['rename', 'reorder', 'drop columns', 'project'],
  inputs: [{ name: 'in' }],
  outputs: [{ name: 'out' }],
  params,
  docs: `With a keep list, the output has exactly those columns in that order, renamed where \`as\` is
set. With only a drop list, every other column passes through in its original order.
Unknown column names are reported before the run with the closest existing name.`,
  example: {
    description: 'Keep three columns, renaming one',
    params: { columns: [{ column: 'order_id' }, { column: 'customer_id' }, { column: 'amount', as: 'revenue' }] },
  },
  check(p) {
    const out: Array<{ path: string; message: string; hint?: string }> = [];
    const seen = new Set<string>();
    p.columns.forEach((c, i) => {
      const name = c.as ?? c.column;
      if (seen.has(name.toLowerCase()))
        out.push({ path: `columns[${i}]`, message: `output column '${name}' appears twice`, hint: 'rename one with "as"' });
      seen.add(name.toLowerCase());
    });
    return out;
  },
  compile(ctx) {
    const input = ctx.input();
    const { columns, drop } = ctx.params;
    if (columns.length > 0) {
      const list = columns.map((c) => (c.as && c.as !== c.column ? `${ident(c.column)} AS ${ident(c.as)}` : ident(c.column)));
      return { outputs: { out: `SELECT ${list.join(', ')}\nFROM ${input.ref}` } };
    }
    if (drop.length > 0) {
      // Naming the dropped columns in EXCLUDE lets DuckDB's binder report unknown ones.
      return { outputs: { out: `SELECT * EXCLUDE (${drop.map(ident).join(', ')})\nFROM ${input.ref}` } };
    }
    return { outputs: { out: `SELECT *\nFROM ${input.ref}` } };
  },
});
