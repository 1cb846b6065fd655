import { planPipeline, planSteps, type Plan, type PlannedOutput } from '../compiler/plan.js';
import { cleanDuckDbMessage } from '../compiler/duckdb-errors.js';
import { literal } from '../compiler/sql.js';
import { CaudalError, errorMessage, validationError } from '../util/errors.js';
import type { Db } from '../compiler/db.js';
import { describeSink } from './commit/describe.js';
import { nodeStateStore } from './state.js';
import { needsSampling, sampleSources } from './preview-sampling.js';
import { explainValueError } from './explain-error.js';
import type { InspectRequest, InspectResult, PipelineRequest, PreviewRequest, PreviewResult } from './protocol.js';
import { shortestFloat32 } from '../util/float32.js';

/** Time a preview's error may spend finding where a bad value is (a preview should answer fast). */
const EXPLAIN_BUDGET_MS = 5_000;

/** Validates against the data's schemas and reports each node's SQL and output columns. */
export async function inspectPipeline(req: InspectRequest, db: Db, tempDir: string): Promise<InspectResult> {
  const plan = await planPipeline(req.pipeline, db, { mode: 'plan', baseDir: req.baseDir, params: req.params ?? {}, tempDir, runId: 'inspect', targets: req.nodeIds, connections: req.connections, state: nodeStateStore(req.stateDir, req.baseDir) });
  return {
    problems: plan.problems,
    warnings: plan.warnings,
    plan: planSteps(plan.nodes),
    nodes: plan.nodes.map((n) => ({
      nodeId: n.id,
      nodeType: n.type,
      outputs: n.outputs.map((o) => ({ port: o.port, columns: o.columns, sql: o.runSql })),
      setup: (n.compiled?.setup ?? []).map((s) => (s.kind === 'sql' ? s.sql : `-- ${s.description}`)),
      // A block comment, so scripts that add ';' to each statement (export, `caudal sql`) stay valid.
      after: n.compiled?.quality ? [`/* quality checks, evaluated after the node */\n${n.compiled.quality.sql}`] : [],
      sink: n.sink && { target: n.sink.target, ...describeSink(n.sink) },
    })),
  };
}

export const DEFAULT_PREVIEW_LIMIT = 100;

/**
 * Plans only what one node's output depends on (never a sink), for a preview or a profile, and
 * finds that output; errors say what to pick instead. `mode` is `preview` (sources read their
 * preview form: the first rows of a database table, a peek at a stream), or `run` for an exact
 * profile whose upstream only reads (files, database tables, transforms: see profile-node.ts), so
 * that its setup steps, run in their run form, read every row.
 */
export async function planNodeOutput(
  req: PipelineRequest & { nodeId: string; port?: string },
  db: Db,
  tempDir: string,
  purpose: 'preview' | 'profile',
  mode: 'preview' | 'run' = 'preview',
  isCancelled?: () => boolean,
): Promise<{ plan: Plan; port: string; out: PlannedOutput }> {
  // The cancel reaches nodes that wait on servers while planning (a REST API's first page).
  const plan = await planPipeline(req.pipeline, db, { mode, baseDir: req.baseDir, params: req.params ?? {}, tempDir, runId: purpose, targets: [req.nodeId], connections: req.connections, state: nodeStateStore(req.stateDir, req.baseDir), isCancelled });
  if (plan.problems.length > 0) throw validationError(plan.problems);
  const node = plan.nodes.find((n) => n.id === req.nodeId);
  if (!node) throw new CaudalError('usage', `no node '${req.nodeId}' in the pipeline`);
  if (node.sink) throw new CaudalError('usage', `'${req.nodeId}' is a sink and has no output to ${purpose}; ${purpose} the node that feeds it`, { nodeId: req.nodeId });
  const port = req.port ?? node.outputs[0]?.port ?? 'out';
  const out = node.outputs.find((o) => o.port === port);
  if (!out) throw new CaudalError('usage', `node '${req.nodeId}' has no output port '${port}' (ports: ${node.outputs.map((o) => o.port).join(', ')})`, { nodeId: req.nodeId });
  return { plan, port, out };
}

/** Rows of one node's output. Plans only the node's upstream and never runs a sink. */
export async function previewNode(req: PreviewRequest, db: Db, tempDir: string, isCancelled: () => boolean): Promise<PreviewResult> {
  const t0 = Date.now();
  const { plan, port, out } = await planNodeOutput(req, db, tempDir, 'preview', 'preview', isCancelled);
  // Setup steps that materialize (e.g. scans with rejects) ran in their dry form while planning;
  // run them on the preview's upstream so reject ports show real rows (over the head of the data
  // when the step has a preview form), and the hooks that read what they scanned after them.
  let sampled = plan.nodes.some((n) => n.sampled);
  for (const n of plan.nodes) {
    for (const s of n.compiled?.setup ?? []) {
      if (s.kind === 'hook' && s.rerunInPreview) await s.dry({ db, isCancelled, log: () => {}, progress: () => {} });
      if (s.kind !== 'sql') continue;
      if (!s.preview) await db.run(s.sql);
      else if ((await db.count(s.preview.sql)) >= s.preview.rows) sampled = true;
    }
  }
  const limit = req.limit ?? DEFAULT_PREVIEW_LIMIT;
  const query = `SELECT * FROM ${out.ref} LIMIT ${literal(limit)}`;
  let rows: Record<string, unknown>[];
  try {
    // A step that reads everything (GROUP BY, ORDER BY, window) would scan whole sources: sample them.
    if (await needsSampling(db, query)) sampled = (await sampleSources(db, plan)) || sampled;
    rows = await db.rows(query);
    // FLOAT values shown as the FLOAT they are (0.1), not the double that holds it exactly.
    for (const c of out.columns.filter((x) => x.type === 'FLOAT'))
      for (const row of rows) if (typeof row[c.name] === 'number') row[c.name] = shortestFloat32(row[c.name] as number);
  } catch (e) {
    if (isCancelled()) throw new CaudalError('cancelled', 'the preview was cancelled');
    const more = await explainValueError(errorMessage(e), plan.nodes, Date.now() + EXPLAIN_BUDGET_MS, isCancelled, db);
    throw new CaudalError('execution', `preview of node '${req.nodeId}' failed: ${cleanDuckDbMessage(errorMessage(e))}${more ? ` (${more})` : ''}`, { nodeId: req.nodeId });
  }
  return {
    nodeId: req.nodeId,
    port,
    columns: out.columns,
    rows,
    sampled,
    elapsedMs: Date.now() - t0,
    sql: out.sql,
  };
}
