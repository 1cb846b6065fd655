import type { Column, CompileContext, Relation } from '../nodes/define.js';
import { findColumn, foldName, paramError } from '../nodes/shared/columns.js';
import { ident, literal, stringLiteral } from '../compiler/sql.js';
import { isRowCheck, type Check, type RowCheck } from './checks.js';
import type { Judge, PlannedCheck } from './types.js';
import { schemaDiff } from './schema-diff.js';
import { constantConverts } from '../nodes/shared/typed-constant.js';
import { comparedAsFloat, conversionCheck } from '../nodes/shared/exact-widening.js';
import { isFloatType, isNumericType } from '../nodes/shared/locale-numbers.js';
import { isDateType, isPlainTimestampType, isTimeType } from '../nodes/shared/temporal-text.js';
import { CaudalError, type Problem } from '../util/errors.js';

/** A check translated to SQL pieces; what the node assembles into its outputs and aggregate. */
export interface CheckSql {
  check: Check;
  planned: PlannedCheck;
  /** Row checks: a non-NULL boolean, true when the row passes (all row checks but `unique`). */
  ok?: string;
  /**
   * `unique`: the key columns. Whether a row passes depends on the other rows, so the check is
   * evaluated by grouping on the key (see evaluation-sql.ts), never per row.
   */
  unique?: string[];
  /** Table checks: aggregate expressions for the observed value and (optionally) passed. */
  observed?: string;
  passed?: string;
  /** Expression checks: the user's predicate alone, to check it is boolean. */
  predicate?: string;
  /** `references`: the two columns compared, for a message when DuckDB cannot compare their types. */
  compared?: { column: Column; reference: Column; referenceNode: string };
}

const fmt = (v: string | number | boolean) => (typeof v === 'string' ? `'${v}'` : String(v));

/** Allowed values named in messages and reports: the whole list would repeat a pasted list of thousands in each. */
const NAMED_VALUES = 20;

/** "'a', 'b', 'c'", or the first NAMED_VALUES values "and 4,980 more". */
function namedValues(values: Array<string | number | boolean>): string {
  const shown = values.slice(0, NAMED_VALUES).map(fmt).join(', ');
  return values.length > NAMED_VALUES ? `${shown} and ${(values.length - NAMED_VALUES).toLocaleString('en-US')} more` : shown;
}

/** Words for a range: "between 1 and 5", "at least 1", "at most 5". */
function rangeText(min: unknown, max: unknown): string {
  const f = (v: unknown) => (typeof v === 'string' ? v : String(v));
  if (min !== undefined && max !== undefined) return `between ${f(min)} and ${f(max)}`;
  return min !== undefined ? `at least ${f(min)}` : `at most ${f(max)}`;
}

/** A length range in words, the unit once and singular for 1: "between 1 and 6 characters", "at least 1 character". */
function lengthRangeText(min: number | undefined, max: number | undefined): string {
  const unit = (n: number | undefined) => (n === 1 ? 'character' : 'characters');
  if (min !== undefined && max !== undefined) return `between ${min} and ${max} ${unit(max)}`;
  return min !== undefined ? `at least ${min} ${unit(min)}` : `at most ${max} ${unit(max)}`;
}

/** `lo <= x AND x <= hi` for the bounds that are set. */
function rangeSql(x: string, min: string | undefined, max: string | undefined): string {
  return [min !== undefined ? `${x} >= ${min}` : '', max !== undefined ? `${x} <= ${max}` : ''].filter(Boolean).join(' AND ');
}

const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|REAL|DECIMAL.*)$/i;

export interface CompileChecksInput {
  ctx: CompileContext<unknown>;
  checks: Check[];
  input: Relation;
  references: Relation[];
}

/**
 * Translates each check into SQL over the node's input. Column names are resolved against the
 * input (errors name the check and the closest column); values become literals; user predicates
 * go through ctx.expr so `$param` references are substituted as literals.
 */
export function compileChecks({ ctx, checks, input, references }: CompileChecksInput): { compiled: CheckSql[]; problems: Problem[] } {
  const compiled: CheckSql[] = [];
  const problems: Problem[] = [];
  checks.forEach((check, i) => {
    try {
      compiled.push(compileCheck(ctx, check, i, input, references));
    } catch (e) {
      // Every broken check is reported at once; anything else (an aborted expression) stops here.
      if (!(e instanceof CaudalError) || e.problems.length === 0) throw e;
      // findColumn's message names the node and the column; say which check, too.
      problems.push(...e.problems.map((p) => ({ ...p, nodeId: ctx.nodeId, message: p.message.includes(`check '${check.name}'`) ? p.message : `check '${check.name}': ${p.message}` })));
    }
  });
  return { compiled, problems };
}

function compileCheck(ctx: CompileContext<unknown>, check: Check, i: number, input: Relation, references: Relation[]): CheckSql {
  const nodeId = ctx.nodeId;
  const at = `checks[${i}]`;
  const col = (name: string, path: string) => findColumn(nodeId, input, name, `${at}.${path}`);
  const planned = (columns: string[], expected: string, judge: Judge): PlannedCheck => ({
    index: i,
    name: check.name,
    kind: check.kind,
    severity: check.severity,
    weight: check.weight,
    ...(check.description ? { description: check.description } : {}),
    columns,
    expected,
    judge,
  });
  const rows = (columns: string[], expected: string, ok: string): CheckSql => ({
    check,
    planned: planned(columns, expected, { kind: 'rows', ...(check.mostly !== undefined ? { mostly: check.mostly } : {}) }),
    ok: `coalesce((${ok}), false)`,
  });
  switch (check.kind) {
    case 'not_null': {
      const c = col(check.column, 'column');
      return rows([c.name], 'no NULL values', `${ident(c.name)} IS NOT NULL`);
    }
    case 'unique': {
      // Once each: a column named twice (or in two cases) is the same key, and a grouping set
      // with it twice would be another set grouping the same rows, counting them again.
      const cs = [...new Set(check.columns.map((n, j) => col(n, `columns[${j}]`).name))];
      const expected = cs.length === 1 ? 'unique values' : `unique combinations of ${cs.join(', ')}`;
      return { check, planned: planned(cs, expected, { kind: 'rows', ...(check.mostly !== undefined ? { mostly: check.mostly } : {}) }), unique: cs };
    }
    case 'between': {
      const c = col(check.column, 'column');
      if ((typeof check.min === 'number' || typeof check.max === 'number') && !NUMERIC.test(c.type))
        throw paramError(nodeId, `${at}.column`, `check '${check.name}' in node '${nodeId}' compares column '${c.name}' (${c.type}) with a number`, 'cast the column to a number first (transform.cast), or give the bounds as text for dates', c.name);
      if (/^VARCHAR$/i.test(c.type)) refuseTypedTextBounds(nodeId, at, check, c);
      const bound = (v: string | number | undefined) => (v === undefined ? undefined : typeof v === 'number' ? literal(v) : `CAST(${stringLiteral(v)} AS ${c.type})`);
      const x = ident(c.name);
      // DuckDB orders NaN above every number (so `NaN >= 0` is true); NaN is in no range, so it fails.
      // ±Infinity keep their order: above any finite max, below any finite min.
      const notNan = isFloatType(c.type) ? `NOT isnan(${x}) AND ` : '';
      return rows([c.name], rangeText(check.min, check.max), `${x} IS NULL OR (${notNan}${rangeSql(x, bound(check.min), bound(check.max))})`);
    }
    case 'in_set': {
      const c = col(check.column, 'column');
      const x = ident(c.name);
      const expected = `one of ${namedValues(check.values)}`;
      // Numbers, booleans, dates and times: each value is converted to the column's type (strictly,
      // checked by checkConstants), so 1.5 matches a DECIMAL 1.50 and "2024-01-01" a TIMESTAMP midnight.
      if (inSetTyped(c.type))
        return rows([c.name], expected, `${x} IS NULL OR ${x} IN (${check.values.map((v) => `CAST(${typeof v === 'string' ? stringLiteral(v) : literal(v)} AS ${c.type})`).join(', ')})`);
      // Other columns (text, UUID, ENUM, ...) compare their text with text values. A number or a
      // boolean there would make DuckDB cast every value of the column, failing the run on the first
      // one that does not convert: it is refused.
      const j = check.values.findIndex((v) => typeof v !== 'string');
      if (j >= 0) {
        const v = check.values[j]!;
        throw paramError(
          nodeId,
          `${at}.values[${j}]`,
          `check '${check.name}' in node '${nodeId}' compares column '${c.name}' (${c.type}) with ${typeof v === 'boolean' ? 'a boolean' : 'a number'} (${String(v)})`,
          `write the values as text (["${String(v)}"]) to compare the column's text, or convert the column first (transform.cast)`,
          c.name,
        );
      }
      const lhs = /^VARCHAR$/i.test(c.type) ? x : `CAST(${x} AS VARCHAR)`;
      return rows([c.name], expected, `${x} IS NULL OR ${lhs} IN (${check.values.map((v) => stringLiteral(String(v))).join(', ')})`);
    }
    case 'matches_regex': {
      const c = col(check.column, 'column');
      const x = ident(c.name);
      return rows([c.name], `matches /${check.pattern}/`, `${x} IS NULL OR regexp_full_match(CAST(${x} AS VARCHAR), ${stringLiteral(check.pattern)})`);
    }
    case 'length_between': {
      const c = col(check.column, 'column');
      const x = ident(c.name);
      // The length of a BLOB's or a nested value's text form (`\xAA\xBB`, `[1, 2]`) is no length anyone means.
      const measure = /^BLOB$|^BYTEA$|^VARBINARY$/i.test(c.type) ? 'octet_length' : /\[\d*\]$|^(STRUCT|MAP|UNION)\(/i.test(c.type) ? 'len' : undefined;
      if (measure) {
        throw paramError(
          nodeId,
          `${at}.column`,
          `check '${check.name}' in node '${nodeId}': length_between counts the characters of text, and column '${c.name}' is ${c.type}`,
          `use an expression check such as ${measure}(${x}) BETWEEN ${check.min ?? 0} AND ${check.max ?? 1000}${measure === 'octet_length' ? ' (bytes)' : ' (elements)'}`,
          c.name,
        );
      }
      const len = `length(CAST(${x} AS VARCHAR))`;
      const lit = (v: number | undefined) => (v === undefined ? undefined : literal(v));
      return rows([c.name], `length ${lengthRangeText(check.min, check.max)}`, `${x} IS NULL OR (${rangeSql(len, lit(check.min), lit(check.max))})`);
    }
    case 'expression': {
      const e = ctx.expr(check.expression, `${at}.expression`);
      // A trailing line comment must not swallow the closing parenthesis.
      const predicate = e.includes('--') ? `${e}\n` : e;
      return { ...rows([], check.expression, predicate), predicate };
    }
    case 'references': {
      const c = col(check.column, 'column');
      const ref = pickReference(nodeId, check, references, at);
      const rc = findColumn(nodeId, ref, check.reference_column, `${at}.reference_column`, `reference (${ref.nodeId})`);
      const x = ident(c.name);
      // A BIGINT meeting a DOUBLE is compared as DOUBLE (9007199254740993 would find 9007199254740992):
      // a value the DOUBLE would change finds nothing, on either side, so only exact matches count.
      const widened = comparedAsFloat(c.type, rc.type);
      const inexact = (column: Column) => conversionCheck(column.name, column.type, widened!.to, { into: '', hint: '' }).changes;
      const own = widened?.side === 'a' ? ` AND NOT (${inexact(c)})` : '';
      const theirs = widened?.side === 'b' ? ` WHERE NOT (${inexact(rc)})` : '';
      return { ...rows([c.name], `exists in ${ref.nodeId}.${rc.name}`, `${x} IS NULL OR (${x} IN (SELECT ${ident(rc.name)} FROM ${ref.ref}${theirs})${own})`), compared: { column: c, reference: rc, referenceNode: ref.nodeId } };
    }
    case 'row_count_between':
      return {
        check,
        planned: planned([], `row count ${rangeText(check.min, check.max)}`, { kind: 'sql' }),
        observed: 'CAST(count(*) AS VARCHAR)',
        passed: rangeSql('count(*)', check.min === undefined ? undefined : literal(check.min), check.max === undefined ? undefined : literal(check.max)),
      };
    case 'freshness': {
      const c = col(check.column, 'column');
      const x = ident(c.name);
      if (!isTemporal(c.type))
        throw paramError(
          nodeId,
          `${at}.column`,
          `check '${check.name}' in node '${nodeId}' needs a date or timestamp column, but '${c.name}' is ${c.type}`,
          /^VARCHAR$/i.test(c.type)
            ? `parse the text into dates first (transform.parse_dates): the newest text is not the newest date ('2024-9-01' sorts after '2024-12-25')`
            : 'use a DATE, TIMESTAMP or TIMESTAMPTZ column',
          c.name,
        );
      // TIMESTAMP values are read in the session's time zone, like now(): both sides agree.
      return {
        check,
        planned: planned([c.name], `newest value at most ${check.max_age} old at run time`, { kind: 'sql' }),
        observed: `CAST(max(${x}) AS VARCHAR)`,
        passed: `coalesce(CAST(max(${x}) AS TIMESTAMPTZ) >= now() - CAST(${stringLiteral(check.max_age)} AS INTERVAL), false)`,
      };
    }
    case 'schema': {
      const diff = schemaDiff(input.columns, check.columns, check.allow_extra);
      const expected = check.columns.map((c) => (c.type ? `${c.name} ${c.type}` : c.name)).join(', ');
      return {
        check,
        planned: planned(
          check.columns.map((c) => c.name),
          `columns ${expected}${check.allow_extra ? '' : ' and no others'}`,
          { kind: 'fixed', passed: diff.length === 0, observed: input.columns.map((c) => `${c.name} ${c.type}`).join(', '), details: diff },
        ),
      };
    }
    case 'distribution': {
      const c = col(check.column, 'column');
      const x = ident(c.name);
      if (check.metric === 'mean' && !NUMERIC.test(c.type))
        throw paramError(nodeId, `${at}.column`, `check '${check.name}' in node '${nodeId}' takes the mean of column '${c.name}', which is ${c.type}`, 'use a numeric column, or metric null_rate', c.name);
      const observed = check.metric === 'null_rate' ? `CAST(count(*) FILTER (WHERE ${x} IS NULL) AS DOUBLE) / nullif(count(*), 0)` : `CAST(${meanSql(x, c.type)} AS DOUBLE)`;
      return {
        check,
        planned: planned([c.name], `${check.metric} within ${check.max_sigma}σ of previous runs`, {
          kind: 'distribution',
          metric: check.metric,
          maxSigma: check.max_sigma,
          minHistory: check.min_history,
          window: check.window,
        }),
        observed,
      };
    }
  }
}

/** Text bounds that write a number, a date (or timestamp) or a time: what they are, in words. */
function boundKind(v: string): 'number' | 'date' | 'time' | undefined {
  if (/^\s*[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?\s*$/i.test(v)) return 'number';
  if (/^\s*[+-]?\d{1,6}-\d{1,2}-\d{1,2}(?:$|[\sT])/.test(v)) return 'date';
  if (/^\s*\d{1,2}:\d{2}(:\d{2}(\.\d*)?)?\s*$/.test(v)) return 'time';
  return undefined;
}

/**
 * A text column compares with text bounds character by character: '1000000' is between "0" and
 * "2", '5' is above "100", '2024-9-01' is above "2024-12-31" and '2024-1-99' between "2024-01-01"
 * and "2024-12-31". A range of words (names from "A" to "M") means that; bounds written as
 * numbers, dates or times do not, so they are refused before the run (like a JSON number on a
 * text column), saying how to convert the column. Comparing as dates instead would quietly fail
 * '2024-1-15', a date the user wrote.
 */
function refuseTypedTextBounds(nodeId: string, at: string, check: Extract<Check, { kind: 'between' }>, c: Column): void {
  for (const side of ['min', 'max'] as const) {
    const v = check[side];
    const kind = typeof v === 'string' ? boundKind(v) : undefined;
    if (kind === undefined) continue;
    const why = {
      number: `'1000000' sorts before "2" and '5' after "100"`,
      date: `'2024-9-01' sorts after "2024-12-31", and text that is no date at all can fall in the range`,
      time: `'9:30' sorts after "10:00"`,
    }[kind];
    const onError = `on_error: "reject" or "null" decides what happens to a value that does not convert`;
    const hint = {
      number: `convert the column to a number first (transform.cast, e.g. to DECIMAL(18,2) or DOUBLE; ${onError}), then the bounds compare as numbers`,
      date: `parse the text into dates first (transform.parse_dates with a format such as %Y-%m-%d; ${onError}), then the bounds compare as dates`,
      time: `convert the column to TIME first (transform.cast; ${onError}), then the bounds compare as times`,
    }[kind];
    throw paramError(nodeId, `${at}.${side}`, `check '${check.name}' in node '${nodeId}' compares text column '${c.name}' (${c.type}) with the ${kind} "${String(v)}": text is compared character by character (${why})`, hint, c.name);
  }
}

/**
 * The mean of a column, the same for the same data run after run as far as cheaply possible: avg
 * of integers and decimals sums exactly (HUGEINT), but avg of a FLOAT/DOUBLE adds the threads'
 * partial sums in whatever order they finish, so its last digits wander between runs (measured: 1
 * million doubles, 17 different means in 20 runs). fsum's compensated (Kahan) sum is off by at most
 * about one unit in the last place whatever the order (1 to 3 different means in 20 runs); the
 * judge counts what remains as noise (distribution.ts). An infinity or NaN makes fsum NaN, where
 * avg keeps DuckDB's own answer.
 */
function meanSql(x: string, type: string): string {
  if (!isFloatType(type)) return `avg(${x})`;
  return `CASE WHEN isfinite(fsum(${x})) THEN fsum(${x}) / count(${x}) ELSE avg(${x}) END`;
}

function pickReference(nodeId: string, check: Extract<Check, { kind: 'references' }>, references: Relation[], at: string): Relation {
  if (references.length === 0)
    throw paramError(nodeId, at, `check '${check.name}' in node '${nodeId}' needs the reference data: connect it to the node's 'reference' input`);
  if (check.reference_node) {
    const hit = references.find((r) => r.nodeId === check.reference_node);
    if (!hit)
      throw paramError(nodeId, `${at}.reference_node`, `check '${check.name}' in node '${nodeId}': '${check.reference_node}' is not connected to the 'reference' input`, `connected: ${references.map((r) => r.nodeId).join(', ')}`);
    return hit;
  }
  if (references.length > 1)
    throw paramError(nodeId, `${at}.reference_node`, `check '${check.name}' in node '${nodeId}': several nodes feed 'reference'; say which with reference_node`, `connected: ${references.map((r) => r.nodeId).join(', ')}`);
  return references[0]!;
}

/** A prefix for helper columns that no input column starts with. */
export function helperPrefix(columns: Column[]): string {
  let prefix = '__caudal_q';
  while (columns.some((c) => foldName(c.name).startsWith(prefix))) prefix = `_${prefix}`;
  return prefix;
}

export type { RowCheck };
export { isRowCheck };

/** Column types whose in_set values are converted to the type (the others compare as text). */
function inSetTyped(type: string): boolean {
  return isNumericType(type) || /^\s*BOOLEAN\s*$/i.test(type) || isDateType(type) || isTimeType(type) || isPlainTimestampType(type) || isZonedTimestamp(type);
}

const isZonedTimestamp = (type: string) => /^\s*(TIMESTAMPTZ|TIMESTAMP WITH TIME ZONE)\s*$/i.test(type);

/** Types freshness can compare with the run time. */
function isTemporal(type: string): boolean {
  return isDateType(type) || isPlainTimestampType(type) || isZonedTimestamp(type);
}

const typeExample = (type: string) => (isDateType(type) ? ', e.g. 2024-01-31' : /^TIMESTAMP/i.test(type) ? ', e.g. 2024-01-31 18:00:00' : '');

/**
 * The constants of the compiled checks, checked against the column types before the run (each
 * problem names its check):
 * - text bounds of `between` are converted to the column's type as strictly as text values are:
 *   DuckDB's cast would take `"2024-01-31 18:00"` for a DATE as the date alone (and `"12.5"` for an
 *   INTEGER as 13), moving the bound without a word; once converted, min may not be above max;
 * - `in_set` values meeting a number, boolean, date or time column convert to its type exactly;
 * - a freshness `max_age` must be an interval DuckDB reads.
 */
export async function checkConstants(ctx: CompileContext<unknown>, compiled: CheckSql[], input: Relation): Promise<Problem[]> {
  const problems: Problem[] = [];
  const rows = (sql: string) => ctx.rows(sql);
  // A conversion DuckDB does not implement at all (a number to TIME) fails to bind rather than giving NULL.
  const converts = (v: string | number | boolean, type: string) => constantConverts(rows, v, type).catch(() => false);
  const problem = (i: number, path: string, message: string, hint: string, column?: string) =>
    problems.push({ code: 'invalid_param', path: `params.checks[${i}].${path}`, nodeId: ctx.nodeId, message: `check '${compiled.find((c) => c.planned.index === i)!.check.name}' in node '${ctx.nodeId}': ${message}`, hint, ...(column ? { column } : {}) });
  for (const { check, planned } of compiled) {
    const i = planned.index;
    if (check.kind === 'between') {
      const c = findColumn(ctx.nodeId, input, check.column, `checks[${i}].column`);
      let boundsConvert = true;
      for (const side of ['min', 'max'] as const) {
        const bound = check[side];
        if (typeof bound !== 'string' || /^VARCHAR$/i.test(c.type) || (await converts(bound, c.type))) continue;
        boundsConvert = false;
        problem(i, side, `the ${side === 'min' ? 'minimum' : 'maximum'} "${bound}" is not a valid ${c.type} (or would change converting to it), the type of column '${c.name}'`, `write it as a ${c.type}${typeExample(c.type)}`, c.name);
      }
      // Numbers on both sides are compared without data (checkListProblems).
      if (boundsConvert && check.min !== undefined && check.max !== undefined && (typeof check.min === 'string' || typeof check.max === 'string')) {
        const typed = (v: string | number) => `CAST(${typeof v === 'string' ? stringLiteral(v) : literal(v)} AS ${c.type})`;
        const [row] = await rows(`SELECT ${typed(check.min)} > ${typed(check.max)} AS reversed`);
        if (row?.reversed === true)
          problem(i, 'min', `the minimum ${fmt(check.min)} is greater than the maximum ${fmt(check.max)} as ${c.type} values (column '${c.name}'), so every row would fail`, 'swap min and max', c.name);
      }
    } else if (check.kind === 'in_set') {
      const c = findColumn(ctx.nodeId, input, check.column, `checks[${i}].column`);
      if (!inSetTyped(c.type)) continue;
      for (const [j, v] of check.values.entries()) {
        if (await converts(v, c.type)) continue;
        problem(
          i,
          `values[${j}]`,
          `the value ${fmt(v)} is not a valid ${c.type} (or would change converting to it), the type of column '${c.name}'`,
          `write it as a ${c.type}${typeExample(c.type)}, or remove it: no value of the column can equal it`,
          c.name,
        );
      }
    } else if (check.kind === 'freshness') {
      const age = `TRY_CAST(${stringLiteral(check.max_age)} AS INTERVAL)`;
      const [row] = await rows(`SELECT ${age} IS NOT NULL AS ok, ${age} < INTERVAL 0 SECONDS AS negative`).catch(() => []);
      if (row?.ok !== true) problem(i, 'max_age', `max_age '${check.max_age}' is not an interval`, "write a DuckDB interval, e.g. '24 hours', '2 days' or '90 minutes'", check.column);
      // A negative age would ask for a newest value in the future: the check could only fail.
      else if (row.negative === true) problem(i, 'max_age', `max_age '${check.max_age}' is negative, so only a value later than the run time would pass`, "write how old the newest value may be, e.g. '24 hours' (without a minus sign)", check.column);
    }
  }
  return problems;
}
