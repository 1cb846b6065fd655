import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterFile } from './cleanup.js';
import { inspect, previewPipeline, runPipeline } from '../../core/src/engine/engine.js';
import type { RunEvent } from '../../core/src/engine/protocol.js';
import { parsePipelineObject } from '../../core/src/model/load.js';
import type { Pipeline } from '../../core/src/model/schema.js';

/** A temp folder removed after the test file finishes. */
export async function tempDir(prefix = 'caudal-test-'): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  afterFile(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

type NodeSpec = { id: string; type: string; params?: Record<string, unknown> };

/** Builds a v1 document from nodes and "a:out -> b:in" edge strings (":out"/":in" may be omitted). */
export function pipeline(nodes: NodeSpec[], edges: string[] = [], extra: Record<string, unknown> = {}): Pipeline {
  const doc = {
    format: 'caudal.pipeline/1',
    name: 'test',
    ...extra,
    nodes: nodes.map((n) => ({ params: {}, ...n })),
    edges: edges.map((e) => {
      const [from, to] = e.split('->').map((s) => s.trim()) as [string, string];
      return { from: from.includes(':') ? from : `${from}:out`, to: to.includes(':') ? to : `${to}:in` };
    }),
  };
  const r = parsePipelineObject(doc);
  if (!r.pipeline) throw new Error(`test pipeline is invalid: ${JSON.stringify(r.problems)}`);
  return r.pipeline;
}

export async function run(doc: Pipeline, baseDir: string, opts: { params?: Record<string, string>; metrics?: 'fast' | 'exact' } = {}) {
  const events: RunEvent[] = [];
  const summary = await runPipeline({ pipeline: doc, baseDir, params: opts.params, options: { metrics: opts.metrics }, onEvent: (e) => events.push(e) });
  return { summary, events };
}

export async function preview(doc: Pipeline, baseDir: string, nodeId: string, opts: { port?: string; limit?: number } = {}) {
  return previewPipeline({ pipeline: doc, baseDir, nodeId, ...opts });
}

export async function problemsOf(doc: Pipeline, baseDir: string, params?: Record<string, string>) {
  return (await inspect({ pipeline: doc, baseDir, params })).problems;
}

export { inspect, previewPipeline };
