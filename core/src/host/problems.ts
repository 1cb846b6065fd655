import type { HostProblem, PipelineDocument } from '../host-api/contract.js';
import type { Problem } from '../util/errors.js';

const NODE_PATH = /^nodes\[(\d+)\](?:\.params\.?(.*))?/;

/** Adds the node id and param field a problem's JSON path points at, so the UI can mark the field. */
export function locateProblem(p: Problem | HostProblem, doc: PipelineDocument | undefined): HostProblem {
  const m = NODE_PATH.exec(p.path);
  if (!m) return { ...p };
  const node = doc?.nodes[Number(m[1])];
  return { ...p, nodeId: p.nodeId ?? node?.id, field: m[2] ? m[2] : undefined };
}

export const PIPELINE_KEY = '(pipeline)';

export function groupByNode(problems: HostProblem[]): Record<string, HostProblem[]> {
  const out: Record<string, HostProblem[]> = {};
  for (const p of problems) (out[p.nodeId ?? PIPELINE_KEY] ??= []).push(p);
  return out;
}
