/** Read-only questions about the document graph used by the canvas, the inspector and previews. */
import type { Pipeline } from '../model/types.js';
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

/** Node ids in the order a problem path like `nodes[3].params.x` refers to. */
export function nodeIdAtPath(doc: Pipeline, path: string): string | undefined {
  const m = /^nodes\[(\d+)\]/.exec(path);
  return m ? doc.nodes[Number(m[1])]?.id : undefined;
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
