import { z } from 'zod';
import { defineNode, type Relation } from '../define.js';
import { floatKeyChecks, withChecked } from '../shared/exact-widening.js';
import { lookupSpark } from './transform.lookup.spark.js';
import { ident, literal, stringLiteral } from '../../compiler/sql.js';
import { CaudalError } from '../../util/errors.js';
import { foldName, requireColumn } from '../shared/columns.js';
import { constantConverts } from '../shared/typed-constant.js';
import { floatKeyRefusal } from '../shared/exact-common-type.js';

const value = z.union([z.string(), z.number(), z.boolean(), z.null()]);

const params = z
  .object({
    keys: z
      .array(
        z
          .object({
            column: z.string().min(1).meta({ label: 'Input column', widget: 'column', port: 'in' }),
            reference: z.string().min(1).optional().meta({ label: 'Reference column', help: 'Leave empty when it has the same name.', widget: 'column', port: 'reference' }),
          })
          .strict(),
      )
      .min(1)
      .meta({ label: 'Match on', help: 'Key columns; the reference must have at most one row per key.', widget: 'list', group: 'Lookup' }),
    columns: z
      .array(
        z
          .object({
            column: z.string().min(1).meta({ label: 'Reference column', widget: 'column', port: 'reference' }),
            as: z.string().min(1).optional().meta({ label: 'Name in the output' }),
            default: value.optional().meta({
              label: 'Default when not found',
              help: 'Used for input rows whose key is not in the reference; converted to the column\'s type. Empty: NULL.',
            }),
          })
          .strict(),
      )
      .min(1)
      .meta({ label: 'Columns to bring in', help: 'Appended after the input columns, in this order.', widget: 'list', group: 'Lookup' }),
    count_unmatched: z.boolean().default(true).meta({
      label: 'Count unmatched keys',
      help: 'Reports unmatched_rows and unmatched_keys with the run. It re-reads the input\'s key columns: turn it off to save that pass on very large inputs.',
      widget: 'boolean',
      group: 'Metrics',
    }),
  })
  .strict();

export const lookupNode = defineNode({
  type: 'transform.lookup',
  version: 1,
  spark: lookupSpark,
  category: 'transform',
  rowOrder: 'follows',
  title: 'Lookup',
  description: 'Adds columns from a reference table by key, one match per row at most; never adds or removes rows.',
  aliases: ['vlookup', 'enrich', 'dictionary', 'map', 'left join', 'xlookup'],
  inputs: [
    { name: 'in', description: 'The rows to enrich.' },
    { name: 'reference', label: 'Reference', description: 'One row per key: the values to bring in.' },
  ],
  outputs: [{ name: 'out' }],
  params,
  docs: `Every input row comes out exactly once, in a left join with the reference: its columns, then
the columns picked from the reference (renamed with \`as\`).

**Not found.** Rows whose key is not in the reference (and rows with a NULL key, which match nothing)
get the column's \`default\`, or NULL without one. The default is a JSON value cast to the reference
column's type (\`"1970-01-01"\` for a DATE, \`0\` for a DOUBLE…); a value that does not convert, or
that the type would change (\`"1970-01-01 10:00"\` for a DATE, \`0.5\` for an INTEGER), is reported
before the run. A reference row that matches but holds NULL keeps its NULL.

**Text keys** are compared exactly: \`'ACME'\` does not find \`'acme'\`, nor \`'acme '\` with a trailing
space. When the spellings vary, normalize both keys first (a Clean text node); the \`unmatched_rows\`
metric shows how many rows found nothing.

**Keys of different types** are compared after DuckDB's usual widening (an INTEGER key finds a
BIGINT one). A BIGINT (or long DECIMAL) key meeting a DOUBLE key is compared as DOUBLE, which holds
whole numbers exactly only up to 2^53: a key value the DOUBLE would change (9007199254740993, compared
as 9007199254740992) stops the run, naming the column and the value, rather than finding another
key's row. A text key meeting a key of another type is converted to that type, so \`'007'\`, \`'7.0'\`
and \`' 7'\` would all find the row of 7: a text key value that is not the other type's own spelling of
its value (\`'7'\` for 7, \`'2024-01-05'\` for that date) stops the run the same way. A FLOAT key meeting a
DOUBLE key is refused before the run: compared as DOUBLE, the FLOAT 0.1 is 0.10000000149011612 and
would never find the DOUBLE 0.1. Give both keys one type first (a Cast node: both to the same DECIMAL,
or the DOUBLE key to FLOAT).

**Duplicate keys in the reference** would repeat input rows, so they stop the run with a message
naming the key, e.g. \`the reference input has 2 rows for customer_id = 42\`. Remove duplicates first
(a Dedupe node), or use a Join when repetition is wanted. The check is part of the same query: the
reference is grouped by key while the hash table is built, which costs a pass over the reference only.

**Metrics** (in a run): \`unmatched_rows\`, input rows that found no reference row (NULL keys
included), and \`unmatched_keys\`, the distinct non-NULL keys among them. Taken after the node by
re-reading the input's key columns against the reference's keys: an anti join of the key columns
only, which on 10M orders against 500k customers costs about a tenth of the lookup itself (measured
on a loaded 2-core machine). Set \`count_unmatched: false\` to skip it.

Picked columns must not collide with input column names (case-insensitive): rename them with \`as\`.`,
  example: {
    description: 'Customer country and segment for each order',
    params: {
      keys: [{ column: 'customer_id' }],
      columns: [{ column: 'country', default: 'unknown' }, { column: 'name', as: 'customer_name' }],
    },
  },
  check(p) {
    const out: Array<{ path: string; message: string; hint?: string }> = [];
    const seen = new Set<string>();
    p.columns.forEach((c, i) => {
      const name = foldName(c.as ?? c.column);
      if (seen.has(name)) out.push({ path: `columns[${i}]`, message: `output column '${c.as ?? c.column}' appears twice`, hint: 'rename one with "as"' });
      seen.add(name);
    });
    return out;
  },
  async compile(ctx) {
    const { keys: keyParams, columns, count_unmatched: countUnmatched } = ctx.params;
    const input = ctx.input('in');
    const ref = ctx.input('reference');
    const keys = keyParams.map((k, i) => ({
      in: requireColumn(ctx.nodeId, input, 'input', k.column, `keys[${i}].column`),
      ref: requireColumn(ctx.nodeId, ref, 'reference input', k.reference ?? k.column, k.reference === undefined ? `keys[${i}].column` : `keys[${i}].reference`),
    }));
    const inNames = new Set(input.columns.map((c) => foldName(c.name)));
    const picked = columns.map((c, i) => {
      const column = requireColumn(ctx.nodeId, ref, 'reference input', c.column, `columns[${i}].column`);
      const as = c.as ?? column;
      if (inNames.has(foldName(as))) {
        const message = `node '${ctx.nodeId}': output column '${as}' already exists in the input`;
        const hint = 'rename the looked-up column with "as", or drop the input column first';
        throw new CaudalError('validation', message, { nodeId: ctx.nodeId, hint, problems: [{ code: 'invalid_param', path: `params.columns[${i}]`, message, hint }] });
      }
      const type = ref.columns.find((x) => x.name === column)!.type;
      return { column, as, type, default: c.default, index: i };
    });
    for (const p of picked) {
      if (p.default === undefined || p.default === null) continue;
      if (!(await constantConverts((sql) => ctx.rows(sql), p.default, p.type))) {
        const message = `node '${ctx.nodeId}': the default ${JSON.stringify(p.default)} for '${p.as}' is not a valid ${p.type} (or would change converting to it)`;
        throw new CaudalError('validation', message, { nodeId: ctx.nodeId, problems: [{ code: 'invalid_param', path: `params.columns[${p.index}].default`, message, hint: `give a value of the reference column's type (${p.type})` }] });
      }
    }

    // The reference grouped by key: one row per key, or an error naming the first repeated key.
    const k = (i: number) => ident(`_k${i}`);
    const v = (i: number) => ident(`_v${i}`);
    // Grouped and named by the reference's own key columns: in GROUP BY and HAVING a name binds to
    // an input column before an alias, so a reference column called _k0 would take _k0's place.
    const keyText = keys.map((x) => `${stringLiteral(`${x.ref} = `)} || CAST(${ident(x.ref)} AS VARCHAR)`).join(` || ', ' || `);
    const duplicate = `error(${literal(`node '${ctx.nodeId}': the reference input has `)} || count(*) || ${literal(' rows for ')} || ${keyText} || ${literal('; a lookup needs at most one row per key (remove duplicates first, or use a Join)')})`;
    // A BIGINT key meeting a DOUBLE key is compared as DOUBLE (9007199254740993 would find the row
    // of 9007199254740992), a text key meeting a BIGINT one as BIGINT ('007' would find 7's): such a
    // key value stops the run instead.
    const col = (r: Relation, name: string) => r.columns.find((c) => c.name === name)!;
    keys.forEach((x, i) => {
      const refused = floatKeyRefusal(col(input, x.in), col(ref, x.ref), { a: 'main', b: 'reference' });
      if (!refused) return;
      const message = `node '${ctx.nodeId}': ${refused.message}`;
      throw new CaudalError('validation', message, { nodeId: ctx.nodeId, hint: refused.hint, problems: [{ code: 'invalid_param', path: `params.keys[${i}]`, message, hint: refused.hint }] });
    });
    const checked = floatKeyChecks(keys.map((x) => [col(input, x.in), col(ref, x.ref)]), { a: 'main', b: 'reference' });
    const reference = `SELECT ${[...keys.map((x, i) => `${ident(x.ref)} AS ${k(i)}`), ...picked.map((p, i) => `any_value(${ident(p.column)}) AS ${v(i)}`)].join(', ')}
  FROM ${withChecked(ref.ref, checked.b)}
  WHERE ${keys.map((x) => `${ident(x.ref)} IS NOT NULL`).join(' AND ')}
  GROUP BY ${[...new Set(keys.map((x) => ident(x.ref)))].join(', ')}
  HAVING CASE WHEN count(*) > 1 THEN ${duplicate} ELSE TRUE END`;
    const list = picked.map((p, i) =>
      p.default === undefined || p.default === null
        ? `r.${v(i)} AS ${ident(p.as)}`
        : `CASE WHEN r.${k(0)} IS NULL THEN CAST(${literal(p.default)} AS ${p.type}) ELSE r.${v(i)} END AS ${ident(p.as)}`,
    );
    const on = keys.map((x, i) => `i.${ident(x.in)} = r.${k(i)}`).join(' AND ');
    const out = `SELECT i.*, ${list.join(', ')}\nFROM ${withChecked(input.ref, checked.a)} AS i\nLEFT JOIN (\n  ${reference}\n) AS r ON ${on}`;

    const inKeys = keys.map((x) => `i.${ident(x.in)}`);
    const distinctKeys = inKeys.length === 1 ? `count(DISTINCT ${inKeys[0]})` : `count(DISTINCT (${inKeys.join(', ')})) FILTER (WHERE ${inKeys.map((x) => `${x} IS NOT NULL`).join(' AND ')})`;
    // Over the same checked inputs as the lookup: the count may run first, and a key value that
    // does not convert must stop it with the node's message, not DuckDB's bare conversion error.
    const metricsSql = `SELECT count(*) AS unmatched_rows, ${distinctKeys} AS unmatched_keys
FROM ${withChecked(input.ref, checked.a)} AS i ANTI JOIN ${withChecked(ref.ref, checked.b)} AS r ON ${keys.map((x) => `i.${ident(x.in)} = r.${ident(x.ref)}`).join(' AND ')}`;
    return countUnmatched ? { outputs: { out }, metricsSql } : { outputs: { out } };
  },
});
