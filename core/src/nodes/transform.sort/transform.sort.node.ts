import { z } from 'zod';
import { defineNode } from '../define.js';
import { sortSpark } from './transform.sort.spark.js';
import { ident } from '../../compiler/sql.js';
import { foldName } from '../shared/columns.js';

const key = z
  .object({
    column: z.string().min(1).meta({ label: 'Column', widget: 'column' }),
    direction: z.enum(['asc', 'desc']).default('asc').meta({ label: 'Direction', widget: 'select' }),
    nulls: z.enum(['last', 'first']).default('last').meta({ label: 'Nulls', help: 'Where NULL values go, whatever the direction.', widget: 'select' }),
  })
  .strict();

const params = z
  .object({
    by: z.array(key).min(1).meta({ label: 'Sort by', help: 'Sort keys in priority order: later keys break ties of earlier ones.', widget: 'list' }),
    break_ties: z.boolean().default(false).meta({
      label: 'Break remaining ties',
      help: 'Append every other column (ascending, nulls last) as a final tie-breaker so the row order is fully deterministic. Costs a wider sort.',
      widget: 'boolean',
      group: 'Advanced',
    }),
  })
  .strict();

export const sortNode = defineNode({
  type: 'transform.sort',
  version: 1,
  spark: sortSpark,
  category: 'transform',
  title: 'Sort',
  description: 'Orders rows by one or more columns, each ascending or descending, with nulls first or last.',
  aliases: ['order by', 'order', 'arrange', 'rank'],
  inputs: [{ name: 'in' }],
  outputs: [{ name: 'out' }],
  params,
  docs: `Rows are ordered by the keys in \`by\`, the first key first; each key has its own direction and its
own placement of NULLs (\`nulls: last\` by default, for both directions, unlike some databases that flip it
with the direction). Text sorts by code point (DuckDB's default collation), so \`'Zoë'\` sorts after \`'Zoe'\`
and upper case before lower case.

**Ties.** Rows equal on every key have no guaranteed relative order: DuckDB's sort is parallel and not
stable. Add more keys until they identify a row, or set \`break_ties\` to append all remaining columns as
final ascending keys (the order is then fully deterministic for distinct rows; fully identical rows are
interchangeable anyway). INTERVAL values that SQL calls equal but that are written differently
(\`1 month\`, \`30 days\`) are then ordered by their text.

The order holds for the node's output: sinks write rows in this order, and a \`transform.limit\` right after
takes the first rows in this order. Nodes that regroup rows (aggregations, joins, unions) do not keep it.

Unknown column names are reported before the run with the closest existing name.

Metrics and warnings: none; the rows-out count equals the rows in.`,
  example: {
    description: 'Newest orders first, then by id',
    params: { by: [{ column: 'order_date', direction: 'desc' }, { column: 'order_id' }] },
  },
  check(p) {
    const out: Array<{ path: string; message: string; hint?: string }> = [];
    const seen = new Set<string>();
    p.by.forEach((k, i) => {
      if (seen.has(foldName(k.column))) out.push({ path: `by[${i}].column`, message: `column '${k.column}' is sorted on twice`, hint: 'remove the second key: it never changes the order' });
      seen.add(foldName(k.column));
    });
    return out;
  },
  compile(ctx) {
    const input = ctx.input();
    const keys = ctx.params.by.map((k) => `${ident(k.column)} ${k.direction === 'desc' ? 'DESC' : 'ASC'} NULLS ${k.nulls === 'first' ? 'FIRST' : 'LAST'}`);
    if (ctx.params.break_ties) {
      const used = new Set(ctx.params.by.map((k) => foldName(k.column)));
      for (const c of input.columns) if (!used.has(foldName(c.name))) keys.push(`${ident(c.name)} ASC NULLS LAST`);
      // SQL calls INTERVAL '1 month' and '30 days' equal (months of 30 days): rows differing only
      // there would still tie, so their text decides, the sort keys' intervals included.
      for (const c of input.columns) if (/\bINTERVAL\b/i.test(c.type)) keys.push(`CAST(${ident(c.name)} AS VARCHAR) ASC NULLS LAST`);
    }
    return { outputs: { out: `SELECT * FROM ${input.ref}\nORDER BY ${keys.join(', ')}` } };
  },
});
