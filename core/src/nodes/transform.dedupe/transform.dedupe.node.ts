import { z } from 'zod';
import { defineNode, type Column } from '../define.js';
import { dedupeSpark } from './transform.dedupe.spark.js';
import { ident, identList } from '../../compiler/sql.js';
import { duplicateIndexes, findColumn, foldName } from '../shared/columns.js';

const orderItem = z
  .object({
    column: z.string().min(1).meta({ label: 'Column', widget: 'column' }),
    direction: z.enum(['asc', 'desc']).default('asc').meta({ label: 'Direction', help: '`asc`: smallest / earliest first; `desc`: largest / latest first.', widget: 'select' }),
  })
  .strict();

const params = z
  .object({
    keys: z.array(z.string().min(1)).default([]).meta({
      label: 'Key columns',
      help: 'Rows with equal values in these columns are duplicates (NULL equals NULL here). Leave empty to remove rows that are equal in every column.',
      widget: 'columns',
      group: 'Duplicates',
    }),
    keep: z.enum(['any', 'first', 'last']).default('any').meta({
      label: 'Row to keep',
      help: '`first` / `last`: the first or last row of each key in the order below. `any`: no preference (the fastest); Caudal still picks the same row every time.',
      widget: 'select',
      group: 'Duplicates',
    }),
    order_by: z.array(orderItem).default([]).meta({
      label: 'Order',
      help: 'Needed for `first` and `last`: e.g. `order_date desc` with `first` keeps the latest row of each key.',
      widget: 'list',
      group: 'Duplicates',
    }),
  })
  .strict();

/**
 * Types whose values SQL calls equal though they are written differently: INTERVAL '1 month' =
 * INTERVAL '30 days' (DuckDB compares intervals as months of 30 days), in a nested type too. Rows
 * that differ only there tie on every column, and which one is kept would depend on the order the
 * rows arrive in; their text breaks that tie.
 */
const writtenApart = (c: Column) => /\bINTERVAL\b/i.test(c.type);

export const dedupeNode = defineNode({
  type: 'transform.dedupe',
  version: 1,
  spark: dedupeSpark,
  category: 'transform',
  rowOrder: 'arbitrary',
  title: 'Remove duplicates',
  description: 'Keeps one row per key (or per distinct row), choosing the first, last or any row in an order.',
  aliases: ['deduplicate', 'distinct', 'unique', 'drop duplicates', 'latest per key', 'first per group'],
  inputs: [{ name: 'in' }],
  outputs: [
    { name: 'out', description: 'One row per key: the input columns, unchanged.' },
    { name: 'removed', label: 'Removed rows', description: 'The rows that were dropped as duplicates, with the same columns.' },
  ],
  params,
  docs: `**Without key columns** a row is a duplicate when it equals another row in every column
(\`SELECT DISTINCT *\`); the copies are identical, so it does not matter which one stays. (One
exception: SQL calls \`INTERVAL '1 month'\` and \`INTERVAL '30 days'\` equal; of such rows, the one
whose text sorts first stays, whatever the input order.)

**With key columns** the output has exactly one row per distinct key. NULL counts as a value: rows
whose key is NULL are duplicates of each other, as in \`GROUP BY\`. Which row stays:

- \`first\` / \`last\`: the first or last row of the key when its rows are sorted by *Order* (each
  column ascending or descending). A NULL in an order column never wins: such a row is kept only
  when every row of the key has NULL there. A NaN in a FLOAT/DOUBLE order column sorts above every
  number (as in a Sort), so it wins \`first\` with \`desc\` and \`last\` with \`asc\`: filter or fill NaN
  first where that is not wanted.
- \`any\`: no preference.

**Ties are broken deterministically**: after the order columns, rows are compared on every
remaining column in column order (ascending, NULLs last), so the same input always gives the same
output, whatever the order the rows arrive in or the number of threads. INTERVAL values that are
equal but written differently (\`1 month\`, \`30 days\`) are then compared as text. Rows that still tie
are identical, so the choice among them is invisible. To prefer another row among equal order values,
add a column to *Order* (e.g. \`order_id desc\`).

Columns, their order and types pass through unchanged. The output's row order is not defined; sort
downstream if it matters.

**Removed rows.** The \`removed\` output holds the rows that were not kept (for exact duplicates:
every copy after the first). It recomputes the deduplication, so connect it only when you need it.

**How it runs.** With \`first\` / \`last\`, rows are first narrowed, per key, to those holding the
best value of the first order column (a partitioned \`min\`/\`max\`, which needs no sort), and only
those are ranked with \`row_number()\` over the full order. When keys have many rows each (the latest
order per customer) this is about twice as fast as a plain \`row_number()\`, because the wide sort that
makes ties deterministic only sees the few rows left. With \`any\` there is no narrowing: rows are ranked
directly, which is as fast as a hand-written \`row_number()\` when most keys are unique (removing
occasional copies), but about three times slower than DuckDB's own \`arg_min\` shortcut when every key
has many rows; for that case, choose \`first\` with an order column.

**Metrics.** The node emits none: the number of removed rows is \`rows in − rows out\` of the run
summary when row counts are exact (\`--metrics exact\`); counting it otherwise would read the input
a second time.`,
  example: {
    description: 'The latest order of each customer',
    params: { keys: ['customer_id'], keep: 'first', order_by: [{ column: 'order_date', direction: 'desc' }, { column: 'order_id', direction: 'desc' }] },
  },
  check(p) {
    const out: Array<{ path: string; message: string; hint?: string }> = [];
    for (const i of duplicateIndexes(p.keys)) out.push({ path: `keys[${i}]`, message: `key column '${p.keys[i]}' is listed twice` });
    const orderNames = p.order_by.map((o) => o.column);
    for (const i of duplicateIndexes(orderNames)) out.push({ path: `order_by[${i}].column`, message: `order column '${orderNames[i]}' is listed twice` });
    const keySet = new Set(p.keys.map(foldName));
    p.order_by.forEach((o, i) => {
      if (keySet.has(foldName(o.column)))
        out.push({ path: `order_by[${i}].column`, message: `'${o.column}' is a key column: it has the same value in every row of a key, so it cannot order them`, hint: 'order by another column' });
    });
    if (p.keys.length === 0 && (p.keep !== 'any' || p.order_by.length > 0))
      out.push({ path: 'keep', message: 'without key columns, duplicates are identical rows, so there is no first or last one to choose', hint: 'set key columns, or set keep to "any" and leave the order empty' });
    else if (p.keep === 'any' && p.order_by.length > 0)
      out.push({ path: 'order_by', message: 'an order is only used when keeping the first or last row', hint: 'set keep to "first" or "last", or remove the order' });
    else if (p.keep !== 'any' && p.order_by.length === 0)
      out.push({ path: 'order_by', message: `keeping the ${p.keep} row of each key needs an order`, hint: 'add the column that decides, e.g. a date with direction "desc" for the latest row' });
    return out;
  },
  compile(ctx) {
    const p = ctx.params;
    const input = ctx.input();
    const keys = p.keys.map((k, i) => findColumn(ctx.nodeId, input, k, `keys[${i}]`));
    // `last` is `first` in the reverse order; NULLs stay last either way, so they never win.
    const order = p.order_by.map((o, i) => ({ column: findColumn(ctx.nodeId, input, o.column, `order_by[${i}].column`), desc: (o.direction === 'desc') !== (p.keep === 'last') }));
    const used = new Set([...keys, ...order.map((o) => o.column)].map((c) => c.name));
    const rest = input.columns.filter((c) => !used.has(c.name));

    const textTies = input.columns.filter(writtenApart).map((c) => `CAST(${ident(c.name)} AS VARCHAR) ASC NULLS LAST`);
    // With such ties, "removed" is the rows ranked after the first: EXCEPT ALL would take away one
    // of two equal rows, not necessarily the one kept, and list the kept row instead of the other.
    const ranked = (partitionBy: Column[], ranking: string[], kept: boolean) =>
      `SELECT * FROM ${input.ref}\nQUALIFY row_number() OVER (PARTITION BY ${identList(partitionBy.map((c) => c.name))}${ranking.length > 0 ? ` ORDER BY ${ranking.join(', ')}` : ''}) ${kept ? '= 1' : '> 1'}`;

    let out: string;
    let removed: string | undefined;
    if (keys.length === 0 || (order.length === 0 && rest.length === 0)) {
      if (textTies.length === 0) out = `SELECT DISTINCT *\nFROM ${input.ref}`;
      else {
        out = ranked(input.columns, textTies, true);
        removed = ranked(input.columns, textTies, false);
      }
    } else {
      const partition = `PARTITION BY ${identList(keys.map((k) => k.name))}`;
      const ranking = [...order.map((o) => `${ident(o.column.name)} ${o.desc ? 'DESC' : 'ASC'} NULLS LAST`), ...rest.map((c) => `${ident(c.name)} ASC NULLS LAST`), ...textTies];
      if (textTies.length > 0) removed = ranked(keys, ranking, false);
      // Narrow each key to the rows holding the best value of the leading order column first: a
      // partitioned min/max is a hash aggregation, far cheaper than sorting every row.
      // Narrowing pays off when keys have many rows (the latest order per customer), which is what
      // first/last are used for; "any" is mostly used to drop occasional copies, where nearly every key
      // is unique and the narrowing pass would be pure overhead.
      const lead: { column: Column; desc: boolean } | undefined = order[0];
      const from = lead
        ? `(\n  SELECT * FROM ${input.ref}\n  QUALIFY ${ident(lead.column.name)} IS NOT DISTINCT FROM ${lead.desc ? 'max' : 'min'}(${ident(lead.column.name)}) OVER (${partition})\n)`
        : input.ref;
      out = `SELECT * FROM ${from}\nQUALIFY row_number() OVER (${partition}${ranking.length > 0 ? ` ORDER BY ${ranking.join(', ')}` : ''}) = 1`;
    }
    return {
      outputs: {
        out,
        removed: removed ?? `(SELECT * FROM ${input.ref})\nEXCEPT ALL\n(${out})`,
      },
    };
  },
});
