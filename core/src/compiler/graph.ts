import { parseEndpoint, type Pipeline, type PipelineNode } from '../model/schema.js';

export interface GraphEdge {
  index: number;
  from: { nodeId: string; port: string };
  to: { nodeId: string; port: string };
}

export interface Graph {
  nodes: Map<string, PipelineNode>;
  edges: GraphEdge[];
  /** Edges arriving at a node, in document order. */
  incoming: Map<string, GraphEdge[]>;
  outgoing: Map<string, GraphEdge[]>;
}

/** Indexes the document; ignores edges whose endpoints are missing (validation reports those). */
export function buildGraph(doc: Pick<Pipeline, 'nodes' | 'edges'>): Graph {
  const nodes = new Map<string, PipelineNode>();
  for (const n of doc.nodes) if (!nodes.has(n.id)) nodes.set(n.id, n);
  const incoming = new Map<string, GraphEdge[]>();
  const outgoing = new Map<string, GraphEdge[]>();
  for (const id of nodes.keys()) {
    incoming.set(id, []);
    outgoing.set(id, []);
  }
  const edges: GraphEdge[] = [];
  doc.edges.forEach((e, index) => {
    const edge = { index, from: parseEndpoint(e.from), to: parseEndpoint(e.to) };
    if (!nodes.has(edge.from.nodeId) || !nodes.has(edge.to.nodeId)) return;
    edges.push(edge);
    outgoing.get(edge.from.nodeId)!.push(edge);
    incoming.get(edge.to.nodeId)!.push(edge);
  });
  return { nodes, edges, incoming, outgoing };
}

/** Finds one cycle and returns its path (first node repeated at the end), or undefined. */
export function findCycle(graph: Graph): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    state.set(id, 'visiting');
    stack.push(id);
    for (const e of graph.outgoing.get(id) ?? []) {
      const next = e.to.nodeId;
      const s = state.get(next);
      if (s === 'visiting') return [...stack.slice(stack.indexOf(next)), next];
      if (s === undefined) {
        const found = visit(next);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const id of graph.nodes.keys()) {
    if (!state.has(id)) {
      const found = visit(id);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * Kahn's algorithm; ties keep document order so compiled SQL and event order are stable.
 * Throws on a cycle: validate first to get a friendly problem.
 */
export function topologicalOrder(graph: Graph): string[] {
  const indegree = new Map<string, number>();
  for (const id of graph.nodes.keys()) indegree.set(id, graph.incoming.get(id)!.length);
  const order: string[] = [];
  const ids = [...graph.nodes.keys()];
  const ready = ids.filter((id) => indegree.get(id) === 0);
  while (ready.length > 0) {
    const id = ready.shift()!;
    order.push(id);
    const released: string[] = [];
    for (const e of graph.outgoing.get(id)!) {
      const d = indegree.get(e.to.nodeId)! - 1;
      indegree.set(e.to.nodeId, d);
      if (d === 0) released.push(e.to.nodeId);
    }
    ready.push(...released);
    ready.sort((a, b) => ids.indexOf(a) - ids.indexOf(b));
  }
  if (order.length !== graph.nodes.size) {
    const cycle = findCycle(graph);
    throw new Error(`the pipeline has a cycle: ${cycle?.join(' → ') ?? 'unknown'}`);
  }
  return order;
}

/** The node and everything upstream of it, in topological order. */
export function upstreamClosure(graph: Graph, targetIds: string[]): Set<string> {
  const keep = new Set<string>();
  const stack = [...targetIds];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (keep.has(id)) continue;
    keep.add(id);
    for (const e of graph.incoming.get(id) ?? []) stack.push(e.from.nodeId);
  }
  return keep;
}
