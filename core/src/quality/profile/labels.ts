import type { ColumnProfile } from './types.js';

/** Words shared by the CLI and the HTML report: an estimate says so, with its expected error. */
export function distinctLabel(c: Pick<ColumnProfile, 'distinct' | 'distinctExact' | 'distinctError'>): string {
  const n = c.distinct.toLocaleString('en-US');
  if (c.distinctExact) return n;
  return `≈${n} (estimate${c.distinctError ? `, ±${Math.round(c.distinctError * 100)}%` : ''})`;
}

export const ESTIMATED_TOP = 'estimated candidates';
