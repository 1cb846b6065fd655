import { ident } from '../../compiler/sql.js';
import { CaudalError } from '../../util/errors.js';
import type { ExplainIo } from '../define.js';

type ValueColumn = { name: string; function: string; column?: string };

/** The aggregate a running_/moving_ function applies to its column; undefined for the others. */
function aggregateOf(fn: string): string | undefined {
  const m = /^(?:running|moving)_(sum|avg|min|max)$/.exec(fn);
  return m?.[1];
}

/**
 * Refuses a window column whose function cannot take its column's type (a sum of a VARCHAR), before
 * the run, naming the window column and the input column: DuckDB's own binder error names only the
 * function and the type, which does not say which of several window columns is wrong. The types each
 * aggregate takes are DuckDB's to decide (avg takes an INTERVAL, sum a BOOLEAN), so the aggregates are
 * bound against the input rather than matched against a list. All are bound in one query; only when
 * that fails is each bound alone, to find the culprit. Unknown columns are left to the compiler's
 * own report, which suggests the closest name.
 */
export async function refuseUnfitValueColumns(
  nodeId: string,
  inputRef: string,
  columns: ValueColumn[],
  typeOf: (name: string) => string | undefined,
  rows: (sql: string) => Promise<unknown>,
): Promise<void> {
  const probes = columns.flatMap((c, i) => {
    const agg = aggregateOf(c.function);
    const type = c.column === undefined ? undefined : typeOf(c.column);
    return agg && c.column !== undefined && type ? [{ i, c, agg, column: c.column, type, sql: `${agg}(${ident(c.column)})` }] : [];
  });
  if (probes.length === 0) return;
  const binds = (sql: string) =>
    rows(`DESCRIBE SELECT ${sql} FROM ${inputRef}`).then(
      () => undefined,
      (e: unknown) => (e instanceof Error ? e.message : String(e)),
    );
  if ((await binds(probes.map((p) => p.sql).join(', '))) === undefined) return;
  for (const p of probes) {
    if ((await binds(p.sql)) === undefined) continue;
    const message = `node '${nodeId}': ${p.c.function} '${p.c.name}' cannot use column '${p.column}' (${p.type}): there is no ${p.agg} of a ${p.type}`;
    throw new CaudalError('validation', message, {
      nodeId,
      problems: [{ code: 'invalid_param', path: `params.columns[${p.i}].column`, message, hint: 'choose a column of numbers, or convert this one first (a Cast node)' }],
    });
  }
}

/** A window column that reads an input column, with its SQL (`sum("v") OVER (…)`). */
export interface ValueWindow {
  name: string;
  fn: string;
  column: string;
  sql: string;
}

/**
 * A value error during the run ("Overflow in HUGEINT addition" from a running_sum) names neither
 * the window column nor the input column, and the engine cannot find the column: reading any
 * output column computes every window. Each window column is computed alone over the input
 * (`input`: its relation), and the first that fails is named.
 */
export async function explainValueWindowError(message: string, windows: ValueWindow[], input: string, io: ExplainIo): Promise<string | undefined> {
  for (const w of windows) {
    if (Date.now() > io.deadline || io.isCancelled()) return undefined;
    if (!(await io.fails(`SELECT max(hash(w)) FROM (SELECT ${w.sql} AS w FROM ${input})`))) continue;
    const overflow = /Overflow in HUGEINT addition/i.test(message);
    const why = overflow ? ' overflows: the total is past what HUGEINT (128 bits) holds' : ' fails on the input';
    const fix = overflow ? `; convert '${w.column}' to DOUBLE first (a Cast node) if an approximate total will do` : '';
    return `window column '${w.name}' (${w.fn} of column '${w.column}')${why}${fix}`;
  }
  return undefined;
}
