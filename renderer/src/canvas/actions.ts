/** Canvas commands shared by keyboard shortcuts, menus and the toolbar. Each is one undo step. */
import { useDocument } from '../store/document.js';
import { useUi } from '../store/ui.js';
import { useResults } from '../store/results.js';
import { addEdge, addNode, moveNodes, removeEdges, removeEntries, removeNodes, splitEndpoint, type XY } from '../store/doc-ops.js';
import { entryAt, entryKeys } from '../store/graph.js';
import { copyNodes, parseClip, pasteClip, type Clip } from '../store/clipboard.js';
import { checkConnection } from '../store/connect-rules.js';
import type { Pipeline, PipelineEdge } from '../model/types.js';

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
  // An entry repeating an earlier id goes by its place in the list (first, so the places of the others do not move).
  const entries = selectedNodes.map((key) => entryAt(doc, key)).filter((e) => e !== undefined);
  const repeats = entries.filter((e) => e.repeat).map((e) => e.index);
  const ids = entries.filter((e) => !e.repeat).map((e) => e.node.id);
  useDocument.getState().change((d) => removeNodes(removeEdges(removeEntries(d, repeats), edges), ids));
  useUi.getState().select([]);
}

/**
 * Where the entry at `index` shows when the layout has no place for it. The layout has one place
 * per id, the first entry's: an entry repeating that id is drawn just below it, clear of the other
 * cards, until it has an id of its own.
 */
export function unplacedSpot(doc: Pipeline, index: number, taken: XY[]): XY {
  const node = doc.nodes[index];
  const first = (node && doc.layout?.nodes[node.id]) ?? { x: 0, y: 0 };
  return freeSpot(taken, { x: first.x + 30, y: first.y + CARD.h + 14 });
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
  useUi.getState().select(entryKeys(useDocument.getState().doc));
}

/** elkjs is large: loaded on the first auto-layout, not with the studio. */
let elk: Promise<{ layout(graph: unknown): Promise<{ children?: Array<{ id: string; x?: number; y?: number }> }> }> | null = null;

/** Places for the nodes `ids` (default: all) arranged left to right by elkjs along the edges between them, from (0, 0). */
async function arrange(doc: Pipeline, ids?: ReadonlySet<string>): Promise<Record<string, XY>> {
  elk ??= import('elkjs/lib/elk.bundled.js').then((m) => new m.default());
  const engine = await elk;
  // Once per id: two entries with one id (a file edited by hand) share a place, and elk takes each id once.
  const nodeIds = [...new Set(doc.nodes.map((n) => n.id))].filter((id) => !ids || ids.has(id));
  const inside = new Set(nodeIds);
  const links = doc.edges.map((e) => [splitEndpoint(e.from).nodeId, splitEndpoint(e.to).nodeId] as const).filter(([a, b]) => inside.has(a) && inside.has(b));
  const graph = {
    id: 'root',
    layoutOptions: { 'elk.algorithm': 'layered', 'elk.direction': 'RIGHT', 'elk.spacing.nodeNode': '40', 'elk.layered.spacing.nodeNodeBetweenLayers': '80' },
    children: nodeIds.map((id) => ({ id, width: 200, height: 90 })),
    edges: links.map(([a, b], i) => ({ id: `e${i}`, sources: [a], targets: [b] })),
  };
  const out = await engine.layout(graph);
  return Object.fromEntries((out.children ?? []).map((c) => [c.id, { x: c.x ?? 0, y: c.y ?? 0 }]));
}

/** Arranges the nodes left to right with elkjs; one undo step. */
export async function autoLayout(): Promise<void> {
  const positions = await arrange(useDocument.getState().doc);
  useDocument.getState().change((d) => moveNodes(d, positions));
  useUi.getState().requestFit();
}

/**
 * The document with a place for every node. A file written by hand or by another tool may have no
 * layout, and every card would sit at (0, 0) under the top one. Nodes without a place are arranged
 * as auto-layout (L) arranges them; when others have places, those stay where they are and the new
 * ones go below them all, so that no card covers another.
 */
export async function placeUnplaced(doc: Pipeline): Promise<Pipeline> {
  const placed = doc.layout?.nodes ?? {};
  const unplaced = new Set(doc.nodes.map((n) => n.id).filter((id) => !Object.hasOwn(placed, id)));
  if (unplaced.size === 0) return doc;
  const positions = await arrange(doc, unplaced);
  const taken = doc.nodes.map((n) => placed[n.id]).filter((p): p is XY => p !== undefined);
  if (taken.length === 0) return moveNodes(doc, positions);
  const left = Math.min(...taken.map((p) => p.x));
  const below = Math.max(...taken.map((p) => p.y)) + CARD.h + 40;
  return moveNodes(doc, Object.fromEntries(Object.entries(positions).map(([id, p]) => [id, { x: left + p.x, y: below + p.y }])));
}
