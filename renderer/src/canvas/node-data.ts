/** What a canvas node shows: plain JSON built from the document and results (no callbacks, DESIGN §6.10). */
import type { NodeTypeInfo, PipelineNode, Problem } from '../model/types.js';
import { PREVIEW_LIMIT, type NodeRunState, type PreviewEntry } from '../store/results.js';

export interface CanvasNodeData extends Record<string, unknown> {
  name: string;
  type: string;
  typeTitle: string;
  category: string;
  inputs: Array<{ name: string; label: string; multiple: boolean }>;
  outputs: Array<{ name: string; label: string }>;
  problems: string[];
  /** Just added and still being filled in, with settings left to fill: "needs setup" rather than errors. */
  fresh: boolean;
  /** Not checked because a node upstream has problems: its name. */
  waitingFor: string | null;
  run: NodeRunState | null;
  preview: { rows: number; capped: boolean; ms: number; sampled: boolean; failed: string | null } | null;
  unknownType: boolean;
}

export interface NodeStatus {
  problems?: Problem[];
  run?: NodeRunState;
  /** Shown only while it still matches the node's upstream (a changed or broken source makes it stale). */
  preview?: PreviewEntry;
  fresh?: boolean;
  waitingFor?: string | null;
}

export function nodeData(node: PipelineNode, info: NodeTypeInfo | undefined, status: NodeStatus): CanvasNodeData {
  const { problems, run, preview } = status;
  return {
    name: node.name ?? node.id,
    type: node.type,
    typeTitle: info?.title ?? node.type,
    category: info?.category ?? 'unknown',
    inputs: (info?.inputs ?? []).map((p) => ({ name: p.name, label: p.label ?? p.name, multiple: p.multiple === true })),
    outputs: (info?.outputs ?? []).map((p) => ({ name: p.name, label: p.label ?? p.name })),
    problems: (problems ?? []).map((p) => p.message.replace(/^node '[^']*' \([^)]*\):\s*/, '')),
    fresh: status.fresh === true,
    waitingFor: status.waitingFor ?? null,
    run: run ?? null,
    preview:
      preview && (preview.status === 'ready' || preview.status === 'error')
        ? { rows: preview.data?.rows.length ?? 0, capped: (preview.data?.rows.length ?? 0) >= (preview.limit ?? PREVIEW_LIMIT), ms: preview.data?.elapsedMs ?? 0, sampled: preview.data?.sampled ?? false, failed: preview.error ?? null }
        : null,
    unknownType: !info,
  };
}

/** Keeps the previous object when nothing changed, so memoized node components skip re-rendering. */
export function stabilize<T>(cache: Map<string, { key: string; value: T }>, id: string, value: T): T {
  const key = JSON.stringify(value);
  const hit = cache.get(id);
  if (hit && hit.key === key) return hit.value;
  cache.set(id, { key, value });
  return value;
}

export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined) return '–';
  // Exact up to ten million (a count is what the user checks); shorter beyond, where it fits the node.
  if (n >= 1e7) return `${(n / 1e6).toFixed(1)}M`;
  return n.toLocaleString('en-US');
}

/** "1 row", "2,000 rows". */
export function rowsText(n: number | null | undefined): string {
  return `${formatCount(n)} ${n === 1 ? 'row' : 'rows'}`;
}

export function formatMs(ms: number | undefined): string {
  if (ms === undefined) return '';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
