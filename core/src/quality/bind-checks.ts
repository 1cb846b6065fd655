import type { Column, CompileContext, Relation } from '../nodes/define.js';
import { cleanDuckDbMessage } from '../compiler/duckdb-errors.js';
import { identList } from '../compiler/sql.js';
import { CaudalError, errorMessage, type Problem } from '../util/errors.js';
import { didYouMean } from '../util/suggest.js';
import type { CheckSql } from './compile-checks.js';

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
  return { code: /^Parser Error/.test(raw) ? 'invalid_expression' : 'bind_error', path, nodeId, column: c.planned.columns[0], message: `${what}: ${cleanDuckDbMessage(raw)}` };
}

/**
 * Binds each check's SQL on its own against the input (DESCRIBE reads no rows), so a mistake
 * names its check and column; then checks that a predicate is true/false.
 */
export async function bindChecks(ctx: CompileContext<unknown>, input: Relation, checks: CheckSql[]): Promise<void> {
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
      }
      const exprs = [c.ok, c.observed, c.passed].filter((x): x is string => x !== undefined);
      if (exprs.length > 0) await ctx.describe(`SELECT ${exprs.map((x, k) => `(${x}) AS "${k}"`).join(', ')} FROM ${input.ref}`);
      // A key must be groupable (and comparable, for quarantine's IN): the same statement shape, bound without data.
      if (c.unique) await ctx.describe(`SELECT count(*) FROM ${input.ref} GROUP BY ${identList(c.unique)}`);
    } catch (e) {
      problems.push(problemFor(e, c, ctx.nodeId, input.columns));
    }
  }
  if (problems.length > 0) throw new CaudalError('validation', problems[0]!.message, { nodeId: ctx.nodeId, problems });
}
