/** What the engine told us: node catalogue, problems, schemas, previews, runs. Never in undo history. */
import { create } from 'zustand';
import type { HostConnectionInfo, HostRunEvent, NodeSchemas, NodeTypeInfo, PreviewData, Problem, RunRecord } from '../model/types.js';

export interface PreviewEntry {
  status: 'loading' | 'ready' | 'error';
  /** upstreamSignature at request time: a different current signature means stale. */
  signature: string;
  data?: PreviewData;
  /** Rows asked for. */
  limit?: number;
  error?: string;
  /** The node (or its upstream) is not set up yet: what to fill in, instead of a failure. */
  problems?: Problem[];
  requestedAt: number;
}

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
}

export interface ActiveRun {
  runId: string;
  status: 'running' | 'succeeded' | 'failed' | 'cancelled';
  targets: string[];
  nodes: Record<string, NodeRunState>;
  events: HostRunEvent[];
  error?: string;
  elapsedMs?: number;
}

export interface ResultsState {
  nodeTypes: NodeTypeInfo[];
  typeMap: Map<string, NodeTypeInfo>;
  problems: Problem[];
  problemsByNode: Record<string, Problem[]>;
  /** Document revision the problems and schemas belong to. */
  checkedRevision: number;
  checking: boolean;
  schemas: Record<string, NodeSchemas>;
  previews: Record<string, PreviewEntry>;
  run: ActiveRun | null;
  history: RunRecord[];
  /** Named connections the host knows (user and project files); secrets only as flags. */
  connections: HostConnectionInfo[];
  setConnections(c: HostConnectionInfo[]): void;
  setNodeTypes(types: NodeTypeInfo[]): void;
  setChecked(revision: number, problems: Problem[], byNode: Record<string, Problem[]>, schemas: NodeSchemas[] | null): void;
  setChecking(v: boolean): void;
  setPreview(key: string, entry: PreviewEntry): void;
  startRun(runId: string, targets: string[], nodeIds: string[]): void;
  applyRunEvent(e: HostRunEvent): void;
  setHistory(runs: RunRecord[]): void;
  reset(): void;
}

/** Rows a preview asks for by default; a preview with as many rows as it asked for is cut off there. */
export const PREVIEW_LIMIT = 1000;

export const previewKey = (nodeId: string, port: string) => `${nodeId}:${port}`;

export const useResults = create<ResultsState>()((set, get) => ({
  nodeTypes: [],
  typeMap: new Map(),
  problems: [],
  problemsByNode: {},
  checkedRevision: -1,
  checking: false,
  schemas: {},
  previews: {},
  run: null,
  history: [],
  connections: [],
  setConnections: (connections) => set({ connections }),
  setNodeTypes: (nodeTypes) => set({ nodeTypes, typeMap: new Map(nodeTypes.map((t) => [t.type, t])) }),
  setChecked(revision, problems, byNode, schemas) {
    set({
      checkedRevision: revision,
      problems,
      problemsByNode: byNode,
      ...(schemas ? { schemas: Object.fromEntries(schemas.map((s) => [s.nodeId, s])) } : {}),
    });
  },
  setChecking: (checking) => set({ checking }),
  setPreview: (key, entry) => set({ previews: { ...get().previews, [key]: entry } }),
  startRun(runId, targets, nodeIds) {
    set({
      run: { runId, status: 'running', targets, nodes: Object.fromEntries(nodeIds.map((id) => [id, { status: 'queued' as const }])), events: [] },
    });
  },
  applyRunEvent(e) {
    const run = get().run;
    if (!run || run.runId !== e.runId) return;
    const nodes = { ...run.nodes };
    let { status, error, elapsedMs } = run;
    switch (e.type) {
      case 'node_started':
        nodes[e.nodeId] = { ...nodes[e.nodeId], status: 'running' };
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
        for (const n of e.summary.nodes) nodes[n.nodeId] = { ...nodes[n.nodeId], status: n.status, rowsIn: n.rowsIn, rowsOut: n.rowsOut, elapsedMs: n.elapsedMs, metrics: n.metrics };
        if (e.summary.error?.nodeId && nodes[e.summary.error.nodeId]) nodes[e.summary.error.nodeId] = { ...nodes[e.summary.error.nodeId]!, status: 'failed', error: e.summary.error.message };
        for (const [id, n] of Object.entries(nodes)) if (n.status === 'queued' || n.status === 'running') nodes[id] = { ...n, status: status === 'cancelled' ? 'cancelled' : 'skipped', percent: undefined };
        break;
    }
    set({ run: { ...run, nodes, status, error, elapsedMs, events: [...run.events, e] } });
  },
  setHistory: (history) => set({ history }),
  // A newly opened pipeline starts with nothing of the previous one: no problems, previews, run or history.
  reset: () => set({ problems: [], problemsByNode: {}, schemas: {}, previews: {}, run: null, history: [], checkedRevision: -1 }),
}));
