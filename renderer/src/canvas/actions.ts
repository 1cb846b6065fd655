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

/** The last pointer position over the canvas (flow coordinates): where a paste lands. */
let pointer: XY | null = null;
export function setPointer(p: XY | null): void {
  pointer = p;
}

/** The centre of the visible canvas in flow coordinates (set by the canvas). */
let viewCenter: () => XY | null = () => null;
export function setViewCenter(fn: () => XY | null): void {
  viewCenter = fn;
}

const CARD = { w: 200, h: 96 };

/** `at`, or the nearest spot below it where a new card does not cover another. */
export function freeSpot(positions: XY[], at: XY): XY {
  const p = { ...at };
  for (let i = 0; i < 50 && positions.some((q) => Math.abs(q.x - p.x) < CARD.w && Math.abs(q.y - p.y) < CARD.h); i++) p.y += CARD.h + 14;
  return p;
}

/** Palette double-click: the new node appears in the middle of what the user is looking at (not under a panel). */
export function addNodeInView(type: string): string | null {
  const c = viewCenter() ?? { x: 0, y: 0 };
  const at = freeSpot(Object.values(useDocument.getState().doc.layout?.nodes ?? {}), { x: Math.round(c.x - CARD.w / 2), y: Math.round(c.y - CARD.h / 2) });
  const id = addNodeOfType(type, at);
  if (id) useUi.getState().markFresh(id);
  return id;
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

/**
 * Where pasted nodes go: their top-left at the pointer when it is over the canvas, else a step
 * down and right of where they were copied; never exactly on top of existing nodes.
 */
export function pasteOffset(clip: Clip, taken: XY[], at: XY | null): XY {
  const ps = Object.values(clip.positions);
  const min = { x: Math.min(...ps.map((p) => p.x)), y: Math.min(...ps.map((p) => p.y)) };
  const offset = at ? { x: Math.round(at.x - min.x), y: Math.round(at.y - min.y) } : { x: 40, y: 40 };
  const onTop = () => ps.some((p) => taken.some((q) => Math.abs(q.x - (p.x + offset.x)) < 8 && Math.abs(q.y - (p.y + offset.y)) < 8));
  for (let i = 0; i < 20 && onTop(); i++) {
    offset.x += 40;
    offset.y += 40;
  }
  return offset;
}

export function paste(): void {
  const clip = readClip();
  if (!clip) return;
  const offset = pasteOffset(clip, Object.values(useDocument.getState().doc.layout?.nodes ?? {}), pointer);
  let ids: string[] = [];
  useDocument.getState().change((d) => {
    const r = pasteClip(d, clip, offset);
    ids = r.ids;
    return r.doc;
  });
  useUi.getState().select(ids);
}

export function duplicateSelection(): void {
  const clip = copyNodes(useDocument.getState().doc, useUi.getState().selectedNodes);
  if (!clip) return;
  let ids: string[] = [];
  const offset = pasteOffset(clip, Object.values(useDocument.getState().doc.layout?.nodes ?? {}), null);
  useDocument.getState().change((d) => {
    const r = pasteClip(d, clip, offset);
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
