import type { Pipeline } from './schema.js';

const TOP = ['$schema', 'format', 'name', 'description', 'params', 'connections', 'nodes', 'edges', 'layout'];
const NODE = ['id', 'type', 'name', 'description', 'params'];

function ordered(obj: Record<string, unknown>, first: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of first) if (obj[k] !== undefined) out[k] = obj[k];
  for (const k of Object.keys(obj).sort()) if (!(k in out) && obj[k] !== undefined) out[k] = obj[k];
  return out;
}

/** Params keep the author's key order except that nested plain objects are sorted, for stable diffs. */
function sortDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortDeep);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, sortDeep(x)]));
  return v;
}

/**
 * The saved form of a pipeline: fixed key order, two-space indent, trailing newline, layout last
 * so moving boxes on the canvas changes only the bottom of the file.
 */
export function serializePipeline(doc: Pipeline): string {
  const top = ordered(doc as unknown as Record<string, unknown>, TOP);
  top.nodes = doc.nodes.map((n) => ordered({ ...n, params: sortDeep(n.params) } as Record<string, unknown>, NODE));
  top.edges = doc.edges.map((e) => ({ from: e.from, to: e.to }));
  if (doc.layout) {
    const nodes = Object.fromEntries(Object.keys(doc.layout.nodes).sort().map((k) => [k, doc.layout!.nodes[k]]));
    top.layout = ordered({ ...doc.layout, nodes }, ['nodes', 'viewport']);
  }
  return JSON.stringify(top, null, 2) + '\n';
}
