import type { CheckResult } from './types.js';

const pct = (v: number) => (v === 0 ? '0%' : v < 0.01 ? '<0.01%' : `${v.toFixed(2).replace(/\.?0+$/, '')}%`);

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
