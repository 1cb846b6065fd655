/** Read-only questions about the document graph used by the canvas, the inspector and previews. */
import type { Pipeline, PipelineNode, Problem } from '../model/types.js';
import { splitEndpoint } from './doc-ops.js';

/** The node and every node upstream of it. */
export function upstreamClosure(doc: Pipeline, nodeId: string): Set<string> {
  const seen = new Set<string>([nodeId]);
  const stack = [nodeId];
  while (stack.length > 0) {
    const cur = stack.pop()!;
    for (const e of doc.edges) {
      if (splitEndpoint(e.to).nodeId !== cur) continue;
      const from = splitEndpoint(e.from).nodeId;
      if (seen.has(from)) continue;
      seen.add(from);
      stack.push(from);
    }
  }
  return seen;
}

/**
 * Everything a node's output depends on (types, params, edges of its upstream closure, pipeline params).
 * Equal signatures mean a cached preview is still right; layout and names do not count.
 */
export function upstreamSignature(doc: Pipeline, nodeId: string): string {
  const closure = upstreamClosure(doc, nodeId);
  const nodes = doc.nodes.filter((n) => closure.has(n.id)).map((n) => [n.id, n.type, n.params]);
  const edges = doc.edges.filter((e) => closure.has(splitEndpoint(e.to).nodeId)).map((e) => `${e.from}>${e.to}`).sort();
  return JSON.stringify([nodes, edges, doc.params, doc.connections]);
}

/**
 * The key of each node entry on the canvas and in the selection: its id, except for an entry that
 * repeats the id of an earlier one (two `"id": "orders"` in a file edited by hand), which is told
 * apart by its place in the list (`orders#3`) so that it can be seen, selected, renamed and
 * deleted. An id has no `#`, so such a key is never another node's id. The id itself (its edges,
 * its place on the canvas, its params in the engine) belongs to the first entry.
 */
export function entryKeys(doc: Pick<Pipeline, 'nodes'>): string[] {
  const seen = new Set<string>();
  return doc.nodes.map((n, i) => {
    if (!seen.has(n.id)) {
      seen.add(n.id);
      return n.id;
    }
    return `${n.id}#${i}`;
  });
}

/** The node entry a canvas key stands for, with its place in the list; `repeat` when it repeats an earlier entry's id. */
export function entryAt(doc: Pick<Pipeline, 'nodes'>, key: string): { node: PipelineNode; index: number; repeat: boolean } | undefined {
  const m = /^(.*)#(\d+)$/.exec(key);
  if (m) {
    const index = Number(m[2]);
    const node = doc.nodes[index];
    if (node && node.id === m[1] && doc.nodes.findIndex((n) => n.id === node.id) !== index) return { node, index, repeat: true };
  }
  const index = doc.nodes.findIndex((n) => n.id === key);
  return index >= 0 ? { node: doc.nodes[index]!, index, repeat: false } : undefined;
}

/** The canvas key of the node a problem is about: the entry its path points into when that entry repeats an id, else its node. */
export function problemNodeKey(doc: Pipeline, p: Pick<Problem, 'nodeId' | 'path'>): string | undefined {
  const m = /^nodes\[(\d+)\]/.exec(p.path);
  const index = m ? Number(m[1]) : -1;
  const key = index >= 0 ? entryKeys(doc)[index] : undefined;
  if (key !== undefined && key !== doc.nodes[index]!.id) return key;
  return p.nodeId ?? (index >= 0 ? doc.nodes[index]?.id : undefined);
}

/** `nodes[3].params.aggregations[0].column` → `aggregations[0].column`. */
export function paramFieldOfPath(path: string): string | undefined {
  const m = /^nodes\[\d+\]\.params\.?(.*)$/.exec(path);
  return m ? m[1] : undefined;
}

/**
 * Nodes that could not be checked because a node upstream has problems (the planner skips what
 * depends on a broken node), each with the nearest such node. They are not "fine": the problem
 * count says how many are waiting.
 */
export function waitingNodes(doc: Pipeline, problemNodes: ReadonlySet<string>): Map<string, string> {
  const out = new Map<string, string>();
  const next = new Map<string, string[]>();
  for (const e of doc.edges) {
    const a = splitEndpoint(e.from).nodeId;
    (next.get(a) ?? next.set(a, []).get(a)!).push(splitEndpoint(e.to).nodeId);
  }
  const queue = [...problemNodes].map((id) => [id, id] as const);
  while (queue.length > 0) {
    const [cur, cause] = queue.shift()!;
    for (const n of next.get(cur) ?? []) {
      if (problemNodes.has(n) || out.has(n)) continue;
      out.set(n, cause);
      queue.push([n, cause]);
    }
  }
  return out;
}
