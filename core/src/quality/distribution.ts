import type { HistoryEntry } from './history.js';

export interface DistributionRule {
  metric: 'null_rate' | 'mean';
  maxSigma: number;
  minHistory: number;
  window: number;
}

/**
 * Differences smaller than this share of the values' magnitude are floating-point noise, not a
 * change: the mean of a float column can move in its last digits between runs of the same data
 * (partial sums added in another order), and the history's own mean and deviation are rounded.
 */
export const NOISE = 1e-9;

/**
 * Compares today's value with the mean and standard deviation of the last `window` recorded
 * values. Too little history passes (and says so): an anomaly needs a baseline. A flat history
 * (σ = 0, up to noise) fails any different value, since any change is infinitely many σ away;
 * a value within noise of the history's mean is 0σ away.
 */
export function judgeDistribution(value: number | null, history: HistoryEntry[], rule: DistributionRule, rows?: number): { passed: boolean; details: string[] } {
  const past = history.map((h) => h.value).filter((v): v is number => v !== null && Number.isFinite(v)).slice(-rule.window);
  // A null rate needs rows, not non-NULL values: with none, say that.
  if (value === null) return { passed: false, details: [`no ${rule.metric} today (${rows === 0 || rule.metric === 'null_rate' ? '0 rows' : 'no non-NULL values'})`] };
  if (past.length < rule.minHistory)
    return { passed: true, details: [`${past.length} previous run${past.length === 1 ? '' : 's'} recorded; judging starts after ${rule.minHistory}`] };
  const mean = past.reduce((s, v) => s + v, 0) / past.length;
  const sd = Math.sqrt(past.reduce((s, v) => s + (v - mean) ** 2, 0) / (past.length - 1));
  const deviation = Math.abs(value - mean);
  // An infinite value is no rounding of anything: it must not widen the noise to infinity.
  const noise = Number.isFinite(value) ? NOISE * Math.max(...past.map(Math.abs), Math.abs(value)) : 0;
  const sigmas = deviation <= noise ? 0 : sd <= noise ? Infinity : deviation / sd;
  const passed = sigmas <= rule.maxSigma;
  // Enough digits that a value and the mean that differ read differently (1000097.45 against 1000097.35, not 1.0001e+6 twice).
  const digits = sigmas === 0 ? 6 : significantDigits(value, mean);
  const shown = (v: number) => round(v, digits);
  return {
    passed,
    details: [
      `previous ${past.length} runs: mean ${shown(mean)}, standard deviation ${sd <= noise ? '0' : round(sd, 6)}`,
      `today ${shown(value)} is ${Number.isFinite(sigmas) ? round(sigmas, 6) : '∞'}σ from the mean (limit ${rule.maxSigma}σ)${deviation > 0 && sigmas === 0 ? ` (a difference below ${NOISE} of the value is rounding noise)` : ''}`,
    ],
  };
}

/** Significant digits that tell `a` from `b` (two more than where they part), 6 to 17. */
function significantDigits(a: number, b: number): number {
  const magnitude = Math.max(Math.abs(a), Math.abs(b));
  const difference = Math.abs(a - b);
  if (difference === 0 || magnitude === 0 || !Number.isFinite(magnitude)) return 6;
  return Math.min(17, Math.max(6, Math.ceil(Math.log10(magnitude / difference)) + 2));
}

/** `v` to `digits` significant digits, and never fewer than its whole part and two decimals (1000097.35, not 1000100). */
function round(v: number, digits: number): string {
  if (!Number.isFinite(v)) return String(v);
  const whole = Math.abs(v) >= 1 ? Math.floor(Math.log10(Math.abs(v))) + 1 : 0;
  return Number(v.toPrecision(Math.min(17, Math.max(digits, whole + 2)))).toString();
}
