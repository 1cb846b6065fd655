import { z } from 'zod';
import { typeProblem } from '../util/duckdb-type.js';
import { PRINTABLE_NAME } from '../model/schema.js';

/**
 * The check list of a `quality.check` node. One zod schema per kind, discriminated by `kind`, so
 * each check's params are typed (z.infer) and the JSON Schema tells editors which fields a kind has.
 */

export const SEVERITIES = ['warn', 'error', 'quarantine'] as const;
export type Severity = (typeof SEVERITIES)[number];

// Printed in logs, terminal lines and alerts: a line break or an escape code in it would forge output
// (a fake log line, terminal colours), a bidi control reorder it. As pipeline names (model/schema.ts).
// A refinement, not a pattern: the rule stays out of the generated JSON Schema's check shapes.
const name = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .refine((s) => PRINTABLE_NAME.test(s), 'a check name holds no control characters (line breaks, tabs, escape codes, bidi controls): it is printed in logs, terminal output and reports')
  .meta({ label: 'Check name', help: 'Unique in the node; names the check in results, reports and `_caudal_reasons`.' });
const severity = z.enum(SEVERITIES).default('error').meta({
  label: 'Severity',
  help: '`warn`: report only. `error`: fail the run after this node (CLI exit code 3). `quarantine`: failing rows go to the `rejected` output; passing rows continue on `out` (row checks only).',
  widget: 'select',
});
const mostly = z.number().gt(0).max(1).optional().meta({
  label: 'Mostly',
  help: 'Pass when at least this share of rows passes, as a fraction: 0.95 means 95%. Without it, one failing row fails the check. Row checks only.',
  widget: 'number',
});
const weight = z.number().positive().default(1).meta({ label: 'Weight', help: 'Weight of the check in the quality score (default 1).', widget: 'number' });
const description = z.string().optional().meta({ label: 'Description', help: 'For people reading the report.' });
const column = z.string().min(1).meta({ label: 'Column', widget: 'column', port: 'in' });
const scalar = z.union([z.number(), z.string()]);

const base = { name, severity, mostly, weight, description };

export const notNullCheck = z.object({ kind: z.literal('not_null'), ...base, column }).strict();
export const uniqueCheck = z
  .object({ kind: z.literal('unique'), ...base, columns: z.array(z.string().min(1)).min(1).meta({ label: 'Columns', help: 'Rows must be unique over these columns together. Rows with a NULL in any of them pass.', widget: 'columns', port: 'in' }) })
  .strict();
export const betweenCheck = z
  .object({
    kind: z.literal('between'),
    ...base,
    column,
    min: scalar.optional().meta({ label: 'Minimum', help: 'Inclusive. A number, or a date/timestamp as ISO text (`2024-01-01`) written as the column\'s type: a time for a DATE column is refused. On a text column, text compared character by character; bounds written as numbers, dates or times are refused there (convert the column first).' }),
    max: scalar.optional().meta({ label: 'Maximum', help: 'Inclusive. A number, or a date/timestamp as ISO text; on a text column, text (not a number, date or time).' }),
  })
  .strict();
export const inSetCheck = z
  .object({ kind: z.literal('in_set'), ...base, column, values: z.array(z.union([z.string(), z.number(), z.boolean()])).min(1).meta({ label: 'Allowed values', help: 'On a number, boolean, date or timestamp column each value is converted to the column\'s type exactly ("1.5" matches 1.50); on a text column, write text. Integers beyond 2^53 as strings.', widget: 'list' }) })
  .strict();
export const regexCheck = z
  .object({
    kind: z.literal('matches_regex'),
    ...base,
    column,
    pattern: z.string().min(1).meta({ label: 'Pattern', help: 'An RE2 regular expression the whole value must match (anchors are implied).', placeholder: '[A-Z]{2}-\\d{4}' }),
  })
  .strict();
export const lengthCheck = z
  .object({
    kind: z.literal('length_between'),
    ...base,
    column,
    min: z.number().int().min(0).optional().meta({ label: 'Minimum length', help: 'In characters, inclusive.' }),
    max: z.number().int().min(0).optional().meta({ label: 'Maximum length', help: 'In characters, inclusive.' }),
  })
  .strict();
export const expressionCheck = z
  .object({
    kind: z.literal('expression'),
    ...base,
    expression: z.string().min(1).meta({ label: 'Predicate', widget: 'sql', help: 'A SQL boolean expression over the row; the row passes when it is true (NULL fails).', placeholder: 'ship_date >= order_date' }),
  })
  .strict();
export const referencesCheck = z
  .object({
    kind: z.literal('references'),
    ...base,
    column,
    reference_column: z.string().min(1).meta({ label: 'Reference column', help: 'The column of the `reference` input whose values are allowed.' }),
    reference_node: z.string().min(1).optional().meta({ label: 'Reference node', help: 'Which node connected to `reference` to use, when several are connected.' }),
  })
  .strict();
export const rowCountCheck = z
  .object({
    kind: z.literal('row_count_between'),
    ...base,
    min: z.number().int().min(0).optional().meta({ label: 'Minimum rows' }),
    max: z.number().int().min(0).optional().meta({ label: 'Maximum rows' }),
  })
  .strict();
export const freshnessCheck = z
  .object({
    kind: z.literal('freshness'),
    ...base,
    column,
    max_age: z.string().min(1).meta({ label: 'Maximum age', help: 'A DuckDB interval: the newest value of the DATE/TIMESTAMP column must be at most this old at run time, e.g. `24 hours`, `2 days`.', placeholder: '24 hours' }),
  })
  .strict();
export const schemaCheck = z
  .object({
    kind: z.literal('schema'),
    ...base,
    columns: z
      .array(z.object({ name: z.string().min(1), type: z.string().min(1).optional() }).strict())
      .min(1)
      .meta({ label: 'Expected columns', help: 'Names (compared without regard to case) and, optionally, DuckDB types (e.g. BIGINT, VARCHAR, DECIMAL(10,2)).', widget: 'list' }),
    allow_extra: z.boolean().default(true).meta({ label: 'Allow extra columns', help: 'When false, input columns not listed fail the check.' }),
  })
  .strict();
export const distributionCheck = z
  .object({
    kind: z.literal('distribution'),
    ...base,
    column,
    metric: z.enum(['null_rate', 'mean']).meta({ label: 'Metric', help: '`null_rate`: share of NULLs. `mean`: average of a numeric column.', widget: 'select' }),
    max_sigma: z.number().positive().default(3).meta({ label: 'Max deviation (σ)', help: 'Fail when the value is more than this many standard deviations from the mean of previous runs.' }),
    min_history: z.number().int().min(2).default(5).meta({ label: 'Runs before judging', help: 'Until this many previous runs are recorded, the check passes and says so. At most `window`. Only runs that succeeded are recorded.' }),
    window: z.number().int().min(2).max(1000).default(30).meta({ label: 'Runs remembered', help: 'How many previous values are kept and compared against.' }),
  })
  .strict();

export const checkSchema = z.discriminatedUnion('kind', [
  notNullCheck,
  uniqueCheck,
  betweenCheck,
  inSetCheck,
  regexCheck,
  lengthCheck,
  expressionCheck,
  referencesCheck,
  rowCountCheck,
  freshnessCheck,
  schemaCheck,
  distributionCheck,
]);

export type Check = z.output<typeof checkSchema>;
export type CheckKind = Check['kind'];

/** Kinds judged row by row: they count failing rows, take `mostly`, and can quarantine. */
export const ROW_KINDS = ['not_null', 'unique', 'between', 'in_set', 'matches_regex', 'length_between', 'expression', 'references'] as const satisfies readonly CheckKind[];
export type RowCheck = Extract<Check, { kind: (typeof ROW_KINDS)[number] }>;

export function isRowCheck(c: Check): c is RowCheck {
  return (ROW_KINDS as readonly string[]).includes(c.kind);
}

/** Problems a check list has on its own, without data. Paths are relative to params. */
export function checkListProblems(checks: Check[]): Array<{ path: string; message: string; hint?: string }> {
  const out: Array<{ path: string; message: string; hint?: string }> = [];
  const seen = new Set<string>();
  checks.forEach((c, i) => {
    const at = `checks[${i}]`;
    const key = c.name.toLowerCase();
    if (seen.has(key)) out.push({ path: `${at}.name`, message: `check '${c.name}': the name is used by an earlier check`, hint: 'check names are unique (without regard to case): they name results and `_caudal_reasons`' });
    seen.add(key);
    if (!isRowCheck(c)) {
      if (c.severity === 'quarantine')
        out.push({ path: `${at}.severity`, message: `check '${c.name}' (${c.kind}) is about the whole table, so it cannot quarantine rows`, hint: 'use warn or error; quarantine is for row checks (not_null, unique, between, in_set, matches_regex, length_between, expression, references)' });
      if (c.mostly !== undefined) out.push({ path: `${at}.mostly`, message: `check '${c.name}' (${c.kind}) is about the whole table, so 'mostly' does not apply`, hint: 'remove mostly' });
    }
    if ((c.kind === 'between' || c.kind === 'length_between' || c.kind === 'row_count_between') && c.min === undefined && c.max === undefined)
      out.push({ path: at, message: `check '${c.name}' (${c.kind}) needs a min, a max or both` });
    if ((c.kind === 'length_between' || c.kind === 'row_count_between') && c.min !== undefined && c.max !== undefined && c.min > c.max)
      out.push({ path: `${at}.min`, message: `check '${c.name}': min ${c.min} is greater than max ${c.max}` });
    if (c.kind === 'between' && typeof c.min === 'number' && typeof c.max === 'number' && c.min > c.max)
      out.push({ path: `${at}.min`, message: `check '${c.name}': min ${c.min} is greater than max ${c.max}` });
    // JSON numbers are doubles: an integer past 2^53 has already been rounded when it reaches us.
    const unsafe = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v);
    const roundedHint = () => `a JSON number keeps integers exact only up to ${Number.MAX_SAFE_INTEGER} (2^53 - 1); write the value as a string with its exact digits ("12345678901234567890"): strings are converted exactly`;
    if (c.kind === 'between')
      for (const side of ['min', 'max'] as const) {
        const v = c[side];
        if (unsafe(v)) out.push({ path: `${at}.${side}`, message: `check '${c.name}': the ${side} is an integer beyond 2^53, which a JSON number may already have rounded (read as ${BigInt(v as number)})`, hint: roundedHint() });
      }
    if (c.kind === 'in_set')
      c.values.forEach((v, j) => {
        if (unsafe(v)) out.push({ path: `${at}.values[${j}]`, message: `check '${c.name}': value ${j + 1} is an integer beyond 2^53, which a JSON number may already have rounded (read as ${BigInt(v as number)})`, hint: roundedHint() });
      });
    if (c.kind === 'schema')
      c.columns.forEach((col, k) => {
        const problem = col.type === undefined ? undefined : typeProblem(col.type);
        if (problem) out.push({ path: `${at}.columns[${k}].type`, message: `check '${c.name}': column '${col.name}': ${problem}`, hint: 'write a DuckDB type (INTEGER, DECIMAL(10,2), VARCHAR[], …), or leave type out to check only the name' });
      });
    if (c.kind === 'distribution' && c.min_history > c.window)
      out.push({
        path: `${at}.min_history`,
        message: `check '${c.name}': min_history ${c.min_history} is greater than window ${c.window}, so the check would never judge (only the last ${c.window} values are kept)`,
        hint: `make window at least ${c.min_history}, or min_history at most ${c.window}`,
      });
  });
  return out;
}
