/** What the engine told us: node catalogue, problems, schemas, previews, runs. Never in undo history. */
import { create } from 'zustand';
import type { HostConnectionInfo, HostRunEvent, NodeSchemas, NodeTypeInfo, PreviewData, Problem, RunRecord } from '../model/types.js';
import { newRun, reduceRun, type ActiveRun } from './run-state.js';

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

export type { ActiveRun, NodeRunState, NodeRunStatus } from './run-state.js';

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
  /** Forgets every preview (they were read for another file location). */
  dropPreviews(): void;
  /** `watch`: a continuous run (live counters, Stop). */
  startRun(runId: string, targets: string[], nodeIds: string[], watch?: boolean): void;
  applyRunEvent(e: HostRunEvent): void;
  /** Several events in one update (a continuous run's events are applied a few times a second). */
  applyRunEvents(events: HostRunEvent[]): void;
  /** Stop was pressed on the continuous run `runId`. */
  markStopping(runId: string): void;
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
  dropPreviews: () => set({ previews: {} }),
  startRun(runId, targets, nodeIds, watch) {
    set({ run: newRun(runId, targets, nodeIds, watch) });
  },
  applyRunEvent(e) {
    get().applyRunEvents([e]);
  },
  applyRunEvents(events) {
    const first = get().run;
    if (!first) return;
    const now = Date.now();
    const run = events.reduce((r, e) => reduceRun(r, e, now), first);
    if (run !== first) set({ run });
  },
  markStopping(runId) {
    const run = get().run;
    if (run?.runId === runId && run.status === 'running') set({ run: { ...run, stopping: true } });
  },
  setHistory: (history) => set({ history }),
  // A newly opened pipeline starts with nothing of the previous one: no problems, previews, run or history.
  reset: () => set({ problems: [], problemsByNode: {}, schemas: {}, previews: {}, run: null, history: [], checkedRevision: -1 }),
}));
