import { planNodeOutput } from '../../engine/inspect.js';
import { cleanDuckDbMessage } from '../../compiler/duckdb-errors.js';
import { ident, literal } from '../../compiler/sql.js';
import type { Db } from '../../compiler/db.js';
import { CaudalError, errorMessage } from '../../util/errors.js';
import { columnStats, statsStepCount } from './column-stats.js';
import type { ProfileRequest, ProfileResult } from './types.js';

export const PROFILE_DEFAULTS = { sampleRows: 20_000, exactDistinctBelow: 100_000, topK: 10, bins: 20 };
const fmtFirst = (n: number) => `sampled: the first ${fmt(n)} rows in read order (reading stopped there; ordered data may not be representative: use a random sample or the exact profile)`;
/** Share of rows a system sample keeps; blocks of 2,048 rows, so DuckDB skips the rest of a Parquet file. */
const SYSTEM_PERCENT = 1;
const MIN_SYSTEM_ROWS = 20 * 2048;

export interface ProfileHooks {
  isCancelled(): boolean;
  /** 0..100 over the whole profile, with what it is doing. */
  progress(percent: number, step: string): void;
}

const fmt = (n: number) => n.toLocaleString('en-US');

/**
 * Profiles one output of a node: plans its upstream (never a sink), materializes the rows to
 * profile (a sample or all of them) into a temp table, then computes per-column statistics there.
 */
export async function profileNode(req: ProfileRequest, db: Db, tempDir: string, hooks: ProfileHooks): Promise<ProfileResult> {
  const t0 = Date.now();
  const opts = { ...PROFILE_DEFAULTS, ...definedOnly(req) };
  const mode = req.mode ?? 'sample';
  const { plan, port, out } = await planNodeOutput(req, db, tempDir, 'profile');

  const exact = mode === 'exact';
  // Reading the rows, then the statistics' steps.
  const steps = 1 + statsStepCount(out.columns.length, exact);
  let done = 0;
  const step = (label: string) => hooks.progress((100 * done++) / steps, label);
  const table = ident('_caudal_profile_rows');
  const read = ident('_caudal_profile_read');
  const guard = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      const r = await fn();
      if (hooks.isCancelled()) throw new CaudalError('cancelled', 'the profile was cancelled');
      return r;
    } catch (e) {
      if (hooks.isCancelled()) throw new CaudalError('cancelled', 'the profile was cancelled');
      if (e instanceof CaudalError) throw e;
      throw new CaudalError('execution', `profile of node '${req.nodeId}' failed: ${cleanDuckDbMessage(errorMessage(e))}`, { nodeId: req.nodeId });
    }
  };

  step(mode === 'exact' ? 'reading every row' : 'sampling');
  const rows = await guard(async () => {
    // Setup steps (e.g. scans that keep rejects) ran dry while planning; run them for real.
    for (const n of plan.nodes) for (const s of n.compiled?.setup ?? []) if (s.kind === 'sql') await db.run(s.sql);
    if (mode === 'exact') return { n: await db.count(`CREATE TEMP TABLE ${table} AS SELECT * FROM ${out.ref}`), method: '' };
    if (req.sampleMethod === 'random') return sample(db, table, out.ref, opts.sampleRows);
    const n = await db.count(`CREATE TEMP TABLE ${read} AS SELECT * FROM ${out.ref} LIMIT ${literal(opts.sampleRows + 1)}`);
    if (n <= opts.sampleRows) {
      await db.run(`ALTER TABLE ${read} RENAME TO ${table}`);
      return { n, method: '' };
    }
    // One row more than needed told us there is more; keep exactly sampleRows, the first ones in
    // read order (a copy keeps the order). Not DELETE ... WHERE rowid = max(rowid): a column
    // named 'rowid' hides DuckDB's row number, and every row with the largest value went.
    await db.run(`CREATE TEMP TABLE ${table} AS SELECT * FROM ${read} LIMIT ${literal(opts.sampleRows)}`);
    await db.run(`DROP TABLE ${read}`);
    return { n: opts.sampleRows, method: fmtFirst(opts.sampleRows) };
  });
  const sampled = mode !== 'exact' && rows.method !== '';
  const method = sampled ? rows.method : `all ${fmt(rows.n)} rows`;

  const stats = await guard(() => columnStats(db, table, rows.n, out.columns, { ...opts, exact }, { step, isCancelled: hooks.isCancelled }));
  hooks.progress(100, 'done');
  return { nodeId: req.nodeId, port, rows: stats.rows, sampled, method, quantiles: stats.quantiles, elapsedMs: Date.now() - t0, columns: stats.profiles };
}

/**
 * Fills `table` with the rows a sampled profile reads, and says how they were chosen ('' when
 * the output is small enough to be read whole). Cheapest first: a system sample (whole blocks of
 * 2,048 rows, about 1%) skips most of a large Parquet file; when it holds too few rows the output
 * is either small (read it whole) or mid-sized (a uniform reservoir sample over every row).
 */
async function sample(db: Db, table: string, ref: string, target: number): Promise<{ n: number; method: string }> {
  const sys = await db.count(`CREATE TEMP TABLE ${table} AS SELECT * FROM (SELECT * FROM ${ref} USING SAMPLE ${SYSTEM_PERCENT}% (system)) USING SAMPLE reservoir(${literal(target)} ROWS) REPEATABLE (42)`);
  // Enough rows, from enough blocks (20+) that one run of consecutive rows cannot dominate.
  if (sys >= Math.max(target / 4, MIN_SYSTEM_ROWS))
    return { n: sys, method: `sampled: ${fmt(sys)} rows from a system sample of about ${SYSTEM_PERCENT}% of the rows (whole blocks of 2,048 consecutive rows)${sys >= target ? `, reduced to ${fmt(target)} by reservoir sampling` : ''}` };
  const all = await db.count(`CREATE OR REPLACE TEMP TABLE ${table} AS SELECT * FROM ${ref} LIMIT ${literal(target + 1)}`);
  if (all <= target) return { n: all, method: '' };
  const res = await db.count(`CREATE OR REPLACE TEMP TABLE ${table} AS SELECT * FROM ${ref} USING SAMPLE reservoir(${literal(target)} ROWS) REPEATABLE (42)`);
  return { n: res, method: `sampled: ${fmt(res)} rows by reservoir sampling over all rows (uniform)` };
}

function definedOnly(req: ProfileRequest) {
  const out: Partial<typeof PROFILE_DEFAULTS> = {};
  if (req.sampleRows !== undefined) out.sampleRows = req.sampleRows;
  if (req.exactDistinctBelow !== undefined) out.exactDistinctBelow = req.exactDistinctBelow;
  if (req.topK !== undefined) out.topK = req.topK;
  if (req.bins !== undefined) out.bins = req.bins;
  return out;
}
