import type { Pipeline } from '../model/schema.js';
import { getNodeDefinition } from '../nodes/index.js';

/**
 * Whether what a source read in this run counts as consumed: its state (a watermark, a snapshot
 * done) may advance and a stream may acknowledge what it read only when every sink of the pipeline
 * that reads from it, directly or through other nodes, is part of this run. A run of some nodes
 * (`--node`, "Run up to here") that leaves such a sink out would otherwise move the source past
 * rows that sink never received. Undefined when consumed; else why not, and whether a sink of this
 * run did receive the rows (it will receive them again).
 */
export function notConsumed(pipeline: Pipeline, nodeId: string, runSinks: ReadonlySet<string>): { why: string; partly: boolean } | undefined {
  const { readers, left } = readersLeftOut(pipeline, nodeId, runSinks);
  if (readers.length === 0) return { why: 'no sink reads from this node, so its rows were not written anywhere', partly: false };
  if (left.length === 0) return undefined;
  const one = left.length === 1;
  return {
    why: `${one ? 'sink' : 'sinks'} ${left.map((s) => `'${s}'`).join(', ')} ${one ? 'reads' : 'read'} from this node but ${one ? 'is' : 'are'} not part of this run, so ${one ? 'it' : 'they'} would never receive these rows`,
    partly: left.length < readers.length,
  };
}

/** The sinks of the whole pipeline that read from `nodeId`, and those of them a run of `runSinks` leaves out. */
export function readersLeftOut(pipeline: Pipeline, nodeId: string, runSinks: ReadonlySet<string>): { readers: string[]; left: string[] } {
  const readers = sinksReading(pipeline, nodeId);
  return { readers, left: readers.filter((s) => !runSinks.has(s)) };
}

/** The sinks downstream of `nodeId` in the whole pipeline (not only the nodes a run includes). */
function sinksReading(pipeline: Pipeline, nodeId: string): string[] {
  const nodeOf = (end: string) => end.split(':')[0]!;
  const next = new Map<string, string[]>();
  for (const e of pipeline.edges) next.set(nodeOf(e.from), [...(next.get(nodeOf(e.from)) ?? []), nodeOf(e.to)]);
  const typeOf = new Map(pipeline.nodes.map((n) => [n.id, n.type]));
  const seen = new Set<string>([nodeId]);
  const queue = [nodeId];
  const sinks: string[] = [];
  while (queue.length > 0) {
    for (const to of next.get(queue.shift()!) ?? []) {
      if (seen.has(to)) continue;
      seen.add(to);
      queue.push(to);
      if (getNodeDefinition(typeOf.get(to) ?? '')?.category === 'sink') sinks.push(to);
    }
  }
  // In the pipeline's order, so messages read the same from run to run.
  const order = new Map(pipeline.nodes.map((n, i) => [n.id, i]));
  return sinks.sort((a, b) => order.get(a)! - order.get(b)!);
}
