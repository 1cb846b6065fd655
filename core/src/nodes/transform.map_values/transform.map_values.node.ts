import { z } from 'zod';
import { defineNode } from '../define.js';
import { mapValuesSpark } from './transform.map_values.spark.js';
import { ident, stringLiteral } from '../../compiler/sql.js';
import { CaudalError } from '../../util/errors.js';
import { nfcSql, trimWhitespace, trimWhitespaceSql } from '../shared/unicode-text.js';
import { changesConverting } from '../shared/exact-widening.js';
import { findColumn } from '../shared/columns.js';

const params = z
  .object({
    column: z.string().min(1).meta({ label: 'Column', help: 'The column whose values are replaced, in place.', widget: 'column' }),
    mappings: z
      .array(
        z
          .object({
            from: z.string().meta({ label: 'Value' }),
            to: z.string().nullable().meta({ label: 'Becomes', help: 'null makes the value NULL.' }),
          })
          .strict(),
      )
      .default([])
      .meta({
        label: 'Mapping',
        help: 'Pairs of value → replacement. Leave empty when a mapping table is connected to the `mapping` input.',
        widget: 'list',
        group: 'Mapping',
      }),
    from_column: z.string().min(1).default('from').meta({
      label: 'Mapping table: value column',
      help: 'With the `mapping` input connected: its column holding the values to look for.',
      widget: 'column',
      port: 'mapping',
      group: 'Mapping',
    }),
    to_column: z.string().min(1).default('to').meta({
      label: 'Mapping table: replacement column',
      help: 'With the `mapping` input connected: its column holding the replacements.',
      widget: 'column',
      port: 'mapping',
      group: 'Mapping',
    }),
    ignore_case: z.boolean().default(false).meta({ label: 'Ignore case', help: "'PARIS' matches 'Paris'.", widget: 'boolean', group: 'Matching' }),
    ignore_accents: z.boolean().default(false).meta({ label: 'Ignore accents', help: "'Mérida' matches 'Merida'.", widget: 'boolean', group: 'Matching' }),
    trim: z.boolean().default(false).meta({ label: 'Ignore surrounding spaces', help: "' Shipped\\t' matches 'Shipped' (spaces, tabs, line breaks, no-break spaces).", widget: 'boolean', group: 'Matching' }),
    unmapped: z.enum(['keep', 'null', 'value']).default('keep').meta({
      label: 'Values not in the mapping',
      help: '`keep` leaves them as they are, `null` makes them NULL, `value` replaces them with the fixed value below.',
      widget: 'select',
      group: 'Unmapped values',
    }),
    unmapped_value: z.string().optional().meta({ label: 'Fixed value', help: 'With unmapped "value".', widget: 'text', group: 'Unmapped values', placeholder: 'other' }),
  })
  .strict();

type Params = z.output<typeof params>;

/**
 * Letter case folded as `key()` folds it in SQL. DuckDB's lower() takes one code point at a time
 * (İ is i); JavaScript's toLowerCase looks at context (Σ ending a word is ς) and makes İ two code
 * points, so the duplicate check and the matching disagreed. Both sides also fold the final sigma
 * ς into σ, as Unicode case folding does: 'ΚΩΣ' and 'Κως' are one word.
 */
function foldCase(value: string): string {
  let out = '';
  for (const ch of value) out += ch === '\u0130' ? 'i' : ch.toLowerCase();
  return out.replaceAll('\u03C2', '\u03C3');
}
const foldCaseSql = (text: string) => `replace(lower(${text}), ${stringLiteral('\u03C2')}, ${stringLiteral('\u03C3')})`;

/** The matching key of a mapping value, as the SQL `key()` below computes it (for the duplicate check). */
function jsKey(p: Params, value: string): string {
  let k = value.normalize('NFC');
  if (p.trim) k = trimWhitespace(k);
  if (p.ignore_case) k = foldCase(k);
  if (p.ignore_accents) k = k.normalize('NFD').replace(/\p{M}/gu, '');
  return k;
}

/**
 * The matching key of a text expression: in NFC form, trimmed, lower-cased, without accents, as
 * chosen (strip_accents decomposes, so NFC is only needed without it).
 */
function key(p: Params, text: string): string {
  let k = p.ignore_accents ? text : nfcSql(text);
  if (p.trim) k = trimWhitespaceSql(k);
  if (p.ignore_case) k = foldCaseSql(k);
  if (p.ignore_accents) k = `strip_accents(${k})`;
  return k;
}

const DESCRIBE_MATCH = (p: Params) =>
  [p.trim && 'without surrounding spaces', p.ignore_case && 'ignoring case', p.ignore_accents && 'ignoring accents'].filter(Boolean).join(', ');

export const mapValuesNode = defineNode({
  type: 'transform.map_values',
  version: 1,
  spark: mapValuesSpark,
  category: 'transform',
  rowOrder: 'follows',
  title: 'Map values',
  description: 'Replaces the values of a column using a mapping (typed in, or from a mapping table), e.g. to normalize spellings or codes.',
  aliases: ['recode', 'replace values', 'normalize', 'lookup', 'translate codes', 'standardize spellings'],
  inputs: [
    { name: 'in' },
    { name: 'mapping', optional: true, label: 'Mapping table', description: 'A table with a value column and a replacement column, instead of typed-in pairs.' },
  ],
  outputs: [{ name: 'out' }],
  params,
  docs: `Replaces each value of \`column\` found in the mapping by its replacement; the column keeps its name and
position. The mapping is either typed in (\`mappings\`: pairs \`from\` → \`to\`) or read from a table connected to
the \`mapping\` input (columns \`from_column\` → \`to_column\`), not both.

**Matching.** By default a value must equal a mapping value exactly, both taken in Unicode NFC form (a
'Mérida' written with a combining accent matches 'Mérida'; on Parquet and other dictionary-encoded input
this is computed once per distinct value). \`trim\` ignores whitespace around both (spaces, tabs, line
breaks, no-break spaces: the whitespace \`transform.clean_text\` trims),
\`ignore_case\` compares them lower-cased, one letter at a time as DuckDB's \`lower\` does (Turkish 'İ' is 'i'), with
the Greek final sigma 'ς' taken as 'σ' ('ΚΩΣ' matches 'Κως'), \`ignore_accents\` without accents (DuckDB's \`strip_accents\`:
'Mérida' = 'Merida', 'Zoë' = 'Zoe'). Each option applies to both sides.

**Duplicates.** Two mapping values that are equal once trimmed/lower-cased/unaccented as chosen are an error:
for typed-in pairs before the run, for a mapping table when the run (or preview) reads it; the message names the
value. Rows of a mapping table whose value is NULL are ignored.

**Unmapped values.** \`keep\` (default) leaves them unchanged, \`null\` makes them NULL, \`value\` puts
\`unmapped_value\` instead. A NULL in the column is missing rather than unmapped: it stays NULL in every case.

**Types.** The result is VARCHAR. A column of another type is compared and kept as its text form, and the
replacements of a mapping table are converted to text. A replacement may be NULL. A typed-in value that
no value of such a column can read as is reported before the run: \`'1'\` for a DOUBLE column, whose 1
reads \`'1.0'\` (write \`'1.0'\`), or \`'abc'\` for an INTEGER column. For a mapping table, text values
that no value of the column reads as (\`'007'\` or \`'7.0'\` for an INTEGER column) are counted in a
warning naming them; mapping values of another non-text type are converted to the column's type first
(a DOUBLE \`10.0\` maps the INTEGER 10), and one the type does not hold exactly (\`10.5\`) maps nothing.

**Order.** Typed-in pairs keep the row order of the input. With a mapping table the node joins it,
and, as with any join, the row order of the output is not guaranteed; sort downstream when it matters.

No metrics or warnings: counting unmapped values would read the data a second time.`,
  example: {
    description: 'Normalize order statuses',
    params: {
      column: 'status',
      mappings: [
        { from: 'completed', to: 'completed' },
        { from: 'complete', to: 'completed' },
        { from: 'shipped', to: 'shipped' },
        { from: 'canceled', to: 'cancelled' },
        { from: 'cancelled', to: 'cancelled' },
      ],
      ignore_case: true,
      trim: true,
      unmapped: 'value',
      unmapped_value: 'other',
    },
  },
  check(p) {
    const out: Array<{ path: string; message: string; hint?: string }> = [];
    const seen = new Map<string, number>();
    p.mappings.forEach((m, i) => {
      const k = jsKey(p, m.from);
      const first = seen.get(k);
      if (first !== undefined) {
        const how = DESCRIBE_MATCH(p);
        out.push({
          path: `mappings[${i}].from`,
          message: `'${m.from}' is already mapped by entry ${first + 1} ('${p.mappings[first]!.from}')${how ? ` when matching ${how}` : ''}`,
          hint: 'keep one entry per value',
        });
      } else seen.set(k, i);
    });
    if (p.unmapped === 'value' && p.unmapped_value === undefined)
      out.push({ path: 'unmapped_value', message: 'unmapped "value" needs the fixed value to use', hint: 'set unmapped_value, or choose unmapped "keep" or "null"' });
    if (p.unmapped !== 'value' && p.unmapped_value !== undefined)
      out.push({ path: 'unmapped_value', message: `unmapped_value is only used with unmapped "value" (unmapped is "${p.unmapped}")`, hint: 'set unmapped to "value" or remove unmapped_value' });
    return out;
  },
  async compile(ctx) {
    const p = ctx.params;
    const input = ctx.input();
    const tables = ctx.inputs('mapping');
    const fail = (path: string, message: string, hint: string) =>
      new CaudalError('validation', message, { nodeId: ctx.nodeId, hint, problems: [{ code: 'invalid_param', path, message, hint }] });
    if (tables.length > 0 && p.mappings.length > 0)
      throw fail('params.mappings', `node '${ctx.nodeId}' has typed-in mappings and a mapping table connected`, 'use one: remove the typed-in pairs or disconnect the mapping input');
    if (tables.length === 0 && p.mappings.length === 0)
      throw fail('params.mappings', `node '${ctx.nodeId}' has no mapping`, 'type in value → replacement pairs, or connect a table to the mapping input');

    // Named here with the closest name: left to DuckDB, a mapping table's join said only that
    // 'Values list "i" does not have a column named ...'.
    const found = findColumn(ctx.nodeId, input, p.column, 'column');
    const name = found.name;
    const col = (prefix: string) => `${prefix}${ident(name)}`;
    const text = (prefix: string) => (found.type !== 'VARCHAR' ? `CAST(${col(prefix)} AS VARCHAR)` : col(prefix));
    const otherwise = (prefix: string) =>
      p.unmapped === 'keep' ? text(prefix) : p.unmapped === 'null' ? 'NULL' : `CASE WHEN ${col(prefix)} IS NOT NULL THEN ${stringLiteral(p.unmapped_value ?? '')} END`;
    const lit = (v: string | null) => (v === null ? 'CAST(NULL AS VARCHAR)' : stringLiteral(v));

    if (tables.length === 0) {
      // A column of another type is compared as its text form: a mapping value that is not how one
      // of its values reads as text ('1' for a DOUBLE, whose 1 reads '1.0') could never match.
      if (found.type !== 'VARCHAR') {
        const canon = await ctx.rows(`SELECT ${p.mappings.map((m, i) => `CAST(TRY_CAST(${stringLiteral(m.from)} AS ${found.type}) AS VARCHAR) AS ${ident(`v${i}`)}`).join(', ')}`);
        for (const [i, m] of p.mappings.entries()) {
          const text = canon[0]?.[`v${i}`];
          if (typeof text === 'string' && jsKey(p, text) === jsKey(p, m.from)) continue;
          const why =
            typeof text === 'string'
              ? `values are compared as text, and the ${found.type} ${m.from} reads '${text}'`
              : `it is not a ${found.type}, so no value of the column reads so`;
          throw fail(
            `params.mappings[${i}].from`,
            `node '${ctx.nodeId}': the mapping value '${m.from}' can never match column '${name}' (${found.type}): ${why}`,
            typeof text === 'string' ? `write it as '${text}', or convert the column to text first (transform.cast)` : `write a ${found.type} value as the column's values read as text`,
          );
        }
      }
      // A NULL key matches no WHEN, so NULLs fall through to ELSE (kept NULL in every mode).
      const whens = p.mappings.map((m) => `  WHEN ${key(p, stringLiteral(m.from))} THEN ${lit(m.to)}`);
      const expr = `CASE ${key(p, text(''))}\n${whens.join('\n')}\n  ELSE ${otherwise('')}\nEND`;
      return { outputs: { out: `SELECT * REPLACE (\n${expr} AS ${ident(name)})\nFROM ${input.ref}` } };
    }

    const table = tables[0]!;
    const fromColumn = findColumn(ctx.nodeId, table, p.from_column, 'from_column', 'mapping table');
    const from = ident(fromColumn.name);
    const to = ident(findColumn(ctx.nodeId, table, p.to_column, 'to_column', 'mapping table').name);
    const fromType = fromColumn.type;
    const columnType = found.type;
    // Values are compared as the column's text. A mapping value of another non-text type is first
    // converted to the column's type (a DOUBLE 7.0 reads '7.0', the INTEGER 7 reads '7'), and one
    // the column's type does not hold exactly (7.5 for an INTEGER) matches nothing.
    const convertFrom = columnType !== 'VARCHAR' && fromType !== 'VARCHAR' && fromType !== columnType;
    const fromText = convertFrom
      ? `CASE WHEN ${changesConverting(from, fromType, columnType)} THEN NULL ELSE CAST(TRY_CAST(${from} AS ${columnType}) AS VARCHAR) END`
      : `CAST(${from} AS VARCHAR)`;
    // Text mapping values for a column of another type: one that is not how a value of the column
    // reads ('007' or '7.0' for the INTEGER 7) can never match, which the run says.
    const neverMatch =
      columnType !== 'VARCHAR' && fromType === 'VARCHAR'
        ? `${from} IS NOT NULL AND ${key(p, `CAST(TRY_CAST(${from} AS ${columnType}) AS VARCHAR)`)} IS DISTINCT FROM ${key(p, from)}`
        : undefined;
    const k = ident('_caudal_key');
    const v = ident('_caudal_value');
    const duplicate = `error(${stringLiteral(`node '${ctx.nodeId}': the mapping table has the value '`)} || ${k} || ${stringLiteral(`' more than once${DESCRIBE_MATCH(p) ? ` (matching ${DESCRIBE_MATCH(p)})` : ''}; keep one row per value`)})`;
    const lookup = [
      `SELECT ${k}, CASE WHEN count(*) > 1 THEN ${duplicate} ELSE any_value(${v}) END AS ${v}`,
      `  FROM (SELECT ${key(p, fromText)} AS ${k}, CAST(${to} AS VARCHAR) AS ${v} FROM ${table.ref} WHERE ${from} IS NOT NULL)`,
      `  GROUP BY ${k}`,
    ].join('\n');
    const expr = `CASE WHEN m.${k} IS NOT NULL THEN m.${v} ELSE ${otherwise('i.')} END`;
    return {
      outputs: {
        out: `SELECT i.* REPLACE (${expr} AS ${ident(name)})\nFROM ${input.ref} AS i\nLEFT JOIN (\n${lookup}\n) AS m ON ${key(p, text('i.'))} = m.${k}`,
      },
      notices: neverMatch
        ? [
            {
              countSql: `SELECT count(*) FROM ${table.ref} WHERE ${neverMatch}`,
              namesSql: `SELECT ${from} || coalesce(' (written ' || CAST(TRY_CAST(${from} AS ${columnType}) AS VARCHAR) || ' there)', ${stringLiteral(` (not of type ${columnType})`)}) FROM ${table.ref} WHERE ${neverMatch} LIMIT 5`,
              message: `{count} value{s} of the mapping table can never match column '${name}' (${columnType}), whose values are compared as the text they read as: {names}; write them as the column reads, or convert the column to text first (transform.cast)`,
            },
          ]
        : undefined,
    };
  },
});
