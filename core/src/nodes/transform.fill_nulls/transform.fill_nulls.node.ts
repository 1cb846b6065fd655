import { z } from 'zod';
import { defineNode, type Column } from '../define.js';
import { fillNullsSpark } from './transform.fill_nulls.spark.js';
import { ident, identList, literal } from '../../compiler/sql.js';
import { duplicateIndexes, findColumn, foldName, paramError } from '../shared/columns.js';
import { constantConverts } from '../shared/typed-constant.js';
import { decimalScale, isFloatType, isIntegerType } from '../shared/locale-numbers.js';
import { sumOperand } from '../shared/decimal-sum.js';

const STRATEGIES = ['constant', 'mean', 'median', 'mode', 'previous', 'next', 'drop_row'] as const;

const rule = z
  .object({
    column: z.string().min(1).meta({ label: 'Column', widget: 'column' }),
    strategy: z.enum(STRATEGIES).meta({
      label: 'Fill with',
      help: '`constant`: the value below. `mean` / `median` / `mode`: of the column\'s non-null values. `previous` / `next`: the nearest non-null value before / after the row in the order. `drop_row`: remove rows where the column is NULL.',
      widget: 'select',
    }),
    value: z.union([z.string(), z.number(), z.boolean()]).optional().meta({
      label: 'Value',
      help: 'For `constant`: converted to the column\'s type (e.g. `0`, `"unknown"`, `"2025-01-01"` for a DATE).',
      widget: 'text',
    }),
  })
  .strict();

const orderItem = z
  .object({
    column: z.string().min(1).meta({ label: 'Column', widget: 'column' }),
    direction: z.enum(['asc', 'desc']).default('asc').meta({ label: 'Direction', widget: 'select' }),
  })
  .strict();

const params = z
  .object({
    rules: z.array(rule).min(1).meta({ label: 'Rules', help: 'One rule per column with NULLs to fill.', widget: 'list', group: 'Rules' }),
    order_by: z.array(orderItem).default([]).meta({
      label: 'Order',
      help: 'The row order `previous` and `next` follow, e.g. a date. Required for them.',
      widget: 'list',
      group: 'Order and groups',
    }),
    partition_by: z.array(z.string().min(1)).default([]).meta({
      label: 'Within groups',
      help: 'Columns that split the rows into groups: `previous` / `next` never cross a group, and `mean` / `median` / `mode` are computed per group.',
      widget: 'columns',
      group: 'Order and groups',
    }),
  })
  .strict();

type Rule = z.output<typeof rule>;

const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL\(\d+,\s*\d+\))$/i;
const TEMPORAL = /^(DATE|TIME|TIMESTAMP|TIMESTAMP WITH TIME ZONE|TIMESTAMP_(S|MS|NS))$/i;

/** The aggregates an exact mean is computed from: the sum of the unscaled values and their count. */
function exactMeanParts(c: string, type: string): Array<{ name: string; sql: string }> {
  // sum() of an integer up to BIGINT/UBIGINT is a HUGEINT; of a UHUGEINT a DOUBLE, so that one is summed as HUGEINT.
  const sum = `sum(${sumOperand(c, type)})`;
  return [
    { name: 'sum', sql: sum },
    { name: 'count', sql: `count(${c})` },
  ];
}

/**
 * sum / count rounded half away from zero, in whole numbers (HUGEINT): the unscaled sum of a
 * DECIMAL column (its sum times 10^scale) is divided, then scaled back with an exact DECIMAL product.
 */
function exactMean([sum, count]: string[], type: string, scale: number): string {
  const u = scale > 0 ? `CAST(${sum} * ${10n ** BigInt(scale)} AS HUGEINT)` : `CAST(${sum} AS HUGEINT)`;
  const rounded = `(${u} // ${count} + CASE WHEN 2 * abs(${u} % ${count}) >= ${count} THEN sign(${u}) ELSE 0 END)`;
  return scale > 0 ? `CAST(CAST(${rounded} AS DECIMAL(38,0)) * 0.${'0'.repeat(scale - 1)}1 AS ${type})` : `CAST(${rounded} AS ${type})`;
}

/** The two middle values (the same one for an odd count), as DECIMAL(38, scale) so negating cannot overflow. */
function exactMedianParts(c: string, scale: number): Array<{ name: string; sql: string }> {
  const d = `CAST(${c} AS DECIMAL(38,${scale}))`;
  return [
    { name: 'low', sql: `quantile_disc(${d}, 0.5)` },
    { name: 'high', sql: `-quantile_disc(-${d}, 0.5)` },
  ];
}

/** Half-way between the middle values, exact with one more decimal place, then rounded half away from zero by the cast. */
function exactMedian([low, high]: string[], type: string): string {
  return `CAST((${low} + ${high}) * 0.5 AS ${type})`;
}

/**
 * Why a fill value read from the pipeline file as a JSON number may no longer be the number written,
 * or undefined: JSON.parse keeps a double, so 9007199254740993 arrives as 9007199254740992 and
 * 0.12345678901234567891 as 0.12345678901234568. Whole numbers past 2^53 and numbers whose shortest
 * form has 16 or more significant digits may have lost digits; up to 15 always come back as written.
 */
function digitsMaybeLost(value: string | number | boolean): string | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  if (Number.isInteger(value)) return Number.isSafeInteger(value) ? undefined : 'is a whole number past 2^53 (9007199254740991)';
  const digits = String(value).replace(/e.*$/, '').replace(/[-.]/g, '').replace(/^0+/, '');
  return digits.length >= 16 ? `has ${digits.length} significant digits` : undefined;
}

/** A column name for a helper value that is not one of the input's names. */
function freshName(columns: Column[], base: string): string {
  const taken = new Set(columns.map((c) => foldName(c.name)));
  let name = base;
  while (taken.has(foldName(name))) name = `_${name}`;
  return name;
}

export const fillNullsNode = defineNode({
  type: 'transform.fill_nulls',
  version: 1,
  spark: fillNullsSpark,
  category: 'transform',
  rowOrder: (p) => (p.order_by.length === 0 && p.partition_by.length === 0 && p.rules.every((r) => r.strategy !== 'previous' && r.strategy !== 'next') ? 'follows' : undefined),
  title: 'Fill missing values',
  description: 'Replaces NULLs per column: a constant, the mean, median or mode, the previous or next value in an order, or drops the row.',
  aliases: ['impute', 'coalesce', 'missing values', 'fill down', 'forward fill', 'replace nulls', 'fillna'],
  inputs: [{ name: 'in' }],
  outputs: [{ name: 'out', description: 'The input columns with NULLs filled; same names, order and types.' }],
  params,
  docs: `Each rule fills the NULLs of one column; non-null values are never changed. Columns keep their
names, positions and **types**: every fill value is converted to the column's type.

| strategy | fills with | notes |
| --- | --- | --- |
| \`constant\` | \`value\` | Converted to the column's type; a value that does not convert (\`"abc"\` for an INTEGER), or that the type would change (\`1.5\` for an INTEGER, \`2\` for a BOOLEAN, \`"epoch"\` for a TIMESTAMPTZ, \`"2025-01-01 10:00"\` for a DATE, \`12.345\` for DECIMAL(10,2)), is reported before the run, naming the column. For a number column the value is written as a plain number (\`16\`, \`-2.5\`, \`1e3\`): \`"0x10"\`, \`"1_000"\`, \`" 7"\`, \`"inf"\`, \`true\`, or a number the type cannot hold (\`"1e400"\` or \`"1e-400"\` for a DOUBLE) are reported too. For a column that is not FLOAT/DOUBLE, a JSON number past 2^53 or with 16 or more significant digits is reported as well (reading the pipeline file may already have changed its last digits: \`9007199254740993\` arrives as 9007199254740992): write it as a string, \`"9007199254740993"\`. A list column's value is a list written as text (\`"[7, NULL, -1]"\`), each element converted as strictly (\`"[1.5, 2]"\` for an INTEGER[] is reported); lists of lists, structs and maps take no constant (build one with a Derive). |
| \`mean\` | the average of the non-null values | Numeric columns only. Integer and DECIMAL columns: computed exactly (not through DOUBLE, so 9007199254740993 stays that), then rounded half away from zero to the column's type: an INTEGER column gets the rounded mean (1 and 2 give 2, −1 and −2 give −2), a DECIMAL(10,2) column the mean to 2 places (1.875 gives 1.88). The mean of a FLOAT/DOUBLE column is a DOUBLE sum taken in parallel, so its last digits can differ from run to run. |
| \`median\` | the middle value | Numeric and date/time columns. Between two middle values it takes the value half-way; for integer and DECIMAL columns exactly, rounded half away from zero as for the mean (2 and 3 give 3); for a DATE column the later of two days side by side (half-way is noon). |
| \`mode\` | the most frequent non-null value | Any type. Ties go to the smallest value, so the result is deterministic. |
| \`previous\` | the nearest non-null value before the row | Needs *Order*. Rows before the first non-null value stay NULL ("fill down"). |
| \`next\` | the nearest non-null value after the row | Needs *Order*. Rows after the last non-null value stay NULL ("fill up"). |
| \`drop_row\` | — | Removes rows where the column is NULL. |

**Groups.** With *Within groups*, \`previous\` / \`next\` look only at rows of the same group and
\`mean\` / \`median\` / \`mode\` are computed per group (NULL is a group of its own). A group whose
values are all NULL stays NULL.

**Order of work.** Rows are dropped first; statistics and previous/next values are then taken from the
remaining rows, using the original (unfilled) values of every column. A column used in the order or
the groups can be filled too: the order uses its original values.

**Ties in the order** are broken by the remaining columns (ascending, NULLs last) so \`previous\` and
\`next\` always pick the same value; put a unique column (an id) last in the order to state it yourself.

No warnings or metrics.`,
  example: {
    description: 'Fill discounts with 0, carry each customer\'s last known country forward, drop rows without an id',
    params: {
      rules: [
        { column: 'discount', strategy: 'constant', value: 0 },
        { column: 'country', strategy: 'previous' },
        { column: 'order_id', strategy: 'drop_row' },
      ],
      order_by: [{ column: 'order_date', direction: 'asc' }],
      partition_by: ['customer_id'],
    },
  },
  check(p) {
    const out: Array<{ path: string; message: string; hint?: string }> = [];
    for (const i of duplicateIndexes(p.rules.map((r) => r.column)))
      out.push({ path: `rules[${i}].column`, message: `column '${p.rules[i]!.column}' has two rules`, hint: 'keep one rule per column' });
    p.rules.forEach((r, i) => {
      if (r.strategy === 'constant' && r.value === undefined) out.push({ path: `rules[${i}].value`, message: `a constant fill for '${r.column}' needs a value` });
      if (r.strategy !== 'constant' && r.value !== undefined)
        out.push({ path: `rules[${i}].value`, message: `a value is only used with the "constant" strategy, not "${r.strategy}"`, hint: 'remove the value or set the strategy to "constant"' });
      if ((r.strategy === 'previous' || r.strategy === 'next') && p.order_by.length === 0)
        out.push({ path: 'order_by', message: `filling '${r.column}' with the ${r.strategy} value needs an order`, hint: 'add the column that orders the rows, e.g. a date' });
    });
    for (const i of duplicateIndexes(p.partition_by)) out.push({ path: `partition_by[${i}]`, message: `group column '${p.partition_by[i]}' is listed twice` });
    for (const i of duplicateIndexes(p.order_by.map((o) => o.column))) out.push({ path: `order_by[${i}].column`, message: `order column '${p.order_by[i]!.column}' is listed twice` });
    return out;
  },
  async compile(ctx) {
    const p = ctx.params;
    const input = ctx.input();
    const cols = p.rules.map((r, i) => findColumn(ctx.nodeId, input, r.column, `rules[${i}].column`));
    const order = p.order_by.map((o, i) => ({ column: findColumn(ctx.nodeId, input, o.column, `order_by[${i}].column`), desc: o.direction === 'desc' }));
    const groups = p.partition_by.map((g, i) => findColumn(ctx.nodeId, input, g, `partition_by[${i}]`));

    const drops = p.rules.flatMap((r, i) => (r.strategy === 'drop_row' ? [`${ident(cols[i]!.name)} IS NOT NULL`] : []));
    const where = drops.length > 0 ? `\nWHERE ${drops.join(' AND ')}` : '';
    // The rows statistics are taken from: after drops, before any fill.
    const base = drops.length > 0 ? `(SELECT * FROM ${input.ref}${where})` : input.ref;
    const partition = groups.length > 0 ? `PARTITION BY ${identList(groups.map((g) => g.name))}` : '';
    const used = new Set([...order.map((o) => o.column.name), ...groups.map((g) => g.name)]);
    const ranking = [
      ...order.map((o) => `${ident(o.column.name)} ${o.desc ? 'DESC' : 'ASC'} NULLS LAST`),
      ...input.columns.filter((c) => !used.has(c.name)).map((c) => `${ident(c.name)} ASC NULLS LAST`),
    ].join(', ');
    const over = (frame: string) => `OVER (${partition ? `${partition} ` : ''}ORDER BY ${ranking} ${frame})`;

    const replaces: string[] = [];
    const helpers: Array<{ name: string; sql: string }> = [];
    for (const [i, r] of p.rules.entries()) {
      const col = cols[i]!;
      const c = ident(col.name);
      const typed = (sql: string) => `CAST(${sql} AS ${col.type})`;
      const fill = await fillExpression(r, i);
      if (fill !== undefined) replaces.push(`coalesce(${c}, ${fill}) AS ${c}`);

      async function fillExpression(rule: Rule, at: number): Promise<string | undefined> {
        switch (rule.strategy) {
          case 'drop_row':
            return undefined;
          case 'constant': {
            const value = literal(rule.value!);
            const lost = isFloatType(col.type) ? undefined : digitsMaybeLost(rule.value!);
            if (lost)
              throw paramError(
                ctx.nodeId,
                `rules[${at}].value`,
                `node '${ctx.nodeId}': the fill value ${rule.value} for column '${col.name}' (${col.type}) ${lost}, which a number in a pipeline file cannot hold exactly: its last digits may already differ from those written`,
                `write the value as a string with the digits you meant, e.g. "${typeof rule.value === 'number' && Number.isInteger(rule.value) ? BigInt(rule.value) : rule.value}"`,
                col.name,
              );
            if (!(await constantConverts((sql) => ctx.rows(sql), rule.value!, col.type)))
              throw paramError(
                ctx.nodeId,
                `rules[${at}].value`,
                `node '${ctx.nodeId}': the fill value ${JSON.stringify(rule.value)} for column '${col.name}' does not convert to its type ${col.type} without change`,
                `give a value of type ${col.type}, or convert the column first (transform.cast)`,
                col.name,
              );
            return typed(value);
          }
          case 'mean':
          case 'median': {
            const ok = NUMERIC.test(col.type) || (rule.strategy === 'median' && TEMPORAL.test(col.type));
            if (!ok)
              throw paramError(
                ctx.nodeId,
                `rules[${at}].strategy`,
                `node '${ctx.nodeId}': column '${col.name}' is ${col.type}; the ${rule.strategy} needs a ${rule.strategy === 'mean' ? 'numeric' : 'numeric or date/time'} column`,
                'use "mode" or "constant" for this column',
                col.name,
              );
            // Integer and DECIMAL columns: exact (DuckDB's avg and median go through DOUBLE, which
            // holds whole numbers only up to 2^53: the mean of 9007199254740993 twice would fill
            // 9007199254740992), then rounded half away from zero to the column's type.
            const scale = isIntegerType(col.type) ? 0 : decimalScale(col.type);
            if (scale !== undefined) {
              const parts = rule.strategy === 'mean' ? exactMeanParts(c, col.type) : exactMedianParts(c, scale);
              const combine = (refs: string[]) => (rule.strategy === 'mean' ? exactMean(refs, col.type, scale) : exactMedian(refs, col.type));
              if (!partition) return `(SELECT ${combine(parts.map((x) => ident(x.name)))} FROM (SELECT ${parts.map((x) => `${x.sql} AS ${ident(x.name)}`).join(', ')} FROM ${base}))`;
              const names = parts.map((x) => freshName(input.columns, `_caudal_${rule.strategy}_${x.name}_${at}`));
              parts.forEach((x, k) => helpers.push({ name: names[k]!, sql: `${x.sql} OVER (${partition})` }));
              return combine(names.map(ident));
            }
            const fn = rule.strategy === 'mean' ? 'avg' : 'median';
            const value = partition ? `${fn}(${c}) OVER (${partition})` : `(SELECT ${fn}(${c}) FROM ${base})`;
            // Half-way between two days is noon, a TIMESTAMP: cast to DATE it fell back to the earlier
            // day; rounded, as integers are, it is the later one.
            return typed(rule.strategy === 'median' && col.type === 'DATE' ? `(${value} + INTERVAL 12 HOUR)` : value);
          }
          case 'mode': {
            if (!partition) return `(SELECT ${c} FROM ${base} WHERE ${c} IS NOT NULL GROUP BY ${c} ORDER BY count(*) DESC, ${c} ASC LIMIT 1)`;
            // Per group: how often each value occurs (a helper column), then the most frequent, smallest first on ties.
            const count = freshName(input.columns, `_caudal_mode_count_${at}`);
            helpers.push({ name: count, sql: `count(${c}) OVER (${partition}, ${c})` });
            return `first_value(${c}) OVER (${partition} ORDER BY ${ident(count)} DESC, ${c} ASC NULLS LAST)`;
          }
          case 'previous':
            return `last_value(${c} IGNORE NULLS) ${over('ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW')}`;
          case 'next':
            return `first_value(${c} IGNORE NULLS) ${over('ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING')}`;
        }
      }
    }

    const replace = replaces.length > 0 ? ` REPLACE (\n  ${replaces.join(',\n  ')}\n)` : '';
    if (helpers.length === 0) return { outputs: { out: `SELECT *${replace}\nFROM ${input.ref}${where}` } };
    const inner = `SELECT *, ${helpers.map((h) => `${h.sql} AS ${ident(h.name)}`).join(', ')}\n  FROM ${input.ref}${where.replace('\n', '\n  ')}`;
    return { outputs: { out: `SELECT * EXCLUDE (${identList(helpers.map((h) => h.name))})${replace}\nFROM (\n  ${inner}\n)` } };
  },
});
