import type { Plan, PlannedNode } from '../compiler/plan.js';
import { literal } from '../compiler/sql.js';
import type { Db } from '../compiler/db.js';

/** Rows each source contributes when a preview has to sample. */
export const PREVIEW_SOURCE_ROWS = 20_000;

/**
 * Physical operators that read their whole input before the first row comes out. A preview whose
 * query contains one would scan every source in full, so it samples them instead. Joins are left
 * out: their build side is usually the small input, and the probe side streams.
 */
const BLOCKING = /\b(HASH_GROUP_BY|PERFECT_HASH_GROUP_BY|UNGROUPED_AGGREGATE|ORDER_BY|TOP_N|WINDOW|PIVOT|DISTINCT)\b/;

/** True when DuckDB's plan for the preview query has a step that must read all of its input. */
export async function needsSampling(db: Db, query: string): Promise<boolean> {
  const rows = await db.rows(`EXPLAIN ${query}`);
  return rows.some((r) => BLOCKING.test(String(r.explain_value ?? '')));
}

/**
 * Points every source of the plan at its first `rows` rows (views are bound late, so everything
 * downstream reads the sample). Returns whether any source really had more rows than that.
 */
export async function sampleSources(db: Db, plan: Plan, rows = PREVIEW_SOURCE_ROWS): Promise<boolean> {
  let truncated = false;
  for (const node of plan.nodes.filter((n: PlannedNode) => n.def.category === 'source')) {
    for (const o of node.outputs) {
      await db.run(`CREATE OR REPLACE TEMP VIEW ${o.ref} AS\nSELECT * FROM (\n${o.sql}\n) LIMIT ${literal(rows)}`);
      const [c] = await db.rows(`SELECT count(*) AS n FROM ${o.ref}`);
      if (Number(c?.n) >= rows) truncated = true;
    }
  }
  return truncated;
}
