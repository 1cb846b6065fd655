/** The studio's picture of the current run, folded from its engine events (pure: see results.ts for the store). */
import type { HostRunEvent } from '../model/types.js';
import { countBatchEvent, emptyCounters, type LiveCounters } from './live-counters.js';

export type NodeRunStatus = 'queued' | 'running' | 'ok' | 'failed' | 'skipped' | 'cancelled';

export interface NodeRunState {
  status: NodeRunStatus;
  rowsIn?: number | null;
  rowsOut?: number | null;
  elapsedMs?: number;
  percent?: number;
  metrics?: Record<string, number>;
  /** Why the node failed (the run's error, when it names this node). */
  error?: string;
  /** Warnings the run reported about this node (rows set aside, schema drift, …). */
  warnings?: string[];
  /** quality.check nodes: weighted score (percent) and how many checks failed. */
  quality?: { score: number; failed: number; checks: number };
  /** Continuous runs: rows this streaming source read, or this sink wrote, over all committed batches. */
  liveRows?: { rows: number; verb: 'read' | 'written' };
}

export interface ActiveRun {
  runId: string;
  status: 'running' | 'succeeded' | 'failed' | 'cancelled';
  targets: string[];
  nodes: Record<string, NodeRunState>;
  events: HostRunEvent[];
  error?: string;
  /** The error's hint, when the engine gave one. */
  errorHint?: string;
  elapsedMs?: number;
  /** Started with "Run continuously": runs batch after batch until stopped. */
  watch?: boolean;
  /** Stop was pressed: the run finishes its current batch, then ends. */
  stopping?: boolean;
  /** Continuous runs: batches, rows, latency, lag, failures. */
  live?: LiveCounters;
}

/** A long continuous run keeps only its latest events (the full log is in the run's folder). */
export const LIVE_EVENTS_KEPT = 2000;

export function newRun(runId: string, targets: string[], nodeIds: string[], watch = false): ActiveRun {
  return {
    runId,
    status: 'running',
    targets,
    nodes: Object.fromEntries(nodeIds.map((id) => [id, { status: 'queued' as const }])),
    events: [],
    ...(watch ? { watch: true, live: emptyCounters() } : {}),
  };
}

/** What a user calls the run's state: a continuous run is "live" while it runs and "stopped" when Stop ended it. */
export function runStatusLabel(run: Pick<ActiveRun, 'status' | 'watch' | 'stopping'>): string {
  if (run.watch && run.status === 'running') return run.stopping ? 'stopping' : 'live';
  if (run.watch && run.status === 'cancelled' && run.stopping) return 'stopped';
  return run.status;
}

/**
 * The same for a line of run history, which keeps no "continuous" flag: the engine ends a stopped
 * continuous run as cancelled with "stopped after N committed batches; … was finished" (or "… no batch was in
 * progress", stopped while it waited for data: engine/watch.ts).
 */
export function recordStatusLabel(r: { status: string; error?: { kind: string; message: string } }): string {
  // Stopped with a batch under way ("… was finished") or while waiting for data ("… no batch was in progress …").
  return r.status === 'cancelled' && r.error?.kind === 'cancelled' && /^stopped after .*(was finished|no batch was in progress \(it was waiting for new data\))$/.test(r.error.message) ? 'stopped' : r.status;
}

/** The canvas counts of a continuous run: sources show rows read, sinks rows written. */
function withLiveRows(nodes: Record<string, NodeRunState>, live: LiveCounters): Record<string, NodeRunState> {
  const out = { ...nodes };
  for (const [id, rows] of Object.entries(live.readByNode)) out[id] = { status: 'running', ...out[id], liveRows: { rows, verb: 'read' } };
  for (const [id, s] of Object.entries(live.writtenBySink)) out[id] = { status: 'running', ...out[id], liveRows: { rows: s.rows, verb: 'written' } };
  return out;
}

export function reduceRun(run: ActiveRun, e: HostRunEvent, now: number): ActiveRun {
  if (run.runId !== e.runId) return run;
  let nodes = { ...run.nodes };
  let { status, error, errorHint, elapsedMs } = run;
  switch (e.type) {
    case 'node_started':
      // A continuous run starts each node once per batch: the previous batch's counts are not this one's.
      nodes[e.nodeId] = { ...nodes[e.nodeId], status: 'running', percent: undefined, rowsIn: undefined, rowsOut: undefined };
      break;
    case 'node_progress':
      nodes[e.nodeId] = { ...nodes[e.nodeId], status: 'running', percent: e.percent, rowsOut: e.rowsProcessed };
      break;
    case 'node_finished':
      nodes[e.nodeId] = { ...nodes[e.nodeId], status: e.status, rowsIn: e.rowsIn, rowsOut: e.rowsOut, elapsedMs: e.elapsedMs, metrics: e.metrics };
      break;
    case 'warning':
      if (e.nodeId) nodes[e.nodeId] = { status: 'running', ...nodes[e.nodeId], warnings: [...(nodes[e.nodeId]?.warnings ?? []), e.message] };
      break;
    case 'quality_result':
      nodes[e.nodeId] = {
        status: 'running',
        ...nodes[e.nodeId],
        quality: { score: e.result.score, failed: e.result.checks.filter((c) => !c.passed).length, checks: e.result.checks.length },
      };
      break;
    case 'run_finished':
      status = e.summary.status;
      elapsedMs = e.summary.elapsedMs;
      error = e.summary.error?.message;
      errorHint = e.summary.error?.hint;
      for (const n of e.summary.nodes) nodes[n.nodeId] = { ...nodes[n.nodeId], status: n.status, rowsIn: n.rowsIn, rowsOut: n.rowsOut, elapsedMs: n.elapsedMs, metrics: n.metrics };
      if (e.summary.error?.nodeId && nodes[e.summary.error.nodeId]) nodes[e.summary.error.nodeId] = { ...nodes[e.summary.error.nodeId]!, status: 'failed', error: e.summary.error.message };
      for (const [id, n] of Object.entries(nodes)) if (n.status === 'queued' || n.status === 'running') nodes[id] = { ...n, status: status === 'cancelled' ? 'cancelled' : 'skipped', percent: undefined };
      break;
  }
  let live = run.live;
  if (live) {
    const next = countBatchEvent(live, e, now);
    if (next !== live && e.type === 'batch_finished') nodes = withLiveRows(nodes, next);
    live = next;
  }
  const events = run.watch && run.events.length >= LIVE_EVENTS_KEPT ? [...run.events.slice(-(LIVE_EVENTS_KEPT - 1)), e] : [...run.events, e];
  return { ...run, nodes, status, error, errorHint, elapsedMs, events, ...(live ? { live } : {}) };
}
