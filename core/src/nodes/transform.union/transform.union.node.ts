import { z } from 'zod';
import { defineNode } from '../define.js';
import { unionSpark } from './transform.union.spark.js';
import type { CompileContext, Relation } from '../define.js';
import { ident, literal } from '../../compiler/sql.js';
import { CaudalError } from '../../util/errors.js';
import { columnNamed, foldName, sameName } from '../shared/columns.js';
import { exactlyConverted, mayLoseDigits } from '../shared/exact-widening.js';
import { decimalRoom, fitsExactly, scaleKeepingType } from '../shared/exact-common-type.js';
import { sourceLabel, unionWidening } from './union-widening.js';
import { nestedKindClash, nestedMayChange } from '../shared/nested-types.js';

const params = z
  .object({
    match: z.enum(['by_name', 'by_position']).default('by_name').meta({
      label: 'Match columns',
      help: 'By name: columns with the same name line up, missing ones become NULL. By position: every input must have the same number of columns.',
      widget: 'select',
    }),
    distinct: z.boolean().default(false).meta({ label: 'Remove duplicate rows', help: 'UNION instead of UNION ALL.', widget: 'boolean' }),
    source_column: z.string().min(1).optional().meta({
      label: 'Source column',
      help: 'Adds a column with the id of the node each row came from (node:port for a non-default port).',
      placeholder: 'source',
      group: 'Advanced',
    }),
  })
  .strict();

type Family = 'number' | 'boolean' | 'time' | 'other';
function family(type: string): Family {
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL)\b/.test(type)) return 'number';
  if (type === 'BOOLEAN') return 'boolean';
  if (/^(DATE|TIME|TIMESTAMP|INTERVAL)\b/.test(type)) return 'time';
  return 'other';
}

/**
 * The kinds of date/time values that DuckDB cannot convert into one another: a DATE meeting a TIME or
 * an INTERVAL, or a TIMESTAMP meeting a TIME, is accepted at plan time and fails once rows flow. A
 * TIME meeting a TIME WITH TIME ZONE takes the type of the first input: as TIME, '10:00+02' becomes
 * 10:00 (the offset dropped, not converted).
 */
function timeKind(type: string): 'datetime' | 'time' | 'timetz' | 'interval' | undefined {
  if (/^(DATE|TIMESTAMP)\b/.test(type)) return 'datetime';
  if (type === 'TIME WITH TIME ZONE' || type === 'TIMETZ') return 'timetz';
  if (type === 'TIME') return 'time';
  if (type === 'INTERVAL') return 'interval';
  return undefined;
}

type Clash = { column: string; a: [Relation, string]; b: [Relation, string]; why: 'time' | 'boolean' | 'time kinds' | 'nested' };

/**
 * DuckDB accepts a union of a number (or boolean) column with a date/time column at plan time, picks
 * the date/time type and fails only when rows flow ("Unimplemented type for cast (INTEGER -> DATE)"),
 * and so for date/time kinds it cannot convert (see timeKind). A boolean column meeting a number
 * column becomes a number without a word (true is 1). Finds such a pair so it can be reported before
 * the run.
 */
function incompatiblePair(inputs: Relation[], byName: boolean): Clash | undefined {
  const groups = new Map<string, Array<[Relation, string, string]>>();
  for (const r of inputs)
    r.columns.forEach((c, i) => {
      const key = byName ? foldName(c.name) : String(i);
      const g = groups.get(key) ?? [];
      g.push([r, c.type, byName ? c.name : (inputs[0]!.columns[i]?.name ?? c.name)]);
      groups.set(key, g);
    });
  for (const g of groups.values()) {
    const time = g.find(([, t]) => family(t) === 'time');
    const plain = g.find(([, t]) => family(t) === 'number' || family(t) === 'boolean');
    if (time && plain) return { column: plain[2], a: [plain[0], plain[1]], b: [time[0], time[1]], why: 'time' };
    const bool = g.findIndex(([, t]) => family(t) === 'boolean');
    const num = g.findIndex(([, t]) => family(t) === 'number');
    if (bool >= 0 && num >= 0) {
      const [a, b] = [g[Math.min(bool, num)]!, g[Math.max(bool, num)]!];
      return { column: a[2], a: [a[0], a[1]], b: [b[0], b[1]], why: 'boolean' };
    }
    const timed = g.filter(([, t]) => timeKind(t) !== undefined);
    const other = timed.find(([, t]) => timeKind(t) !== timeKind(timed[0]![1]));
    if (other) return { column: timed[0]![2], a: [timed[0]![0], timed[0]![1]], b: [other[0], other[1]], why: 'time kinds' };
    // The same inside lists, structs and maps: [true] meeting [2] would become [1].
    for (const [x, y] of g.flatMap((p, i) => g.slice(i + 1).map((q) => [p, q] as const)))
      if (nestedKindClash(x[1], y[1])) return { column: x[2], a: [x[0], x[1]], b: [y[0], y[1]], why: 'nested' };
  }
  return undefined;
}

/** For each column (by name or position), its type in each input that has it. */
function columnTypes(inputs: Relation[], byName: boolean): Map<string, string[]> {
  const types = new Map<string, string[]>();
  for (const r of inputs)
    r.columns.forEach((c, i) => {
      const key = byName ? foldName(c.name) : String(i);
      types.set(key, [...(types.get(key) ?? []), c.type]);
    });
  return types;
}

/**
 * Per input, the checked forms of the columns that the union would change: widened to a float type
 * which cannot hold all their values (a BIGINT id meeting a DOUBLE column), read from the union's own
 * types; and decimals whose common type DuckDB would cut short after the point (DECIMAL(38,0) meeting
 * DECIMAL(38,2) is DECIMAL(38,0) to DuckDB), converted to a DECIMAL that keeps the largest scale.
 */
async function lossyColumns(ctx: CompileContext<unknown>, inputs: Relation[], byName: boolean, plain: string): Promise<(r: Relation) => string[]> {
  if (inputs.length < 2) return () => [];
  const out = await ctx.describe(plain);
  const types = columnTypes(inputs, byName);
  const typeOf = (i: number, name: string) => (byName ? columnNamed(out, name) : out[i])?.type ?? '';
  return (r) =>
    r.columns.flatMap((c, i) => {
      const group = types.get(byName ? foldName(c.name) : String(i)) ?? [];
      // Text meeting a BLOB, UUID, JSON, BIT, list or struct column would be converted into that
      // type ('A\x42C' read as the bytes ABC, '{a0ee…}' rewritten, 'hello' failing mid-run): text
      // wins, as it does against numbers and dates, and the other inputs' values become their text.
      if (group.includes('VARCHAR') && typeOf(i, c.name) !== 'VARCHAR') return c.type === 'VARCHAR' ? [] : [`CAST(${ident(c.name)} AS VARCHAR) AS ${ident(c.name)}`];
      const kept = scaleKeepingType(group);
      const to = kept ?? typeOf(i, c.name);
      const widening = unionWidening(r, to, inputs, byName, i);
      if (kept) {
        if (c.type === kept) return [];
        if (fitsExactly(c.type, kept)) return [`CAST(${ident(c.name)} AS ${kept}) AS ${ident(c.name)}`];
        return [`CAST(${exactlyConverted(c.name, c.type, kept, { ...widening, hint: `${decimalRoom(kept)}; ${widening.hint}` })} AS ${kept}) AS ${ident(c.name)}`];
      }
      return mayLoseDigits(c.type, to) || nestedMayChange(c.type, to) ? [`${exactlyConverted(c.name, c.type, to, widening)} AS ${ident(c.name)}`] : [];
    });
}

function fail(message: string, path: string, hint?: string): never {
  throw new CaudalError('validation', message, { hint, problems: [{ code: 'invalid_param', path, message, hint }] });
}

export const unionNode = defineNode({
  type: 'transform.union',
  version: 1,
  spark: unionSpark,
  category: 'transform',
  rowOrder: 'follows',
  title: 'Union',
  description: 'Stacks the rows of several inputs, matching columns by name or by position.',
  aliases: ['append', 'concatenate', 'stack', 'union all', 'combine rows', 'bind rows'],
  inputs: [{ name: 'in', multiple: true, description: 'Connect any number of inputs; their rows are stacked in edge order.' }],
  outputs: [{ name: 'out' }],
  params,
  docs: `Every row of every input appears in the output (\`UNION ALL\`), unless \`distinct\` is set.

**By name** (default, DuckDB \`UNION ALL BY NAME\`): the output has every column that appears in any input,
in order of first appearance (first input's columns first). An input without a column gets NULL there.
Columns with the same name are matched case-insensitively and widened to a common type by DuckDB's rules
(INTEGER + BIGINT → BIGINT, INTEGER + DOUBLE → DOUBLE, INTEGER + DECIMAL → DECIMAL; text against numbers
becomes VARCHAR). Text against any other type becomes VARCHAR too, each value of the other inputs as its
text: DuckDB would convert the text into a BLOB, UUID, JSON, BIT, list or struct column's type instead, reading
\`A\\x42C\` as the bytes \`ABC\`, rewriting a UUID's spelling, or failing mid-run on text that is not one.

**Widening to a float type keeps every value, or stops.** A DOUBLE holds whole numbers exactly up to
2^53 and about 15 significant digits, a FLOAT up to 2^24 and 6 digits. When a BIGINT (or HUGEINT,
UBIGINT) column or a DECIMAL with more digits meets a DOUBLE column, each of its values is checked on
its way in: one the DOUBLE would change stops the run, naming the column, the value, what it would
become and both inputs (\`column "id" holds 9007199254740993 (BIGINT in input 'a'), which the union's
DOUBLE column (its type in input 'b') cannot hold exactly: it would become 9007199254740992.0\`). A decimal passes when the DOUBLE shows
the same number (\`123456789012345.67\` does). Give the column one type in every input first, e.g. a Cast
to BIGINT or DECIMAL on the DOUBLE side. Columns that a float type holds whole (INTEGER into DOUBLE) are
not checked and cost nothing.

**The same inside lists, structs and maps.** A \`BIGINT[]\` meeting a \`DOUBLE[]\` becomes \`DOUBLE[]\`, and a
\`DECIMAL(38,2)[]\` meeting a \`DECIMAL(38,0)[]\` becomes \`DECIMAL(38,0)[]\`: each value of such a column is
converted there and back on its way in, and one that would change (9007199254740993, or 1.25 that would
become 1) stops the run, naming the column, the value and the input. A list, struct or map whose values
are booleans in one input and numbers in another, or dates/times in one and numbers in another, is
reported before the run, as for plain columns.

**Decimals keep their places.** A DECIMAL holds 38 digits. Where the inputs' decimals together need
more (DECIMAL(38,0) in one input, DECIMAL(38,2) in another, as sums give), DuckDB's common type would
keep the digits before the point and drop places after it (10.25 would become 10). The union's column
keeps the largest scale instead, DECIMAL(38,2), and a value with more digits before the point than that
leaves room for (here 36) stops the run, naming the column, the value and the input.

**By position** (\`UNION ALL\`): the n-th column of each input lines up with the n-th of the first, whose names
the output keeps. Every input must have the same number of columns: a mismatch is reported before the run,
naming the input. Types widen as above.

A number or boolean column meeting a date/time column (by name or by position) cannot be combined:
DuckDB would accept it while planning and fail once rows flow, so the node reports it before the run,
naming both inputs; convert one side first. The same holds for date/time kinds that do not convert
into one another: a DATE or TIMESTAMP meeting a TIME or an INTERVAL, and a TIME meeting a TIME WITH
TIME ZONE (DuckDB would take the first input's type, so as TIME \`10:00+02\` would become 10:00, its
offset dropped). DATE and the TIMESTAMP types combine (a date becomes its midnight). A TIMESTAMP
meeting a TIMESTAMP WITH TIME ZONE becomes the latter, its values read as UTC times (a TIMESTAMP_NS
instead keeps its type, and the other input's instants become their UTC times). A boolean column
meeting a number column is reported the same way: DuckDB would make it a number (true becomes 1).

**distinct** removes duplicate rows across all inputs (and within each), comparing all output columns,
including the source column when there is one: rows from different inputs are then never duplicates.
NULLs compare equal for this purpose.

**source_column** adds a VARCHAR column (last) holding the id of the upstream node each row came from,
or \`node:port\` when it came from a port other than \`out\`. Its name must not clash with an input column.

Row order is not guaranteed (inputs are read in parallel): sort afterwards if it matters.

A union by position whose inputs have the same column names in another order warns (the values would
land under the other names): that is almost always a union that wanted \`by_name\`.

Metrics: none; rows out is the total over the inputs (after \`distinct\`).`,
  example: { description: 'Stack this year\'s and last year\'s orders, recording where each came from', params: { match: 'by_name', source_column: 'source' } },
  async compile(ctx) {
    const inputs = ctx.inputs();
    const { match, distinct, source_column } = ctx.params;
    if (match === 'by_position') {
      const [first] = inputs;
      for (const r of inputs.slice(1)) {
        if (first && r.columns.length !== first.columns.length)
          fail(
            `input '${sourceLabel(r)}' of node '${ctx.nodeId}' has ${r.columns.length} columns but '${sourceLabel(first)}' has ${first.columns.length}: a union by position needs the same number of columns`,
            'params.match',
            "use match: by_name, or select the same columns in each input",
          );
        // The same names in another order: by position, a's values would land in b and b's in a.
        const names = (x: Relation) => x.columns.map((c) => foldName(c.name));
        if (first && names(r).some((n, i) => n !== names(first)[i]) && [...names(r)].sort().join('\0') === [...names(first)].sort().join('\0'))
          ctx.warn(
            `input '${sourceLabel(r)}' has the same columns as '${sourceLabel(first)}' in another order (${r.columns.map((c) => c.name).join(', ')}); by position its values go under the names of '${sourceLabel(first)}' (${first.columns.map((c) => c.name).join(', ')}): use match by_name to line them up by name`,
          );
      }
    }
    const clash = incompatiblePair(inputs, match === 'by_name');
    if (clash)
      fail(
        `column '${clash.column}' of node '${ctx.nodeId}' is ${clash.a[1]} in input '${sourceLabel(clash.a[0])}' but ${clash.b[1]} in input '${sourceLabel(clash.b[0])}': a union cannot combine them${clash.why === 'boolean' ? ' (true would become 1)' : ''}${clash.why === 'nested' ? ` (inside them, ${nestedKindClash(clash.a[1], clash.b[1])!.join(' meets ')}: a boolean would become a number, a date/time would fail to convert)` : ''}`,
        'params.match',
        {
          boolean: `convert one of them first (transform.cast or transform.derive), e.g. both to VARCHAR, or the boolean to a number on purpose: CASE WHEN ${clash.column} THEN 1 ELSE 0 END`,
          time: 'convert one of them first (transform.cast or transform.derive), e.g. both to DATE or both to VARCHAR',
          nested: `give the column one type in every input first (a Cast node, e.g. both to ${clash.a[1]}, or both to VARCHAR)`,
          'time kinds': 'convert one of them first (transform.cast or transform.derive), e.g. both to VARCHAR, or build one type on purpose with a Derive (a DATE plus a TIME is a TIMESTAMP; a TIME WITH TIME ZONE to UTC TIME)',
        }[clash.why],
      );
    if (source_column) {
      for (const r of inputs) {
        if (r.columns.some((c) => sameName(c.name, source_column)))
          fail(`source column '${source_column}' of node '${ctx.nodeId}' clashes with a column of input '${sourceLabel(r)}'`, 'params.source_column', 'choose another name');
      }
    }
    const op = `UNION${distinct ? '' : ' ALL'}${match === 'by_name' ? ' BY NAME' : ''}`;
    const stack = (checked: (r: Relation) => string[]) =>
      inputs
        .map((r) => {
          const replace = checked(r);
          return `SELECT *${replace.length > 0 ? ` REPLACE (${replace.join(', ')})` : ''}${source_column ? `, ${literal(sourceLabel(r))} AS ${ident(source_column)}` : ''} FROM ${r.ref}`;
        })
        .join(`\n${op}\n`);
    const body = stack(await lossyColumns(ctx, inputs, match === 'by_name', stack((): string[] => [])));
    // By name, the source column would land after the first input's columns; keep it last.
    if (source_column && match === 'by_name' && inputs.length > 1)
      return { outputs: { out: `SELECT * EXCLUDE (${ident(source_column)}), ${ident(source_column)} FROM (\n${body}\n)` } };
    return { outputs: { out: body } };
  },
});
