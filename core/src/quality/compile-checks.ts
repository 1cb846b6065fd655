import type { Column, CompileContext, Relation } from '../nodes/define.js';
import { findColumn, paramError } from '../nodes/shared/columns.js';
import { ident, literal, stringLiteral } from '../compiler/sql.js';
import { isRowCheck, type Check, type RowCheck } from './checks.js';
import type { Judge, PlannedCheck } from './types.js';
import { schemaDiff } from './schema-diff.js';
import { constantConverts } from '../nodes/shared/typed-constant.js';
import { comparedAsFloat, conversionCheck } from '../nodes/shared/exact-widening.js';

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
}

const fmt = (v: string | number | boolean) => (typeof v === 'string' ? `'${v}'` : String(v));

/** Words for a range: "between 1 and 5", "at least 1", "at most 5". */
function rangeText(min: unknown, max: unknown, unit = ''): string {
  const f = (v: unknown) => (typeof v === 'string' ? v : `${String(v)}${unit}`);
  if (min !== undefined && max !== undefined) return `between ${f(min)} and ${f(max)}`;
  return min !== undefined ? `at least ${f(min)}` : `at most ${f(max)}`;
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
export function compileChecks({ ctx, checks, input, references }: CompileChecksInput): CheckSql[] {
  const nodeId = ctx.nodeId;
  return checks.map((check, i) => {
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
        const cs = check.columns.map((n, j) => col(n, `columns[${j}]`).name);
        const expected = cs.length === 1 ? 'unique values' : `unique combinations of ${cs.join(', ')}`;
        return { check, planned: planned(cs, expected, { kind: 'rows', ...(check.mostly !== undefined ? { mostly: check.mostly } : {}) }), unique: cs };
      }
      case 'between': {
        const c = col(check.column, 'column');
        if ((typeof check.min === 'number' || typeof check.max === 'number') && !NUMERIC.test(c.type))
          throw paramError(nodeId, `${at}.column`, `check '${check.name}' in node '${nodeId}' compares column '${c.name}' (${c.type}) with a number`, 'cast the column to a number first (transform.cast), or give the bounds as text for dates', c.name);
        const bound = (v: string | number | undefined) => (v === undefined ? undefined : typeof v === 'number' ? literal(v) : `CAST(${stringLiteral(v)} AS ${c.type})`);
        const x = ident(c.name);
        return rows([c.name], rangeText(check.min, check.max), `${x} IS NULL OR (${rangeSql(x, bound(check.min), bound(check.max))})`);
      }
      case 'in_set': {
        const c = col(check.column, 'column');
        const x = ident(c.name);
        const allNumbers = check.values.every((v) => typeof v === 'number');
        const allBooleans = check.values.every((v) => typeof v === 'boolean');
        // Mixed or text values compare as text, so '1' matches an integer 1 rather than failing to convert.
        const list = allNumbers || allBooleans ? check.values.map((v) => literal(v)).join(', ') : check.values.map((v) => stringLiteral(String(v))).join(', ');
        const lhs = allNumbers || allBooleans ? x : `CAST(${x} AS VARCHAR)`;
        return rows([c.name], `one of ${check.values.map(fmt).join(', ')}`, `${x} IS NULL OR ${lhs} IN (${list})`);
      }
      case 'matches_regex': {
        const c = col(check.column, 'column');
        const x = ident(c.name);
        return rows([c.name], `matches /${check.pattern}/`, `${x} IS NULL OR regexp_full_match(CAST(${x} AS VARCHAR), ${stringLiteral(check.pattern)})`);
      }
      case 'length_between': {
        const c = col(check.column, 'column');
        const x = ident(c.name);
        const len = `length(CAST(${x} AS VARCHAR))`;
        const lit = (v: number | undefined) => (v === undefined ? undefined : literal(v));
        return rows([c.name], `length ${rangeText(check.min, check.max, ' characters')}`, `${x} IS NULL OR (${rangeSql(len, lit(check.min), lit(check.max))})`);
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
        return rows([c.name], `exists in ${ref.nodeId}.${rc.name}`, `${x} IS NULL OR (${x} IN (SELECT ${ident(rc.name)} FROM ${ref.ref}${theirs})${own})`);
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
        const observed = check.metric === 'null_rate' ? `CAST(count(*) FILTER (WHERE ${x} IS NULL) AS DOUBLE) / nullif(count(*), 0)` : `CAST(avg(${x}) AS DOUBLE)`;
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
  });
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
  while (columns.some((c) => c.name.toLowerCase().startsWith(prefix))) prefix = `_${prefix}`;
  return prefix;
}

export type { RowCheck };
export { isRowCheck };

/**
 * Text bounds of `between` checks are converted to the column's type as strictly as text values
 * are: DuckDB's cast would take `"2024-01-31 18:00"` for a DATE as the date alone (and `"12.5"` for
 * an INTEGER as 13), moving the bound without a word. Such a bound is refused before the run.
 */
export async function checkTextBounds(ctx: CompileContext<unknown>, checks: Check[], input: Relation): Promise<void> {
  for (const [i, check] of checks.entries()) {
    if (check.kind !== 'between') continue;
    const c = findColumn(ctx.nodeId, input, check.column, `checks[${i}].column`);
    if (c.type === 'VARCHAR') continue;
    for (const side of ['min', 'max'] as const) {
      const bound = check[side];
      if (typeof bound !== 'string' || (await constantConverts((sql) => ctx.rows(sql), bound, c.type))) continue;
      throw paramError(
        ctx.nodeId,
        `checks[${i}].${side}`,
        `check '${check.name}' in node '${ctx.nodeId}': the ${side === 'min' ? 'minimum' : 'maximum'} "${bound}" is not a valid ${c.type} (or would change converting to it), the type of column '${c.name}'`,
        `write it as a ${c.type}${/^DATE$/i.test(c.type) ? ', e.g. 2024-01-31' : /^TIMESTAMP/i.test(c.type) ? ', e.g. 2024-01-31 18:00:00' : ''}`,
        c.name,
      );
    }
  }
}
