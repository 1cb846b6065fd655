/** Whether an edge may be added, with the reason shown to the user when it may not. */
import type { NodeTypeInfo, Pipeline, PipelineEdge } from '../model/types.js';
import { splitEndpoint } from './doc-ops.js';

export type ConnectCheck = { ok: true } | { ok: false; reason: string };

function nodeLabel(doc: Pipeline, id: string): string {
  const n = doc.nodes.find((x) => x.id === id);
  return n?.name ? `'${n.name}'` : `'${id}'`;
}

/** True when `to` can already reach `from` downstream, so from → to would close a loop. */
export function pathBetween(doc: Pipeline, start: string, goal: string): string[] | null {
  const next = new Map<string, string[]>();
  for (const e of doc.edges) {
    const a = splitEndpoint(e.from).nodeId;
    const list = next.get(a) ?? [];
    list.push(splitEndpoint(e.to).nodeId);
    next.set(a, list);
  }
  const prev = new Map<string, string>();
  const queue = [start];
  const seen = new Set([start]);
  while (queue.length > 0) {
    const cur = queue.shift()!;
    if (cur === goal) {
      const path = [cur];
      let p = cur;
      while (prev.has(p)) path.unshift((p = prev.get(p)!));
      return path;
    }
    for (const n of next.get(cur) ?? []) {
      if (seen.has(n)) continue;
      seen.add(n);
      prev.set(n, cur);
      queue.push(n);
    }
  }
  return null;
}

export function checkConnection(doc: Pipeline, types: Map<string, NodeTypeInfo>, edge: PipelineEdge): ConnectCheck {
  const from = splitEndpoint(edge.from);
  const to = splitEndpoint(edge.to);
  const src = doc.nodes.find((n) => n.id === from.nodeId);
  const dst = doc.nodes.find((n) => n.id === to.nodeId);
  if (!src || !dst) return { ok: false, reason: 'One end of the connection is not on the canvas.' };
  if (src.id === dst.id) return { ok: false, reason: `A node cannot feed itself (${nodeLabel(doc, src.id)}).` };
  const srcType = types.get(src.type);
  const dstType = types.get(dst.type);
  const out = srcType?.outputs.find((p) => p.name === from.port);
  const inp = dstType?.inputs.find((p) => p.name === to.port);
  if (!out) return { ok: false, reason: `${nodeLabel(doc, src.id)} has no output port '${from.port}': connect from an output (right side) to an input (left side).` };
  if (!inp) return { ok: false, reason: `${nodeLabel(doc, dst.id)} has no input port '${to.port}'${dstType && dstType.inputs.length === 0 ? ': a source takes no input' : ''}.` };
  if (doc.edges.some((e) => e.from === edge.from && e.to === edge.to)) return { ok: false, reason: 'These ports are already connected.' };
  const loop = pathBetween(doc, dst.id, src.id);
  if (loop) return { ok: false, reason: `That would make a cycle: ${[...loop, dst.id].map((id) => nodeLabel(doc, id)).join(' → ')}.` };
  if (!inp.multiple && doc.edges.some((e) => e.to === edge.to))
    return { ok: false, reason: `Input '${to.port}' of ${nodeLabel(doc, dst.id)} takes one connection and already has one. Remove it first.` };
  return { ok: true };
}
