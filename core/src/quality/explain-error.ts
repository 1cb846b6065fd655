import type { ExplainIo } from '../nodes/define.js';
import type { CheckSql } from './compile-checks.js';

/** Errors about a value (the executor's DATA_ERROR): only those can come from one check's SQL. */
const VALUE_ERROR = /^(Conversion Error|Invalid Input Error|Out of Range Error|Overflow|Arithmetic|Invalid Error)/;

/** DuckDB names a conversion's target by its physical type (`to INT32`): the SQL names users write. */
const PHYSICAL_NAMES: Record<string, string> = {
  INT8: 'TINYINT',
  INT16: 'SMALLINT',
  INT32: 'INTEGER',
  INT64: 'BIGINT',
  INT128: 'HUGEINT',
  UINT8: 'UTINYINT',
  UINT16: 'USMALLINT',
  UINT32: 'UINTEGER',
  UINT64: 'UBIGINT',
  UINT128: 'UHUGEINT',
  BOOL: 'BOOLEAN',
};

/** The SQL name of the type a conversion error names by its physical name (`to INT32`: INTEGER), with that name. */
function physicalType(message: string): { physical: string; sql: string } | undefined {
  const name = /\bto (U?INT\d+|BOOL)\b/.exec(message)?.[1];
  const sql = name ? PHYSICAL_NAMES[name] : undefined;
  return name && sql ? { physical: name, sql } : undefined;
}

/** How a check is named in the explanation: an expression check by its predicate. */
function words(c: CheckSql): string {
  if (c.check.kind === 'expression') return `check '${c.check.name}' (expression: ${c.check.expression.trim()})`;
  const cols = c.planned.columns;
  return `check '${c.check.name}' (${c.check.kind}${cols.length === 1 ? `, column '${cols[0]}'` : ''})`;
}

/**
 * A value error while the checks ran (the aggregate that counts them, or the quarantine table that
 * flags every row) names no check: the node's checks are evaluated in one statement. On that error
 * path only, each check is evaluated alone over the node's input to name the ones that fail; when
 * the input fails by itself, an upstream node is to blame and this says nothing.
 */
export async function explainCheckError(message: string, checks: CheckSql[], input: string, io: ExplainIo): Promise<string | undefined> {
  if (!VALUE_ERROR.test(message)) return undefined;
  const stop = () => Date.now() > io.deadline || io.isCancelled();
  if (stop() || (await io.fails(`SELECT max(hash(COLUMNS(*))) FROM ${input}`))) return undefined;
  const failing: CheckSql[] = [];
  for (const c of checks) {
    if (stop()) break;
    const exprs = [c.ok === undefined ? undefined : `count(*) FILTER (WHERE NOT (${c.ok}))`, c.observed, c.passed].filter((x): x is string => x !== undefined);
    if (exprs.length === 0) continue;
    if (await io.fails(`SELECT ${exprs.map((x, k) => `(${x}) AS "${k}"`).join(', ')} FROM ${input}`)) failing.push(c);
  }
  if (failing.length === 0) return undefined;
  const who = failing.length === 1 ? `${words(failing[0]!)} fails` : `${failing.map(words).join(' and ')} fail`;
  const type = physicalType(message);
  const fix = /^Conversion Error/.test(message)
    ? `. Use TRY_CAST(... AS ${type?.sql ?? 'type'}), which gives NULL for a value that does not convert: the row then fails the check instead of stopping the run`
    : ': change the check so that every value of the input can be evaluated';
  return `${who} on a value of the input${type ? `; DuckDB's ${type.physical} is ${type.sql}` : ''}${fix}`;
}
