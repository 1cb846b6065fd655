import type { CheckResult } from './types.js';

/**
 * A share in percent, to two decimals; never rounded onto 0% or 100% when it is not exactly that:
 * a failing check with 99.999% passing shows ">99.99% pass", not "100% pass" next to FAIL.
 */
const pct = (v: number) => {
  if (v <= 0) return '0%';
  if (v >= 100) return '100%';
  if (v < 0.01) return '<0.01%';
  if (v > 99.99) return '>99.99%';
  return `${v.toFixed(2).replace(/\.?0+$/, '')}%`;
};

/** "'amount in range' (between, column 'amount'): 12 of 1,000 rows failed (1.2%), expected between 0 and 100". */
export function describeFailure(c: CheckResult): string {
  const cols = c.columns.length === 0 ? '' : c.columns.length === 1 ? `, column '${c.columns[0]}'` : `, columns ${c.columns.map((x) => `'${x}'`).join(', ')}`;
  const head = `'${c.name}' (${c.kind}${cols})`;
  if (c.rowsFailed !== null) {
    return `${head}: ${c.rowsFailed.toLocaleString('en-US')} of ${c.rowsEvaluated.toLocaleString('en-US')} rows failed (${pct(c.failedPercent ?? 0)}), expected ${c.expected}${c.details.length ? `; ${c.details.join('; ')}` : ''}`;
  }
  return `${head}: expected ${c.expected}${c.observed !== undefined && c.kind !== 'schema' ? `, observed ${c.observed}` : ''}${c.details.length ? `; ${c.details.join('; ')}` : ''}`;
}

export { pct as formatPercent };
