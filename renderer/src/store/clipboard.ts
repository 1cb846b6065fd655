/** Copy and paste of nodes with the edges between them; the clip is plain JSON so it travels between pipelines. */
import type { Pipeline, PipelineEdge, PipelineNode } from '../model/types.js';
import { freshId, splitEndpoint, type XY } from './doc-ops.js';
import { renameRelation } from './sql-rename.js';

export const CLIP_FORMAT = 'caudal.clip/1';

export interface Clip {
  format: typeof CLIP_FORMAT;
  nodes: PipelineNode[];
  edges: PipelineEdge[];
  positions: Record<string, XY>;
}

export function copyNodes(doc: Pipeline, ids: Iterable<string>): Clip | null {
  const set = new Set(ids);
  const nodes = doc.nodes.filter((n) => set.has(n.id));
  if (nodes.length === 0) return null;
  const edges = doc.edges.filter((e) => set.has(splitEndpoint(e.from).nodeId) && set.has(splitEndpoint(e.to).nodeId));
  const positions: Record<string, XY> = {};
  for (const n of nodes) positions[n.id] = doc.layout?.nodes[n.id] ?? { x: 0, y: 0 };
  return structuredClone({ format: CLIP_FORMAT, nodes, edges, positions });
}

export function parseClip(text: string): Clip | null {
  try {
    const v = JSON.parse(text) as Partial<Clip>;
    return v && v.format === CLIP_FORMAT && Array.isArray(v.nodes) && Array.isArray(v.edges) ? (v as Clip) : null;
  } catch {
    return null;
  }
}

/** Adds the clip's nodes under fresh ids, shifted by `offset`; returns the new ids. */
export function pasteClip(doc: Pipeline, clip: Clip, offset: XY): { doc: Pipeline; ids: string[] } {
  const rename = new Map<string, string>();
  const taken = new Set<string>();
  for (const n of clip.nodes) {
    const clash = (id: string) => doc.nodes.some((m) => m.id.toLowerCase() === id.toLowerCase()) || [...taken].some((t) => t.toLowerCase() === id.toLowerCase());
    const id = clash(n.id) ? freshId(doc, n.type, taken) : n.id;
    taken.add(id);
    rename.set(n.id, id);
  }
  const remap = (ep: string) => {
    const { nodeId, port } = splitEndpoint(ep);
    return `${rename.get(nodeId) ?? nodeId}:${port}`;
  };
  const nodes = clip.nodes.map((n) => ({ ...structuredClone(n), id: rename.get(n.id)! }));
  const edges = clip.edges.map((e) => ({ from: remap(e.from), to: remap(e.to) }));
  // A pasted SQL query that reads a pasted input under its old id reads it under the new one, where
  // the query names it unambiguously (sql-rename.ts); otherwise the check names the stale relation.
  for (const n of nodes) {
    const query = n.type === 'transform.sql' ? n.params?.query : undefined;
    if (typeof query !== 'string') continue;
    let next = query;
    for (const e of clip.edges) {
      const from = splitEndpoint(e.from).nodeId;
      const renamed = rename.get(from);
      if (rename.get(splitEndpoint(e.to).nodeId) !== n.id || !renamed || renamed === from) continue;
      next = renameRelation(next, from, renamed) ?? next;
    }
    if (next !== query) n.params = { ...n.params, query: next };
  }
  const layoutNodes = { ...(doc.layout?.nodes ?? {}) };
  for (const n of clip.nodes) {
    const p = clip.positions[n.id] ?? { x: 0, y: 0 };
    layoutNodes[rename.get(n.id)!] = { x: Math.round(p.x + offset.x), y: Math.round(p.y + offset.y) };
  }
  return {
    doc: { ...doc, nodes: [...doc.nodes, ...nodes], edges: [...doc.edges, ...edges], layout: { ...(doc.layout ?? {}), nodes: layoutNodes } },
    ids: nodes.map((n) => n.id),
  };
}
