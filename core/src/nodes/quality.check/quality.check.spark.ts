import type { SparkForm } from '../define.js';

type Params = { checks: Array<{ kind: string; name: string }> };

/**
 * Spark: the checks' SQL translates as it is and the job judges them like the DuckDB engine (same
 * severities, thresholds, min_score and report). Distribution checks compare with earlier runs'
 * values kept in the local state folder, which a cluster job does not have.
 */
export const qualityCheckSpark: SparkForm<Params> = {
  kind: 'portable',
  notes: 'The job judges the checks like the DuckDB engine and writes quality.json; distribution checks are not available (they need the local history of earlier runs).',
  refuse: (p) =>
    p.checks.flatMap((c, i) =>
      c.kind === 'distribution'
        ? [{ path: `checks[${i}].kind`, message: `check '${c.name}': distribution checks need the history of earlier runs, which the Spark job does not keep`, hint: 'use between or row_count_between on Spark, or run this check on the DuckDB engine' }]
        : [],
    ),
};
