import { z } from 'zod';
import { defineNode } from '../define.js';
import { selectSpark } from './transform.select.spark.js';
import { ident } from '../../compiler/sql.js';
import { duplicateIndexes, findColumn, foldName, paramError, sameName } from '../shared/columns.js';

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
Unknown column names are reported before the run with the closest existing name. A column both kept
and dropped (the drop list is not applied when a keep list is set), a column dropped twice and a drop
list naming every column are refused before the run.`,
  example: {
    description: 'Keep three columns, renaming one',
    params: { columns: [{ column: 'order_id' }, { column: 'customer_id' }, { column: 'amount', as: 'revenue' }] },
  },
  check(p) {
    const out: Array<{ path: string; message: string; hint?: string }> = [];
    const seen = new Set<string>();
    p.columns.forEach((c, i) => {
      const name = c.as ?? c.column;
      if (seen.has(foldName(name)))
        out.push({ path: `columns[${i}]`, message: `output column '${name}' appears twice`, hint: 'rename one with "as"' });
      seen.add(foldName(name));
    });
    for (const i of duplicateIndexes(p.drop)) out.push({ path: `drop[${i}]`, message: `column '${p.drop[i]}' is listed twice in the drop list` });
    // With a keep list the drop list is not applied: a column in both would be kept without a word.
    p.drop.forEach((d, i) => {
      const kept = p.columns.findIndex((c) => sameName(c.column, d));
      if (kept >= 0)
        out.push({ path: `drop[${i}]`, message: `column '${d}' is both kept (columns[${kept}]) and dropped`, hint: 'remove it from one of the lists: with a keep list, only the kept columns are output' });
    });
    return out;
  },
  compile(ctx) {
    const input = ctx.input();
    const { columns, drop } = ctx.params;
    if (columns.length > 0) {
      const list = columns.map((c, i) => {
        const name = findColumn(ctx.nodeId, input, c.column, `columns[${i}].column`).name;
        return c.as && c.as !== name ? `${ident(name)} AS ${ident(c.as)}` : ident(name);
      });
      return { outputs: { out: `SELECT ${list.join(', ')}\nFROM ${input.ref}` } };
    }
    if (drop.length > 0) {
      const dropped = new Set(drop.map((d, i) => findColumn(ctx.nodeId, input, d, `drop[${i}]`).name));
      if (dropped.size === input.columns.length)
        throw paramError(ctx.nodeId, 'drop', `node '${ctx.nodeId}' drops every column of its input (${input.columns.map((c) => c.name).join(', ')}): nothing would be left`, 'keep at least one column, or remove the node');
      return { outputs: { out: `SELECT * EXCLUDE (${[...dropped].map(ident).join(', ')})\nFROM ${input.ref}` } };
    }
    return { outputs: { out: `SELECT *\nFROM ${input.ref}` } };
  },
});
