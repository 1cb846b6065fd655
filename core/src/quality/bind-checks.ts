import type { Column, CompileContext, Relation } from '../nodes/define.js';
import { cleanDuckDbMessage } from '../compiler/duckdb-errors.js';
import { identList } from '../compiler/sql.js';
import { errorMessage, isDuckDbError, type Problem } from '../util/errors.js';
import { didYouMean } from '../util/suggest.js';
import type { CheckSql } from './compile-checks.js';
import { textComparedWithNumber } from '../nodes/shared/text-number-comparisons.js';

/** The param a binding problem points at: the predicate of an expression check, else the check. */
function fieldOf(c: CheckSql): string {
  const i = c.planned.index;
  return c.check.kind === 'expression' ? `checks[${i}].expression` : `checks[${i}]`;
}

function problemFor(e: unknown, c: CheckSql, nodeId: string, input: Column[]): Problem {
  const raw = errorMessage(e);
  const path = `params.${fieldOf(c)}`;
  const what = `check '${c.check.name}' (${c.check.kind}) in node '${nodeId}'`;
  const unknown = /Referenced column "([^"]+)" not found/.exec(raw) ?? /Referenced column ([^ ]+) not found/.exec(raw);
  if (unknown) {
    const name = unknown[1]!;
    const names = input.map((x) => x.name);
    return { code: 'unknown_column', path, nodeId, column: name, message: `unknown column '${name}' in ${what}${didYouMean(name, names)}`, hint: `input columns: ${names.join(', ')}` };
  }
  if (c.compared && INCOMPARABLE.test(raw)) return incomparable(c, nodeId);
  if (c.check.kind === 'expression' && NOT_PER_ROW.test(raw))
    return {
      code: 'invalid_expression',
      path,
      nodeId,
      message: `${what}: the predicate is evaluated for each row, so it cannot use aggregate functions (count, sum, avg, ...) or window functions (... OVER (...)) (${cleanDuckDbMessage(raw)})`,
      hint: 'write a condition on one row (amount > 0); for the table as a whole use row_count_between, distribution or freshness, or compute the figure in a transform before this node',
    };
  return { code: /^Parser Error/.test(raw) ? 'invalid_expression' : 'bind_error', path, nodeId, column: c.planned.columns[0], message: `${what}: ${cleanDuckDbMessage(raw)}` };
}

/** DuckDB's refusal to look values of one type up among values of another (the check's `IN (SELECT …)`). */
const INCOMPARABLE = /Cannot compare values of type .+ in IN\/ANY\/ALL clause/;

/**
 * A `references` check between columns DuckDB cannot compare (a DATE and a VARCHAR, a number and
 * text): said in the check's terms, both columns with their types, and which cast would do.
 */
function incomparable(c: CheckSql, nodeId: string): Problem {
  const { column: a, reference: b, referenceNode } = c.compared!;
  const text = (t: string) => t === 'VARCHAR';
  const where = `a transform.cast node between '${referenceNode}' and '${nodeId}'`;
  const hint =
    text(b.type) && !text(a.type)
      ? `give both columns one type first with transform.cast: '${b.name}' to ${a.type} (${where}) to compare values, or '${a.name}' to VARCHAR (before '${nodeId}') to compare the text as written`
      : text(a.type) && !text(b.type)
        ? `give both columns one type first with transform.cast: '${a.name}' to ${b.type} (before '${nodeId}') to compare values, or '${b.name}' to VARCHAR (${where}) to compare the text as written`
        : `give both columns one type first with transform.cast, e.g. '${b.name}' to ${a.type} (${where})`;
  return {
    code: 'invalid_param',
    path: `params.checks[${c.planned.index}].reference_column`,
    nodeId,
    column: a.name,
    message: `check '${c.check.name}' in node '${nodeId}' compares column '${a.name}' (${a.type}) with reference column '${b.name}' (${b.type}) of node '${referenceNode}': values of these types cannot be compared`,
    hint,
  };
}

/** DuckDB's words for an aggregate or a window function where a per-row value is needed. */
const NOT_PER_ROW = /aggregate function|window function|GROUP BY clause|OVER clause|QUALIFY/i;

/**
 * Binds each check's SQL on its own against the input (DESCRIBE reads no rows), in the shape the
 * evaluation runs it (a row check's condition inside `count(*) FILTER (WHERE ...)`), so a mistake
 * names its check and column; a predicate must first be true/false. Returns the problems of every
 * check.
 */
export async function bindChecks(ctx: CompileContext<unknown>, input: Relation, checks: CheckSql[]): Promise<Problem[]> {
  const problems: Problem[] = [];
  for (const c of checks) {
    try {
      // A predicate's type first: wrapped in coalesce(..., false), a number would fail with a less helpful message.
      if (c.predicate !== undefined) {
        const [col] = await ctx.describe(`SELECT (${c.predicate}) AS p FROM ${input.ref}`);
        if (col?.type !== 'BOOLEAN') {
          problems.push({
            code: 'invalid_expression',
            path: `params.${fieldOf(c)}`,
            nodeId: ctx.nodeId,
            message: `check '${c.check.name}' in node '${ctx.nodeId}': the predicate gives ${col?.type}, not true or false`,
            hint: 'compare the value, e.g. quantity > 0',
          });
          continue;
        }
        const mixed = c.check.kind === 'expression' ? await textComparedWithNumber(ctx, input, c.predicate) : undefined;
        if (mixed) {
          problems.push({
            code: 'invalid_expression',
            path: `params.${fieldOf(c)}`,
            nodeId: ctx.nodeId,
            column: mixed.column,
            message: `check '${c.check.name}' in node '${ctx.nodeId}': the predicate compares ${mixed.text} with ${mixed.other}: DuckDB would convert every text to a number to compare, so '7.4', ' 7' and '007' would equal 7, and a text that is not a number would stop the run`,
            hint: mixed.hint,
          });
          continue;
        }
      }
      // A row check's condition is counted by an aggregate and, for quarantine, kept as a column of
      // every row: an aggregate or a window function in it cannot bind in either place.
      const exprs = [c.ok === undefined ? undefined : `count(*) FILTER (WHERE NOT (${c.ok}))`, c.observed, c.passed].filter((x): x is string => x !== undefined);
      if (exprs.length > 0) await ctx.describe(`SELECT ${exprs.map((x, k) => `(${x}) AS "${k}"`).join(', ')} FROM ${input.ref}`);
      // A key must be groupable (and comparable, for quarantine's IN): the same statement shape, bound without data.
      if (c.unique) await ctx.describe(`SELECT count(*) FROM ${input.ref} GROUP BY ${identList(c.unique)}`);
    } catch (e) {
      // Only DuckDB's own refusals are this check's binding problems; the planner's (user SQL that
      // reads outside the pipeline, already reported) stop the node.
      if (!isDuckDbError(e)) throw e;
      problems.push(problemFor(e, c, ctx.nodeId, input.columns));
    }
  }
  return problems;
}
