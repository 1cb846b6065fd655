import { z } from 'zod';
import { defineNode } from '../define.js';
import { windowSpark } from './transform.window.spark.js';
import { ident, stringLiteral } from '../../compiler/sql.js';
import { CaudalError } from '../../util/errors.js';
import { constantConverts } from '../shared/typed-constant.js';
import { checkedDecimalSum, sumOperand } from '../shared/decimal-sum.js';
import { explainValueWindowError, refuseUnfitValueColumns, type ValueWindow } from './value-types.js';
import { columnNamed, foldName } from '../shared/columns.js';

const FUNCTIONS = [
  'row_number',
  'rank',
  'dense_rank',
  'percent_rank',
  'running_sum',
  'running_avg',
  'running_min',
  'running_max',
  'running_count',
  'lag',
  'lead',
  'moving_avg',
  'moving_sum',
  'moving_min',
  'moving_max',
] as const;
type Fn = (typeof FUNCTIONS)[number];

const RANKING = new Set<Fn>(['row_number', 'rank', 'dense_rank', 'percent_rank']);
const NEEDS_ORDER = new Set<Fn>(['row_number', 'rank', 'dense_rank', 'percent_rank', 'lag', 'lead', 'moving_avg', 'moving_sum', 'moving_min', 'moving_max']);

const params = z
  .object({
    partition_by: z.array(z.string().min(1)).default([]).meta({
      label: 'Partition by',
      help: 'Each combination of these columns is numbered and totalled on its own. Empty: the whole input is one partition.',
      widget: 'columns',
      group: 'Window',
    }),
    order_by: z
      .array(
        z
          .object({
            column: z.string().min(1).meta({ label: 'Column', widget: 'column' }),
            descending: z.boolean().default(false).meta({ label: 'Descending', widget: 'boolean' }),
          })
          .strict(),
      )
      .default([])
      .meta({ label: 'Order by', help: 'The order inside each partition. NULLs come last.', widget: 'list', group: 'Window' }),
    columns: z
      .array(
        z
          .object({
            name: z.string().min(1).meta({ label: 'Output column' }),
            function: z.enum(FUNCTIONS).meta({ label: 'Function', widget: 'select' }),
            column: z.string().min(1).optional().meta({ label: 'Column', help: 'The value to total, average or shift (not used by ranking functions).', widget: 'column' }),
            offset: z.number().int().min(1).default(1).meta({ label: 'Offset', help: 'lag/lead: how many rows back or ahead.', widget: 'number' }),
            default: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional().meta({ label: 'Default', help: 'lag/lead: the value when there is no such row (NULL if empty).' }),
            rows: z.number().int().min(1).optional().meta({ label: 'Rows', help: 'moving_*: the window size in rows, the current row included (7 = this row and the 6 before).', widget: 'number', placeholder: '7' }),
          })
          .strict(),
      )
      .min(1)
      .meta({ label: 'Window columns', help: 'Added after the input columns, in this order.', widget: 'list', group: 'Columns' }),
  })
  .strict();

export const windowNode = defineNode({
  type: 'transform.window',
  version: 1,
  spark: windowSpark,
  category: 'transform',
  title: 'Window',
  description: 'Running totals, ranks, row numbers, previous/next values and moving averages within partitions.',
  aliases: ['running total', 'cumulative', 'rank', 'row number', 'lag', 'lead', 'moving average', 'over', 'partition'],
  inputs: [{ name: 'in' }],
  outputs: [{ name: 'out' }],
  params,
  docs: `Keeps every input row and column and appends one column per entry of \`columns\`. Each is
computed over the rows of the same partition (\`partition_by\`), in \`order_by\` order (NULLs last).

| function | value |
|---|---|
| \`row_number\` | 1, 2, 3, … |
| \`rank\` / \`dense_rank\` | ties share a rank; \`rank\` then skips (1, 1, 3), \`dense_rank\` does not (1, 1, 2) |
| \`percent_rank\` | (rank − 1) / (rows in partition − 1), from 0 to 1 |
| \`running_sum\`, \`running_avg\`, \`running_min\`, \`running_max\`, \`running_count\` | over the rows up to this one **and its ties** (rows with the same \`order_by\` values share the value); \`running_count\` without a column counts rows |
| \`lag\` / \`lead\` | \`column\` from \`offset\` rows before / after, else \`default\` (converted to the column's type; one that does not convert exactly, e.g. 0.5 for an INTEGER, is refused before the run, and so is a number column's default not written as a plain number, e.g. \`"0x10"\`, or beyond the type's range, e.g. \`"1e400"\` for a DOUBLE) or NULL |
| \`moving_avg\`, \`moving_sum\`, \`moving_min\`, \`moving_max\` | over the last \`rows\` rows, this one included (fewer at the start of a partition) |

NULL values are ignored by the sums, averages, minimums, maximums and counts of a column. Sums of
integers are 128-bit (HUGEINT; UHUGEINT too, which DuckDB alone would sum as a rounding DOUBLE), of DECIMAL(p,s) DECIMAL(38,s): a sum with more digits than that holds
stops the run, naming the window column and the input column, and so does an integer total past HUGEINT's range
(about ±1.7e38). Averages of numbers are DOUBLE.

**Determinism.** Running totals include ties, so they never depend on how ties are ordered, except
in the last digits of a FLOAT/DOUBLE sum or average: floating-point addition depends on the order
of the values (1e16 + 1 − 1e16 is 0 or 1), so convert to DECIMAL (a Cast node) for exact totals. Ranks
are defined for ties too. \`row_number\`, \`lag\`/\`lead\` and \`moving_*\` number or read rows one by one:
when \`order_by\` leaves ties, which tied row comes first is arbitrary, so end \`order_by\` with a
column that is unique within the partition (an id) to get the same result on every run. Ranking
functions, lag/lead and moving windows need an \`order_by\`; without one a running total is the
partition total. The output row order is not defined; add a Sort node when it matters.

Output names must differ from the input's columns (ignoring the case of A–Z, as DuckDB does).`,
  example: {
    description: 'Order sequence number and running spend per customer',
    params: {
      partition_by: ['customer_id'],
      order_by: [{ column: 'order_date' }, { column: 'order_id' }],
      columns: [
        { name: 'order_seq', function: 'row_number' },
        { name: 'spend_to_date', function: 'running_sum', column: 'quantity' },
        { name: 'previous_date', function: 'lag', column: 'order_date' },
        { name: 'avg_qty_last_3', function: 'moving_avg', column: 'quantity', rows: 3 },
      ],
    },
  },
  check(p) {
    const out: Array<{ path: string; message: string; hint?: string }> = [];
    const seen = new Set<string>();
    p.columns.forEach((c, i) => {
      if (seen.has(foldName(c.name))) out.push({ path: `columns[${i}].name`, message: `output column '${c.name}' appears twice` });
      seen.add(foldName(c.name));
      if (NEEDS_ORDER.has(c.function) && p.order_by.length === 0)
        out.push({ path: `columns[${i}].function`, message: `${c.function} needs an order: set order_by`, hint: 'e.g. order_by: [{ column: "order_date" }, { column: "order_id" }]' });
      if (!RANKING.has(c.function) && c.function !== 'running_count' && !c.column) out.push({ path: `columns[${i}].column`, message: `${c.function} needs a column` });
      if (c.function.startsWith('moving_') && c.rows === undefined) out.push({ path: `columns[${i}].rows`, message: `${c.function} needs rows: the window size`, hint: 'e.g. 7 for this row and the 6 before' });
      // A setting the function does not use would be ignored without a word: the user meant something by it.
      if (!c.function.startsWith('moving_') && c.rows !== undefined)
        out.push({ path: `columns[${i}].rows`, message: `${c.function} takes no rows (only moving_* functions have a window size)`, hint: `remove rows, or use moving_${c.function.replace(/^running_/, '')} for a window of ${c.rows} rows` });
      if (c.function !== 'lag' && c.function !== 'lead' && c.default !== undefined && c.default !== null)
        out.push({ path: `columns[${i}].default`, message: `${c.function} takes no default (only lag and lead have one, for rows without a row before or after)`, hint: 'remove default; to replace NULL results, add a Fill nulls node after this one' });
      if (RANKING.has(c.function) && c.column !== undefined)
        out.push({ path: `columns[${i}].column`, message: `${c.function} takes no column: it ranks rows by order_by`, hint: `remove column, and put '${c.column}' in order_by to rank by it` });
    });
    return out;
  },
  async compile(ctx) {
    const input = ctx.input();
    const { partition_by: partitionBy, order_by: orderBy, columns } = ctx.params;
    const existing = new Set(input.columns.map((c) => foldName(c.name)));
    const over = [
      partitionBy.length > 0 ? `PARTITION BY ${partitionBy.map(ident).join(', ')}` : '',
      orderBy.length > 0 ? `ORDER BY ${orderBy.map((o) => `${ident(o.column)} ${o.descending ? 'DESC' : 'ASC'} NULLS LAST`).join(', ')}` : '',
    ]
      .filter(Boolean)
      .join(' ');
    const typeOf = (name: string) => columnNamed(input.columns, name)?.type;
    const values: ValueWindow[] = [];
    const list = columns.map((c, i) => {
      if (existing.has(foldName(c.name))) {
        const message = `node '${ctx.nodeId}': output column '${c.name}' already exists in the input`;
        throw new CaudalError('validation', message, { nodeId: ctx.nodeId, problems: [{ code: 'invalid_param', path: `params.columns[${i}].name`, message, hint: 'choose another name' }] });
      }
      const col = c.column === undefined ? '' : ident(c.column);
      const win = (frame = '') => `OVER (${[over, frame].filter(Boolean).join(' ')})`;
      const moving = `ROWS BETWEEN ${Math.max(0, (c.rows ?? 1) - 1)} PRECEDING AND CURRENT ROW`;
      // A DECIMAL sum past 38 digits would come out as an invalid DECIMAL(38,s) without a word.
      const sumType = c.column === undefined ? undefined : typeOf(c.column);
      const checkedSum = (frame = '') => checkedDecimalSum(`sum(${sumOperand(col, sumType)}) ${win(frame)}`, sumType, ctx.nodeId, c.name, c.column ?? '');
      let sql: string;
      switch (c.function) {
        case 'row_number':
        case 'rank':
        case 'dense_rank':
        case 'percent_rank':
          sql = `${c.function}() ${win()}`;
          break;
        case 'running_sum':
          sql = checkedSum();
          break;
        case 'running_avg':
        case 'running_min':
        case 'running_max':
          sql = `${c.function.slice('running_'.length)}(${col}) ${win()}`;
          break;
        case 'running_count':
          sql = `count(${c.column === undefined ? '*' : col}) ${win()}`;
          break;
        case 'lag':
        case 'lead': {
          const type = c.column === undefined ? undefined : typeOf(c.column);
          // As text, the way constantConverts checked it: a number literal goes through 17 significant
          // digits, so 0.1 would land in a VARCHAR or a DECIMAL(38,20) as 0.10000000000000001.
          const dflt = c.default === undefined || c.default === null ? '' : `, CAST(${stringLiteral(String(c.default))} AS ${type ?? 'VARCHAR'})`;
          sql = `${c.function}(${col}, ${c.offset}${dflt}) ${win()}`;
          break;
        }
        case 'moving_sum':
          sql = checkedSum(moving);
          break;
        case 'moving_avg':
        case 'moving_min':
        case 'moving_max':
          sql = `${c.function.slice('moving_'.length)}(${col}) ${win(moving)}`;
          break;
      }
      if (c.column !== undefined) values.push({ name: c.name, fn: c.function, column: c.column, sql });
      return `${sql} AS ${ident(c.name)}`;
    });
    await refuseUnfitValueColumns(ctx.nodeId, input.ref, columns, typeOf, (sql) => ctx.rows(sql));
    for (const [i, c] of columns.entries()) {
      if ((c.function !== 'lag' && c.function !== 'lead') || c.default === undefined || c.default === null || c.column === undefined) continue;
      const type = typeOf(c.column);
      if (!type) continue;
      if (!(await constantConverts((sql) => ctx.rows(sql), c.default, type))) {
        const message = `node '${ctx.nodeId}': the default ${JSON.stringify(c.default)} for '${c.name}' is not a valid ${type} (or would change converting to it)`;
        throw new CaudalError('validation', message, { nodeId: ctx.nodeId, problems: [{ code: 'invalid_param', path: `params.columns[${i}].default`, message, hint: `give a value of the type of '${c.column}' (${type})` }] });
      }
    }
    return { outputs: { out: `SELECT *, ${list.join(',\n  ')}\nFROM ${input.ref}` }, explainError: (message, io) => explainValueWindowError(message, values, input.ref, io) };
  },
});
