import { z } from 'zod';
import { defineNode } from '../define.js';
import { deriveSpark } from './transform.derive.spark.js';
import { ident } from '../../compiler/sql.js';
import { refuseTextNumberComparisons } from '../shared/text-number-comparisons.js';
import { foldName } from '../shared/columns.js';

const params = z
  .object({
    columns: z
      .array(
        z
          .object({
            name: z.string().min(1).meta({ label: 'Column name' }),
            expression: z.string().min(1).meta({ label: 'Expression', widget: 'sql', placeholder: 'quantity * unit_price' }),
          })
          .strict(),
      )
      .min(1)
      .meta({
        label: 'Columns',
        help: 'Each expression sees the input columns (not the other derived ones). A name that exists replaces that column in place.',
        widget: 'list',
      }),
  })
  .strict();

export const deriveNode = defineNode({
  type: 'transform.derive',
  version: 1,
  spark: deriveSpark,
  category: 'transform',
  rowOrder: 'follows',
  title: 'Derive columns',
  description: 'Adds or replaces columns computed from SQL expressions.',
  aliases: ['calculate', 'formula', 'compute', 'new column', 'mutate'],
  inputs: [{ name: 'in' }],
  outputs: [{ name: 'out' }],
  params,
  docs: `Every expression is evaluated against the input row. When a name matches an input column
(ignoring the case of A–Z, as DuckDB does: \`STATUS\` replaces \`status\`, while \`É\` is a new column next to \`é\`)
the column is replaced where it stands, keeping its name; new columns are appended in the order given. Use a second Derive node to build on a derived column.

Arithmetic is DuckDB's: an integer result too large for its type stops the run ("Overflow in addition
of INT32"; cast an operand to BIGINT, HUGEINT or DECIMAL first), but a division by zero does not:
\`/\` gives Infinity, -Infinity or NaN (for 0/0), \`//\` and \`%\` give NULL. Write
\`amount / nullif(quantity, 0)\` for NULL, or \`CASE WHEN quantity = 0 THEN error('quantity is 0') ELSE amount / quantity END\`
to stop the run.

A text column or text expression compared with a number (\`CASE WHEN code = 7 …\`, \`trim(code) IN (1, 2)\`) is refused before the
run: DuckDB would convert each text to a number, so \`'7.4'\`, \`' 7'\` and \`'007'\` would equal 7. Compare
with text (\`code = '7'\`) or convert the column first (a Cast node, or \`TRY_CAST(code AS INTEGER)\`).`,
  example: {
    description: 'Revenue and a normalized status',
    params: {
      columns: [
        { name: 'revenue', expression: 'quantity * unit_price * (1 - coalesce(discount, 0))' },
        { name: 'status', expression: 'lower(trim(status))' },
      ],
    },
  },
  check(p) {
    const out: Array<{ path: string; message: string; hint?: string }> = [];
    const seen = new Set<string>();
    p.columns.forEach((c, i) => {
      if (seen.has(foldName(c.name)))
        out.push({ path: `columns[${i}].name`, message: `column '${c.name}' is derived twice`, hint: 'merge the two expressions or use a second Derive node' });
      seen.add(foldName(c.name));
    });
    return out;
  },
  async compile(ctx) {
    const input = ctx.input();
    // DuckDB matches column names without regard to the case of ASCII letters, so 'STATUS' replaces
    // 'status' (keeping the input's spelling rather than turning into a second column), while 'É'
    // is a new column next to 'é'.
    const existing = new Map(input.columns.map((c) => [foldName(c.name), c.name]));
    const exprs = ctx.params.columns.map((c, i) => ({ name: existing.get(foldName(c.name)) ?? c.name, sql: ctx.expr(c.expression, `columns[${i}].expression`) }));
    await refuseTextNumberComparisons(ctx, input, exprs.map((e, i) => ({ sql: e.sql, path: `columns[${i}].expression`, what: `the expression of '${e.name}'` })));
    const replaced = exprs.filter((e) => existing.has(foldName(e.name)));
    const added = exprs.filter((e) => !existing.has(foldName(e.name)));
    const parts: string[] = [];
    if (replaced.length > 0) parts.push(`* REPLACE (${replaced.map((e) => `(\n${e.sql}\n) AS ${ident(e.name)}`).join(', ')})`);
    else parts.push('*');
    for (const e of added) parts.push(`(\n${e.sql}\n) AS ${ident(e.name)}`);
    return { outputs: { out: `SELECT ${parts.join(',\n  ')}\nFROM ${input.ref}` } };
  },
});
