import { planNodeOutput } from '../../engine/inspect.js';
import { transcodeFile } from '../../engine/transcode.js';
import type { Plan } from '../../compiler/plan.js';
import type { Pipeline } from '../../model/schema.js';
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
 * Node types whose run form only reads: files, database tables, and the transforms computed in SQL.
 * An exact profile whose whole upstream is of these types is planned as a run is, and runs their
 * setup steps in their run form, so it reads every row (a database source's preview reads its
 * first 1,000 rows; a converted file's, its first megabytes). Other sources keep their preview
 * form and the profile says it covers only what that reads: a stream's run would consume (and
 * later acknowledge) messages, a CDC source would move its slot, a REST source and HTTP enrichment
 * would call the API for every row.
 */
const WHOLE_READ_SOURCES = new Set(['source.csv', 'source.json', 'source.parquet', 'source.s3', 'source.duckdb', 'source.postgres', 'source.sqlserver']);
const readsWhole = (type: string) => WHOLE_READ_SOURCES.has(type) || type === 'quality.check' || (type.startsWith('transform.') && type !== 'transform.http_enrich');

/** The node and everything upstream of it, with their types. */
function upstreamOf(pipeline: Pipeline, nodeId: string): Array<{ id: string; type: string }> {
  const seen = new Set<string>();
  const stack = [nodeId];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const e of pipeline.edges) if (e.to.slice(0, e.to.indexOf(':')) === id) stack.push(e.from.slice(0, e.from.indexOf(':')));
  }
  return pipeline.nodes.filter((n) => seen.has(n.id)).map((n) => ({ id: n.id, type: n.type }));
}

/** Runs every setup step of a plan made in `run` mode as a run does: full file conversions, hooks (database reads), SQL. */
async function runSetups(plan: Plan, db: Db, isCancelled: () => boolean): Promise<void> {
  // Planning bound every view with its bind-time SQL; a run reads the run-time form where a node has one.
  for (const n of plan.nodes) for (const o of n.outputs) if (o.runSql !== o.sql) await db.run(`CREATE OR REPLACE TEMP VIEW ${o.ref} AS\n${o.runSql}`);
  for (const n of plan.nodes) {
    for (const s of n.compiled?.setup ?? []) {
      if (isCancelled()) throw new CaudalError('cancelled', 'the profile was cancelled');
      if (s.kind === 'transcode') await transcodeFile(s.from, s.to, s.encoding, { isCancelled, nodeId: n.id });
      else if (s.kind === 'hook') await s.run({ db, isCancelled, log: () => {}, progress: () => {} });
      else await db.run(s.sql);
    }
  }
}

/**
 * Words for the part of the input a preview-planned profile covers, '' when it is all of it: the
 * nodes that read only part of theirs (a preview's first rows of a table, a peek at a stream, the
 * head of a converted file, the first page of an API), with the rows they gave.
 */
async function partialInput(plan: Plan, db: Db): Promise<string> {
  const partial = plan.nodes.filter((n) => n.sampled);
  if (partial.length === 0) return '';
  const named: string[] = [];
  for (const n of partial) {
    const out = n.outputs[0];
    const rows = out ? await db.count(`SELECT count(*) FROM ${out.ref}`).catch(() => undefined) : undefined;
    named.push(`'${n.id}' (${n.type}${rows === undefined ? '' : `: ${fmt(rows)} row${rows === 1 ? '' : 's'}`}, and it may have more)`);
  }
  return `only part of the input, the rows a preview reads from ${named.join(', ')}`;
}

/**
 * Profiles one output of a node: plans its upstream (never a sink), materializes the rows to
 * profile (a sample or all of them) into a temp table, then computes per-column statistics there.
 */
export async function profileNode(req: ProfileRequest, db: Db, tempDir: string, hooks: ProfileHooks): Promise<ProfileResult> {
  const t0 = Date.now();
  const opts = { ...PROFILE_DEFAULTS, ...definedOnly(req) };
  const mode = req.mode ?? 'sample';
  const exact = mode === 'exact';
  // An exact profile reads every row where the upstream can be read whole without side effects;
  // else (and for sampled profiles, which answer fast) the upstream is planned as for a preview.
  const notWhole = upstreamOf(req.pipeline, req.nodeId).filter((n) => !readsWhole(n.type));
  const whole = exact && notWhole.length === 0;
  const { plan, port, out } = await planNodeOutput(req, db, tempDir, 'profile', whole ? 'run' : 'preview', () => hooks.isCancelled());
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
  let partial = '';
  const rows = await guard(async () => {
    // Setup steps (e.g. scans that keep rejects) ran dry while planning; run them for real.
    if (whole) await runSetups(plan, db, hooks.isCancelled);
    else {
      for (const n of plan.nodes) for (const s of n.compiled?.setup ?? []) if (s.kind === 'sql') await db.run(s.sql);
      partial = await partialInput(plan, db);
      if (partial && exact) partial += `; an exact profile reads a preview's rows when the input comes from ${notWhole.map((n) => `'${n.id}' (${n.type})`).join(', ')}: streams, change data capture, REST APIs and HTTP enrichment are not read whole`;
    }
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
  // Sampled: the profile chose some of the rows it read, or what it read was already part of the input.
  const chosen = mode !== 'exact' && rows.method !== '' ? rows.method.replace(/^sampled: /, '') : '';
  const sampled = chosen !== '' || partial !== '';
  const method = !sampled ? `all ${fmt(rows.n)} rows` : `sampled: ${[partial, chosen].filter(Boolean).join('; of those, ')}`;

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
