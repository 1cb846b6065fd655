import type { HistoryEntry } from './history.js';

export interface DistributionRule {
  metric: 'null_rate' | 'mean';
  maxSigma: number;
  minHistory: number;
  window: number;
}

/**
 * Compares today's value with the mean and standard deviation of the last `window` recorded
 * values. Too little history passes (and says so): an anomaly needs a baseline. A flat history
 * (σ = 0) fails any different value, since any change is infinitely many σ away.
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
  const sigmas = sd === 0 ? (deviation < 1e-12 ? 0 : Infinity) : deviation / sd;
  const passed = sigmas <= rule.maxSigma;
  return {
    passed,
    details: [
      `previous ${past.length} runs: mean ${round(mean)}, standard deviation ${round(sd)}`,
      `today ${round(value)} is ${Number.isFinite(sigmas) ? round(sigmas) : '∞'}σ from the mean (limit ${rule.maxSigma}σ)`,
    ],
  };
}

const round = (v: number) => Number(v.toPrecision(6)).toString();
