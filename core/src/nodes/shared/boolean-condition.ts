import type { CompileContext, Relation } from '../define.js';

/**
 * DuckDB takes a number (not 0: true) or a text ('yes', 't': true; other text stops the run) as a
 * truth value in a WHERE without a word. The filter and split nodes refuse conditions that are not
 * BOOLEAN, with this hint.
 */
export const NOT_BOOLEAN_HINT = "write a comparison or a test, e.g. amount <> 0 or flag = 'yes' (DuckDB would read a number other than 0, and texts like 'yes' or 't', as true)";

/** A condition that is NULL and nothing else (`NULL`, `(null)`): a condition switched off. DuckDB types it INTEGER. */
export const isBareNull = (condition: string): boolean => /^[\s()]*null[\s()]*$/i.test(condition);

/**
 * For each condition over `input`, its type when it is not BOOLEAN (else undefined). A bare NULL
 * (a condition switched off, which DuckDB types INTEGER) passes. Undefined as a whole when the
 * conditions do not bind (an unknown column, a syntax error): the node's usual checks name that.
 */
export async function nonBooleanConditions(ctx: CompileContext<unknown>, input: Relation, conds: string[]): Promise<Array<string | undefined> | undefined> {
  let types: string[];
  try {
    types = (await ctx.describe(`SELECT ${conds.map((c, i) => `(\n${c}\n) AS c${i}`).join(', ')} FROM ${input.ref}`)).map((c) => c.type);
  } catch {
    return undefined;
  }
  return types.map((type, i) => (type === 'BOOLEAN' || isBareNull(conds[i]!) ? undefined : type));
}
