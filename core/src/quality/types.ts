import type { CheckKind, Severity } from './checks.js';

/** How a check's outcome is decided once the node's aggregate query has run. */
export type Judge =
  /** Failed rows vs evaluated rows, with an optional `mostly` threshold. */
  | { kind: 'rows'; mostly?: number }
  /** The aggregate returns `p_i` (passed) and `o_i` (observed) itself: row count, freshness. */
  | { kind: 'sql' }
  /** Decided while compiling (schema: the columns are known before any row is read). */
  | { kind: 'fixed'; passed: boolean; observed: string; details: string[] }
  /** `o_i` compared with earlier runs' values kept in the state folder. */
  | { kind: 'distribution'; metric: 'null_rate' | 'mean'; maxSigma: number; minHistory: number; window: number };

export interface PlannedCheck {
  index: number;
  name: string;
  kind: CheckKind;
  severity: Severity;
  weight: number;
  description?: string;
  /** Columns the check reads, for messages and the report. */
  columns: string[];
  /** What passing means, in words, e.g. "between 0 and 100". */
  expected: string;
  judge: Judge;
  /**
   * For row checks: a query returning up to N failing rows (input columns only); run only when the
   * check has failing rows.
   */
  samplesSql?: string;
}

/**
 * What a `quality.check` node hands the executor (CompiledNode.quality). `sql` returns one row:
 * `n` (rows), and per check i: `f_i` (failed rows) for row checks, `o_i` / `p_i` for table checks.
 */
export interface QualityPlan {
  sql: string;
  /**
   * What the evaluation queries read. `output`: the node's own main output (the checked rows,
   * passed through): one more reader of it, which the planner counts when it decides whether to
   * materialize the output. `setup`: a table the node's setup filled (quarantine flags).
   */
  reads: 'output' | 'setup';
  /** How the checks are evaluated, in words, for `caudal sql --plan` and run explanations. */
  strategy: string;
  /**
   * The evaluation to use instead when the planner stores the node's output (a temp table or a
   * staged file), where another scan costs little (compiler/materialize.ts applies it).
   */
  whenStored?: { sql: string; strategy: string };
  checks: PlannedCheck[];
  samples: number;
  /** Fail the run when the node's score is below this (percent). */
  minScore?: number;
}

// A type alias, not an interface: it must fit the host contract's loose (index-signature) schema.
export type CheckResult = {
  name: string;
  kind: CheckKind;
  severity: Severity;
  weight: number;
  description?: string;
  columns: string[];
  expected: string;
  passed: boolean;
  rowsEvaluated: number;
  /** Row checks: rows that failed; table checks: null. */
  rowsFailed: number | null;
  /** Share of evaluated rows that failed, in percent (row checks). */
  failedPercent: number | null;
  /** Table checks: the value seen (row count, newest timestamp, null rate, ...). */
  observed?: string;
  /** Extra lines: the schema diff, the history a distribution was judged against. */
  details: string[];
  samples: Record<string, unknown>[];
};

// A type alias, not an interface: it must fit the host contract's loose (index-signature) schema.
export type NodeQualityResult = {
  nodeId: string;
  /** Percent of checks passed, weighted. */
  score: number;
  rows: number;
  checks: CheckResult[];
  /** Rows sent to `rejected` (quarantine checks), when the node has any. */
  rejectedRows?: number;
  evaluatedAt: string;
};

/** The run's quality section (RunSummary.quality and quality.json). */
export interface RunQualitySummary {
  /** Weighted over every check of every quality node in the run. */
  score: number;
  nodes: NodeQualityResult[];
  /** Files written for this run, when any (quality.json, quality.html). */
  artifacts?: { json: string; html: string };
}
