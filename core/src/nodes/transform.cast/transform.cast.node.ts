import { z } from 'zod';
import { defineNode } from '../define.js';
import { ident, stringLiteral } from '../../compiler/sql.js';
import { castSpark } from './transform.cast.spark.js';
import { typeProblem } from '../../util/duckdb-type.js';
import { compileConversions, quoteValue, REASON_COLUMN, type Conversion } from './conversions.js';
import { castMayChange, checkedCast, listElement } from './lossy-casts.js';
import { textConversion, textListProblem, textListConversion } from '../shared/text-conversions.js';
import { decimalSeparatorParam, separatorProblems, thousandsSeparatorParam } from '../shared/locale-numbers.js';
import { CaudalError } from '../../util/errors.js';
import { duckDbType } from '../shared/type-param.js';
import { foldName, requireColumn } from '../shared/columns.js';

const params = z
  .object({
    columns: z
      .array(
        z
          .object({
            column: z.string().min(1).meta({ label: 'Column', widget: 'column' }),
            type: duckDbType().meta({
              label: 'New type',
              help: 'A DuckDB type: VARCHAR, BIGINT, INTEGER, DOUBLE, DECIMAL(12,2), DATE, TIMESTAMP, BOOLEAN, …',
              placeholder: 'BIGINT',
            }),
          })
          .strict(),
      )
      .min(1)
      .meta({ label: 'Columns', help: 'Each column is converted where it stands and keeps its name.', widget: 'list' }),
    decimal_separator: decimalSeparatorParam,
    thousands_separator: thousandsSeparatorParam,
    on_error: z.enum(['fail', 'null', 'reject']).default('fail').meta({
      label: 'Values that do not convert',
      help: '`fail` stops the run naming the column and the value. `null` turns them into NULL. `reject` sends the whole row, unchanged, to the `rejects` output with the reason.',
      widget: 'select',
      group: 'Errors',
    }),
  })
  .strict();

export const castNode = defineNode({
  type: 'transform.cast',
  version: 1,
  spark: castSpark,
  category: 'transform',
  rowOrder: 'follows',
  title: 'Change column types',
  description: 'Converts columns to other types, failing, nulling or setting aside the values that do not convert.',
  aliases: ['convert', 'change type', 'type', 'to number', 'to integer', 'to date', 'try_cast', 'parse number'],
  inputs: [{ name: 'in' }],
  outputs: [
    { name: 'out', description: 'Every column, the listed ones converted.' },
    {
      name: 'rejects',
      label: 'Rejected rows',
      description: `With \`on_error: "reject"\`: the rows with a value that did not convert, unchanged, plus \`${REASON_COLUMN}\`. Empty otherwise.`,
    },
  ],
  params,
  docs: `Each listed column is converted with DuckDB's \`CAST\` rules and keeps its name and position; the
other columns pass through. Type names are checked before the run (\`BIGINT\`, \`DOUBLE\`,
\`DECIMAL(12,2)\`, \`DATE\`, \`TIMESTAMP\`, \`BOOLEAN\`, \`VARCHAR\`, \`INTEGER[]\`, …), and so is every column name: an unknown
one is reported with the closest name.

**Conversion rules** are DuckDB's, but text to an integer type with a decimal point, a comma or a
negative exponent is refused (\`'1.5' is not a whole number of type INTEGER\`) where DuckDB would round
it to 2 (and \`15e-1\` to 2); surrounding spaces,
\`+7\` and \`1e3\` are read as the integers they write, while hexadecimal (\`0x1F\`), binary (\`0b11\`) and
digits grouped with \`_\` (\`1_000\`), which DuckDB would read as 31, 3 and 1000, do not convert (\`_\` not for
any number type);
text to DOUBLE or FLOAT that the type holds only as infinity or 0 does not convert (\`1e400\`, and \`1e39\` for
FLOAT, would be infinity; \`1e-400\` would be 0), while \`inf\`, \`infinity\` and \`nan\` (any case, with a sign)
are the values they name;
text to a DECIMAL with more decimal places than its scale is refused (\`'12.345' has more than 2
decimal places, which DECIMAL(10,2) would round away\`; DuckDB would read 12.35), while trailing
zeros are fine (\`12.300\`); round on purpose with a Derive (\`round(CAST(x AS DOUBLE), 2)\`) or give
the type more decimal places;
text to DATE wants \`YYYY-MM-DD\` and nothing after it (DuckDB would read \`2024-03-04 13:45\` as the
date alone; use *Parse dates* for other layouts); text to DATE, TIMESTAMP or TIMESTAMPTZ wants a four-digit year
(\`24-03-01\` and \`1-1-1\` do not convert, where DuckDB would read the years 24 and 1; \`0024-03-01\` does),
or more digits, and a date before year 1 as DuckDB and every Caudal sink write it (\`12345-06-07\` and
\`0045-03-15 (BC)\` convert to DATE);
\`infinity\` and \`-infinity\` convert to the infinite dates and timestamps, while \`epoch\`
(which DuckDB reads as 1970-01-01) does not; text to TIMESTAMP with a UTC offset other than zero
(\`2024-03-04 10:00:00+05\`) does not convert, since TIMESTAMP would drop the offset: convert such text
to TIMESTAMPTZ, which keeps the instant; text with more fractional digits of a second than the type
keeps (\`10:00:00.123456789\` to TIMESTAMP, TIMESTAMPTZ or TIME, which keep 6, and a tenth digit to
TIMESTAMP_NS) does not convert, as the cast would cut them: convert to TIMESTAMP_NS to keep nine; text to TIME wants a time of day alone (\`13:45\`,
\`13:45:00.5\`; DuckDB would read \`01:45:00 PM\` as 01:45); a number too large for the target type
does not convert.

**Lists from text.** Text to a list type (\`INTEGER[]\`, \`DATE[]\`, …) is written \`[1, 2]\` (\`['a', 'b']\` with
quotes); each element converts by the rules above, as a single value would, and a list with an element that does
not convert does not convert (\`column n: '[1, 2.5]': element '2.5' is not a whole number of type INTEGER\`, where
DuckDB would read [1, 3]); NULL elements stay NULL. Lists of lists, fixed-size arrays (\`INTEGER[3]\`) and
STRUCT, MAP or UNION types are refused before the run when the column is text, as DuckDB would convert their
members unchecked.

**Between other types** a value converts only when it comes back unchanged from the new type, where
DuckDB's CAST would change it without a word: a DOUBLE \`12.7\` into an INTEGER (DuckDB: 13; \`12.0\`
is fine), \`12.345\` into DECIMAL(10,2), a BIGINT past 2^53 into a DOUBLE, a timestamp with a time of
day into a DATE (midnight is fine), nanoseconds into a TIMESTAMP, a number other than 0 or 1 into a
BOOLEAN. Such values do not convert, and \`on_error\` decides; round or truncate on purpose in a Derive
(\`round(x)\`, \`CAST(ts AS DATE)\`) when that is what you want. A BIGINT into an INTEGER (fails on
overflow), a DATE into a TIMESTAMP, anything into VARCHAR, a DOUBLE into a FLOAT (approximate by
definition) and a TIMESTAMPTZ into a TIMESTAMP (the UTC wall clock) keep DuckDB's CAST. Lists are
checked element by element (\`[1.5, 2.0]\` into INTEGER[] does not convert; DuckDB: \`[2, 2]\`), also
nested lists; a list of text (VARCHAR[]) into another list type is converted as text is, element by
element; a STRUCT, MAP or UNION into another such type converts only when the whole value comes back
unchanged (\`{'a': 1.5}\` into \`STRUCT(a INTEGER)\` does not).

**Numbers written the local way.** With \`decimal_separator: ","\` and/or a \`thousands_separator\` (\`.\`,
\`,\`, \`'\`, a space or a no-break space), text converted to a number type must be written that way:
\`1.234,56\` with \`","\` and \`"."\`. Groups of three digits are checked, so \`12.34\` is not a number
there (rather than 1234), and an integer type takes no decimals (rather than rounding them). Grouped
digits do not start with a group of zeros: \`0.005\`, \`00.123\` and \`-0.250\` are numbers written with a
decimal point read in the wrong format, not 5, 123 and -250 (\`0,5\` and \`1234,5\`, not grouped, are
numbers). A decimal separator needs digits after it: \`1.234,\` is not a number (rather than 1234). Surrounding
spaces are allowed. Other conversions (dates, text that is not converted to a number) are unaffected.

**Values that do not convert** (\`on_error\`). A NULL is never a failure: it stays NULL.

- \`fail\` (default): the run stops; the message names the node, the column and the value, e.g.
  \`node 'typed' (transform.cast), column 'amount' failed: Conversion Error: Could not convert string 'abc' to DECIMAL(12,2)\`.
- \`null\`: such values become NULL (DuckDB's \`TRY_CAST\`). No count is reported, as that would read the
  data a second time; use \`reject\` to see them.
- \`reject\`: a row with at least one value that does not convert goes, unchanged (original types), to the
  \`rejects\` output with a \`${REASON_COLUMN}\` column such as \`column amount: 'abc' is not a valid DECIMAL(12,2)\` (for an integer type: \`column qty: '1.5' is not a whole number of type INTEGER\`)
  (several failures in one row are joined with \`; \`). Every other row continues on \`out\`, converted.
  Every input row lands on exactly one of the two. The input is materialized once in the run for this; a
  warning gives the number of rows set aside, and \`node_finished.metrics.rows_rejected\` the same count.
  The input must not already have a \`${REASON_COLUMN}\` column.

The \`rejects\` output always has the input's columns plus \`${REASON_COLUMN}\` (VARCHAR), also when empty.`,
  example: {
    description: 'Numbers and dates read as text, bad rows set aside',
    params: {
      columns: [
        { column: 'quantity', type: 'INTEGER' },
        { column: 'unit_price', type: 'DECIMAL(12,2)' },
        { column: 'order_date', type: 'DATE' },
      ],
      on_error: 'reject',
    },
  },
  check(p) {
    const out: Array<{ path: string; message: string; hint?: string }> = [];
    const seen = new Set<string>();
    p.columns.forEach((c, i) => {
      const problem = typeProblem(c.type);
      if (problem) out.push({ path: `columns[${i}].type`, message: problem });
      if (seen.has(foldName(c.column))) out.push({ path: `columns[${i}].column`, message: `column '${c.column}' is listed twice`, hint: 'keep one entry per column' });
      seen.add(foldName(c.column));
    });
    out.push(...separatorProblems({ decimal: p.decimal_separator, thousands: p.thousands_separator }));
    return out;
  },
  compile(ctx) {
    const input = ctx.input();
    const format = { decimal: ctx.params.decimal_separator, thousands: ctx.params.thousands_separator };
    const convs: Conversion[] = ctx.params.columns.map((c, i) => {
      const column = requireColumn(ctx.nodeId, input, 'input', c.column, `columns[${i}].column`);
      // The params carry the type as DuckDB names it, field names quoted (shared/type-param.ts).
      const type = c.type;
      const col = ident(column);
      const inputType = input.columns.find((x) => x.name === column)?.type;
      // A list of text into another list type is converted element by element as text is.
      const text = inputType === 'VARCHAR' || (inputType === 'VARCHAR[]' && listElement(type) !== undefined);
      if (text) {
        const problem = textListProblem(type);
        if (problem) {
          const message = `node '${ctx.nodeId}': column '${column}': ${problem}`;
          const hint = 'convert to a list of numbers, dates, timestamps, times, booleans or text (e.g. INTEGER[]), or build the value in a Derive';
          throw new CaudalError('validation', message, { nodeId: ctx.nodeId, hint, problems: [{ code: 'invalid_param', path: `params.columns[${i}].type`, message, hint }] });
        }
        const prefix = stringLiteral(`column "${column}": `);
        const checked = type.endsWith('[]') ? textListConversion(col, type, format, prefix) : textConversion(col, type, format, prefix);
        return { column, safe: checked.safe, strict: checked.strict, failed: checked.failed, reason: `${stringLiteral(`column ${column}: `)} || ${checked.reason}` };
      }
      const from = inputType ?? 'VARCHAR';
      if (castMayChange(from, type)) return { column, ...checkedCast(column, from, type) };
      return {
        column,
        safe: `TRY_CAST(${col} AS ${type})`,
        // DuckDB's own error names the value and the column; the engine adds the node.
        strict: `CAST(${col} AS ${type})`,
        failed: `(${col} IS NOT NULL AND TRY_CAST(${col} AS ${type}) IS NULL)`,
        reason: quoteValue(`column ${column}: '`, column, `' is not a valid ${type.toUpperCase()}`),
      };
    });
    return compileConversions(ctx, convs, ctx.params.on_error);
  },
});
