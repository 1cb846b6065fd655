/** Canvas commands shared by keyboard shortcuts, menus and the toolbar. Each is one undo step. */
import { useDocument } from '../store/document.js';
import { useUi } from '../store/ui.js';
import { useResults } from '../store/results.js';
import { addEdge, addNode, moveNodes, removeEdges, removeNodes, splitEndpoint, type XY } from '../store/doc-ops.js';
import { copyNodes, parseClip, pasteClip, type Clip } from '../store/clipboard.js';
import { checkConnection } from '../store/connect-rules.js';
import type { PipelineEdge } from '../model/types.js';

const CLIP_KEY = 'caudal.clipboard';
let memoryClip: Clip | null = null;

export function edgeKey(e: PipelineEdge): string {
  return `${e.from}->${e.to}`;
}

export function addNodeOfType(type: string, at: XY): string | null {
  const info = useResults.getState().typeMap.get(type);
  if (!info) return null;
  let id = '';
  useDocument.getState().change((d) => {
    const r = addNode(d, info, at);
    id = r.id;
    return r.doc;
  });
  useUi.getState().select([id]);
  return id;
}

/** Adds the edge, or says why it cannot be added. */
export function connect(edge: PipelineEdge): boolean {
  const check = checkConnection(useDocument.getState().doc, useResults.getState().typeMap, edge);
  if (!check.ok) {
    useUi.getState().toast('error', `Cannot connect: ${check.reason}`);
    return false;
  }
  useDocument.getState().change((d) => addEdge(d, edge));
  return true;
}

export function deleteSelection(): void {
  const { selectedNodes, selectedEdges } = useUi.getState();
  const doc = useDocument.getState().doc;
  const edges = doc.edges.filter((e) => selectedEdges.includes(edgeKey(e)));
  useDocument.getState().change((d) => removeNodes(removeEdges(d, edges), selectedNodes));
  useUi.getState().select([]);
}

export function copySelection(): boolean {
  const clip = copyNodes(useDocument.getState().doc, useUi.getState().selectedNodes);
  if (!clip) return false;
  memoryClip = clip;
  const text = JSON.stringify(clip);
  try {
    localStorage.setItem(CLIP_KEY, text);
  } catch {
    // Storage can be full or disabled; the in-memory clip still works in this window.
  }
  void navigator.clipboard?.writeText(text).catch(() => undefined);
  return true;
}

export function cutSelection(): void {
  if (copySelection()) deleteSelection();
}

function readClip(): Clip | null {
  try {
    const stored = localStorage.getItem(CLIP_KEY);
    if (stored) return parseClip(stored);
  } catch {
    // fall back to memory
  }
  return memoryClip;
}

export function paste(offset: XY = { x: 40, y: 40 }): void {
  const clip = readClip();
  if (!clip) return;
  let ids: string[] = [];
  useDocument.getState().change((d) => {
    const r = pasteClip(d, clip, offset);
    ids = r.ids;
    return r.doc;
  });
  useUi.getState().select(ids);
  // A second paste lands a bit further so copies do not stack exactly.
  memoryClip = { ...clip, positions: Object.fromEntries(Object.entries(clip.positions).map(([k, p]) => [k, { x: p.x + offset.x, y: p.y + offset.y }])) };
  try {
    localStorage.setItem(CLIP_KEY, JSON.stringify(memoryClip));
  } catch {
    // ignore
  }
}

export function duplicateSelection(): void {
  const clip = copyNodes(useDocument.getState().doc, useUi.getState().selectedNodes);
  if (!clip) return;
  let ids: string[] = [];
  useDocument.getState().change((d) => {
    const r = pasteClip(d, clip, { x: 40, y: 40 });
    ids = r.ids;
    return r.doc;
  });
  useUi.getState().select(ids);
}

export function selectAll(): void {
  useUi.getState().select(useDocument.getState().doc.nodes.map((n) => n.id));
}

/** elkjs is large: loaded on the first auto-layout, not with the studio. */
let elk: Promise<{ layout(graph: unknown): Promise<{ children?: Array<{ id: string; x?: number; y?: number }> }> }> | null = null;

/** Arranges the nodes left to right with elkjs; one undo step. */
export async function autoLayout(): Promise<void> {
  elk ??= import('elkjs/lib/elk.bundled.js').then((m) => new m.default());
  const engine = await elk;
  const doc = useDocument.getState().doc;
  const graph = {
    id: 'root',
    layoutOptions: { 'elk.algorithm': 'layered', 'elk.direction': 'RIGHT', 'elk.spacing.nodeNode': '40', 'elk.layered.spacing.nodeNodeBetweenLayers': '80' },
    children: doc.nodes.map((n) => ({ id: n.id, width: 200, height: 90 })),
    edges: doc.edges.map((e, i) => ({ id: `e${i}`, sources: [splitEndpoint(e.from).nodeId], targets: [splitEndpoint(e.to).nodeId] })),
  };
  const out = await engine.layout(graph);
  const positions = Object.fromEntries((out.children ?? []).map((c) => [c.id, { x: c.x ?? 0, y: c.y ?? 0 }]));
  useDocument.getState().change((d) => moveNodes(d, positions));
  useUi.getState().requestFit();
}
