import type { Db } from '../compiler/db.js';
import type { CheckResult, NodeQualityResult, PlannedCheck, QualityPlan } from './types.js';
import { ownEntry, type HistoryByCheck } from './history.js';
import { judgeDistribution } from './distribution.js';
import { shortenSample } from './shorten.js';

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

export interface EvaluateOptions {
  /** Earlier values of distribution checks, by check name (oldest first). */
  history: HistoryByCheck;
  isCancelled(): boolean;
}

/**
 * Runs a node's quality aggregate (one query for every check), judges each check, and fetches
 * sample failing rows for the row checks that failed.
 */
export async function evaluateQuality(nodeId: string, plan: QualityPlan, db: Db, opts: EvaluateOptions): Promise<NodeQualityResult> {
  const [row = {}] = await db.rows(plan.sql);
  const n = num(row.n);
  const checks: CheckResult[] = [];
  for (const c of plan.checks) {
    if (opts.isCancelled()) break;
    checks.push(await judge(c, row, n, plan, db, opts));
  }
  return {
    nodeId,
    score: score(checks),
    rows: n,
    checks,
    ...(row.rejected !== undefined ? { rejectedRows: num(row.rejected) } : {}),
    evaluatedAt: new Date().toISOString(),
  };
}

async function judge(c: PlannedCheck, row: Record<string, unknown>, n: number, plan: QualityPlan, db: Db, opts: EvaluateOptions): Promise<CheckResult> {
  const base = {
    name: c.name,
    kind: c.kind,
    severity: c.severity,
    weight: c.weight,
    ...(c.description ? { description: c.description } : {}),
    columns: c.columns,
    expected: c.expected,
    rowsEvaluated: n,
  };
  const j = c.judge;
  switch (j.kind) {
    case 'rows': {
      const failed = num(row[`f_${c.index}`]);
      const share = n === 0 ? 0 : failed / n;
      // `mostly` is the share of rows that must pass; without it any failing row fails the check.
      const passed = j.mostly === undefined ? failed === 0 : 1 - share >= j.mostly - 1e-12;
      const samples = failed > 0 && plan.samples > 0 && c.samplesSql ? (await db.rows(c.samplesSql)).map(shortenSample) : [];
      const details = j.mostly === undefined ? [] : [`threshold: at least ${(j.mostly * 100).toFixed(2).replace(/\.?0+$/, '')}% of rows pass`];
      return { ...base, passed, rowsFailed: failed, failedPercent: share * 100, details, samples };
    }
    case 'sql': {
      const observed = row[`o_${c.index}`];
      return { ...base, passed: row[`p_${c.index}`] === true, rowsFailed: null, failedPercent: null, observed: observed === null || observed === undefined ? 'NULL (no values)' : String(observed), details: [], samples: [] };
    }
    case 'fixed':
      return { ...base, passed: j.passed, rowsFailed: null, failedPercent: null, observed: j.observed, details: j.details, samples: [] };
    case 'distribution': {
      const raw = row[`o_${c.index}`];
      const value = raw === null || raw === undefined ? null : Number(raw);
      const verdict = judgeDistribution(value, ownEntry(opts.history, c.name) ?? [], j, n);
      return { ...base, passed: verdict.passed, rowsFailed: null, failedPercent: null, observed: value === null ? 'NULL (no values)' : String(value), details: verdict.details, samples: [] };
    }
  }
}

/** Weighted share of passed checks, in percent (100 when there are none). */
export function score(checks: Array<{ passed: boolean; weight: number }>): number {
  const total = checks.reduce((s, c) => s + c.weight, 0);
  if (total === 0) return 100;
  return (100 * checks.reduce((s, c) => s + (c.passed ? c.weight : 0), 0)) / total;
}
