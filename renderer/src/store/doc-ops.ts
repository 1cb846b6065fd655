/** Pure edits of the pipeline document. Every function returns a new document (or the same one when nothing changed). */
import type { NodeTypeInfo, Pipeline, PipelineEdge, PipelineNode, PipelineParam } from '../model/types.js';

export interface XY {
  x: number;
  y: number;
}

export function emptyPipeline(name = 'Untitled pipeline'): Pipeline {
  return { format: 'caudal.pipeline/1', name, params: {}, connections: {}, nodes: [], edges: [], layout: { nodes: {} } };
}

export function endpoint(nodeId: string, port: string): string {
  return `${nodeId}:${port}`;
}

export function splitEndpoint(ep: string): { nodeId: string; port: string } {
  const i = ep.indexOf(':');
  return { nodeId: ep.slice(0, i), port: ep.slice(i + 1) };
}

/** A readable id from the node type (`transform.filter` → `filter`, `source.csv` → `csv_source`), unique in the document. */
export function freshId(doc: Pipeline, type: string, taken: Set<string> = new Set()): string {
  const [category = 'node', kind = 'node'] = type.split('.');
  const base = (category === 'transform' || category === 'quality' ? kind : `${kind}_${category}`).replace(/[^A-Za-z0-9_]/g, '_');
  return unusedId(doc, base, taken);
}

/** `base`, or `base_2`, `base_3`… whichever no node uses yet. */
export function unusedId(doc: Pipeline, base: string, taken: Set<string> = new Set()): string {
  // Ids are compared without regard to case, as validation does (DuckDB view names ignore it).
  const used = new Set([...doc.nodes.map((n) => n.id), ...taken].map((id) => id.toLowerCase()));
  if (!used.has(base.toLowerCase())) return base;
  for (let i = 2; ; i++) if (!used.has(`${base}_${i}`.toLowerCase())) return `${base}_${i}`;
}

function withLayout(doc: Pipeline, positions: Record<string, XY>): Pipeline {
  const nodes = { ...(doc.layout?.nodes ?? {}) };
  for (const [id, p] of Object.entries(positions)) nodes[id] = { x: Math.round(p.x), y: Math.round(p.y) };
  return { ...doc, layout: { ...(doc.layout ?? {}), nodes } };
}

export function addNode(doc: Pipeline, info: Pick<NodeTypeInfo, 'type' | 'title'>, at: XY): { doc: Pipeline; id: string } {
  const id = freshId(doc, info.type);
  const node: PipelineNode = { id, type: info.type, name: info.title, params: {} };
  return { doc: withLayout({ ...doc, nodes: [...doc.nodes, node] }, { [id]: at }), id };
}

export function moveNodes(doc: Pipeline, positions: Record<string, XY>): Pipeline {
  const layout = doc.layout?.nodes ?? {};
  const changed = Object.entries(positions).some(([id, p]) => layout[id]?.x !== Math.round(p.x) || layout[id]?.y !== Math.round(p.y));
  return changed ? withLayout(doc, positions) : doc;
}

/**
 * Removes the nodes with these ids, their edges and their places. An id names the first entry that
 * has it: a later entry repeating it (a file edited by hand) is another node and stays, taking the
 * id's place on the canvas (it is removed by `removeEntries`).
 */
export function removeNodes(doc: Pipeline, ids: Iterable<string>): Pipeline {
  const gone = new Set(ids);
  if (gone.size === 0) return doc;
  const named = new Set([...gone].map((id) => doc.nodes.findIndex((n) => n.id === id)));
  const nodes = doc.nodes.filter((_, i) => !named.has(i));
  const left = new Set(nodes.map((n) => n.id));
  const layoutNodes = Object.fromEntries(Object.entries(doc.layout?.nodes ?? {}).filter(([id]) => !gone.has(id) || left.has(id)));
  return {
    ...doc,
    nodes,
    edges: doc.edges.filter((e) => !gone.has(splitEndpoint(e.from).nodeId) && !gone.has(splitEndpoint(e.to).nodeId)),
    layout: { ...(doc.layout ?? {}), nodes: layoutNodes },
  };
}

/** Removes node entries by their place in the list: entries that repeat an earlier id, whose edges and place are the first one's. */
export function removeEntries(doc: Pipeline, indexes: Iterable<number>): Pipeline {
  const gone = new Set(indexes);
  if (![...gone].some((i) => i >= 0 && i < doc.nodes.length)) return doc;
  return { ...doc, nodes: doc.nodes.filter((_, i) => !gone.has(i)) };
}

/** Gives the entry at `index` (one repeating an earlier id) an id of its own, placed at `at`; its edges stay with the first. */
export function giveOwnId(doc: Pipeline, index: number, id: string, at: XY): Pipeline {
  const node = doc.nodes[index];
  if (!node) return doc;
  return withLayout({ ...doc, nodes: doc.nodes.map((n, i) => (i === index ? { ...n, id } : n)) }, { [id]: at });
}

export function removeEdges(doc: Pipeline, edges: PipelineEdge[]): Pipeline {
  const key = (e: PipelineEdge) => `${e.from}->${e.to}`;
  const gone = new Set(edges.map(key));
  if (gone.size === 0) return doc;
  return { ...doc, edges: doc.edges.filter((e) => !gone.has(key(e))) };
}

export function addEdge(doc: Pipeline, edge: PipelineEdge): Pipeline {
  return { ...doc, edges: [...doc.edges, edge] };
}

/** Edits the node the id names: the first entry with it (a later one repeating the id is another node). */
export function updateNode(doc: Pipeline, id: string, patch: Partial<Pick<PipelineNode, 'name' | 'description'>>): Pipeline {
  const node = doc.nodes.find((n) => n.id === id);
  return { ...doc, nodes: doc.nodes.map((n) => (n === node ? { ...n, ...patch } : n)) };
}

export type ParamPath = Array<string | number>;

/** Sets a value deep inside a node's params; `undefined` removes the key (the default applies again). */
export function setParam(doc: Pipeline, nodeId: string, path: ParamPath, value: unknown): Pipeline {
  // Fields report their value when they mount or blur, often unchanged: an edit that changes
  // nothing must not count as one (no undo step, no re-check, no preview refresh).
  const node = doc.nodes.find((n) => n.id === nodeId);
  if (node && sameValue(getIn(node.params ?? {}, path), value)) return doc;
  return {
    ...doc,
    // The node the id names: a later entry repeating the id (a file edited by hand) is another node.
    nodes: doc.nodes.map((n) => (n === node ? { ...n, params: setIn(n.params ?? {}, path, value) as Record<string, unknown> } : n)),
  };
}

function sameValue(a: unknown, b: unknown): boolean {
  return a === b || (typeof a === 'object' && typeof b === 'object' && a !== null && b !== null && JSON.stringify(a) === JSON.stringify(b));
}

export function getIn(value: unknown, path: ParamPath): unknown {
  let v = value;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[k];
  }
  return v;
}

export function setIn(target: unknown, path: ParamPath, value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path as [string | number, ...ParamPath];
  if (typeof head === 'number') {
    const arr = Array.isArray(target) ? [...target] : [];
    arr[head] = setIn(arr[head], rest, value);
    return arr;
  }
  const obj: Record<string, unknown> = target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  const next = setIn(obj[head], rest, value);
  if (next === undefined) delete obj[head];
  else obj[head] = next;
  return obj;
}

export function renameDoc(doc: Pipeline, name: string): Pipeline {
  return doc.name === name ? doc : { ...doc, name };
}

/** The pipeline's description; empty removes it. */
export function describeDoc(doc: Pipeline, description: string): Pipeline {
  const next = description.trim() === '' ? undefined : description;
  if (doc.description === next) return doc;
  const { description: _old, ...rest } = doc;
  return next === undefined ? rest : { ...rest, description: next };
}

/** Adds, replaces or (with `undefined`) removes a pipeline param; a new one goes last. */
export function setPipelineParam(doc: Pipeline, name: string, param: PipelineParam | undefined): Pipeline {
  const params = { ...(doc.params ?? {}) };
  if (param === undefined) {
    if (!(name in params)) return doc;
    delete params[name];
  } else {
    if (JSON.stringify(params[name]) === JSON.stringify(param)) return doc;
    params[name] = param;
  }
  return { ...doc, params };
}

/**
 * Points a node param at a named connection and declares the connection in the pipeline's
 * `connections` (by name and type, never secrets) when it is not declared yet.
 */
export function pickConnection(doc: Pipeline, nodeId: string, path: ParamPath, name: string | undefined, type: string | undefined): Pipeline {
  const next = setParam(doc, nodeId, path, name);
  if (!name || !type || doc.connections?.[name]) return next;
  return { ...next, connections: { ...(doc.connections ?? {}), [name]: { type } } };
}
