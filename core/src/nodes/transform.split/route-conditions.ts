import type { CompileContext, Relation } from '../define.js';
import { tokenize } from '../../compiler/sql.js';
import { CaudalError } from '../../util/errors.js';
import { nonBooleanConditions, NOT_BOOLEAN_HINT } from '../shared/boolean-condition.js';
import { refuseTextNumberComparisons } from '../shared/text-number-comparisons.js';

/**
 * Checks on split conditions that DuckDB itself accepts. Each connected port is its own filter over
 * the input, so every condition is evaluated once per port: a condition must give the same answer
 * each time (random() < 0.5 would send a row to two ports, or to none), and it must be a true/false
 * (DuckDB reads a number as true when it is not 0 and a text 'yes' as true, and stops on other text).
 */

function refuse(nodeId: string, route: number, message: string, hint: string): never {
  const full = `node '${nodeId}': route ${route + 1}${message}`;
  throw new CaudalError('validation', full, { nodeId, hint, problems: [{ code: 'invalid_expression', path: `params.routes[${route}].when`, message: full, hint }] });
}

// error() is volatile to DuckDB but never returns a value, so it cannot send a row anywhere.
const HARMLESS = new Set(['error']);
let volatileNames: Promise<Set<string>> | undefined;

/** DuckDB's own list of functions that may return another value each call (random, uuid, nextval, …). */
function volatileFunctions(ctx: CompileContext<unknown>): Promise<Set<string>> {
  volatileNames ??= ctx
    .rows("SELECT DISTINCT function_name AS name FROM duckdb_functions() WHERE stability = 'VOLATILE'")
    .then((rows) => new Set(rows.map((r) => String(r.name).toLowerCase()).filter((n) => !HARMLESS.has(n))))
    .catch((e: unknown) => {
      volatileNames = undefined;
      throw e;
    });
  return volatileNames;
}

/** The first function called in `sql` (a name followed by `(`) that is in `names`. */
function firstCall(sql: string, names: Set<string>): string | undefined {
  const tokens = tokenize(sql).filter((t) => t.kind !== 'space' && t.kind !== 'comment');
  for (const [i, t] of tokens.entries()) {
    const name = t.kind === 'ident' ? t.text : t.kind === 'quoted' ? t.text.slice(1, -1).replaceAll('""', '"') : undefined;
    if (name !== undefined && tokens[i + 1]?.text === '(' && names.has(name.toLowerCase())) return name;
  }
  return undefined;
}

/** Refuses a condition that calls a volatile function or whose value is not a BOOLEAN. `conds` are the expanded conditions. */
export async function checkRouteConditions(ctx: CompileContext<unknown>, input: Relation, conds: string[]): Promise<void> {
  const volatile = await volatileFunctions(ctx);
  conds.forEach((c, i) => {
    const call = firstCall(c, volatile);
    if (call)
      refuse(
        ctx.nodeId,
        i,
        ` calls ${call}(), which gives another value each time it is evaluated; each connected port evaluates the conditions again, so a row could go to two ports or to none`,
        'route on values of the row instead, e.g. hash(id) % 100 < 50 for a stable half of the rows (a transform.sample before the split takes a random sample)',
      );
  });
  // A bare NULL (a route switched off) passes; it never matches, as documented.
  (await nonBooleanConditions(ctx, input, conds))?.forEach((type, i) => {
    if (type !== undefined) refuse(ctx.nodeId, i, `'s condition gives ${type} values, not true/false`, NOT_BOOLEAN_HINT);
  });
  await refuseTextNumberComparisons(ctx, input, conds.map((sql, i) => ({ sql, path: `routes[${i}].when`, what: `route ${i + 1}'s condition` })));
}
