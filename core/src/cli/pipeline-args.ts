import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { EngineOptions } from '../engine/protocol.js';
import { loadPipelineFile } from '../model/load.js';
import type { Pipeline } from '../model/schema.js';
import { CaudalError } from '../util/errors.js';
import { didYouMean } from '../util/suggest.js';
import { parseMemoryLimit, parseThreads } from './args.js';
import { formatProblems } from './format.js';

/** The pipeline file argument, loaded; a file that does not load is an invalid pipeline (exit 2). */
export async function loadOrExplain(file: string | undefined): Promise<{ pipeline: Pipeline; baseDir: string }> {
  if (!file) throw new CaudalError('usage', 'missing the pipeline file argument');
  const abs = path.resolve(file);
  const kind = await stat(abs).catch(() => undefined);
  // A pipe (`<(…)`, /dev/stdin) has no folder of its own: relative paths, state and run folders
  // would land in /dev/fd or /dev (where a recursive mkdir never ends). Refused with the fix.
  const folder = await realpath(path.dirname(abs)).catch(() => path.dirname(abs));
  if ((kind && !kind.isFile() && !kind.isDirectory()) || /^\/(dev|proc)(\/|$)/.test(folder)) {
    throw new CaudalError('usage', `${file} is not a pipeline file in a folder (it is a pipe, /dev/stdin or a device): a pipeline's relative paths, state and run records are kept next to its file`, {
      hint: 'save the pipeline to a file first (e.g. `envsubst < tmpl.json > pipeline.json`) and pass that file',
    });
  }
  const loaded = await loadPipelineFile(abs);
  if (!loaded.pipeline) {
    throw new CaudalError('validation', `${file} is not a valid pipeline:\n${formatProblems(loaded.problems)}`, { problems: loaded.problems });
  }
  return { pipeline: loaded.pipeline, baseDir: path.dirname(abs) };
}

/** `--node` ids must name nodes of the pipeline: a typo is a usage error, not an empty run. */
export function checkNodeIds(pipeline: Pipeline, ids: readonly string[] | undefined, file: string): void {
  const known = pipeline.nodes.map((n) => n.id);
  for (const id of ids ?? []) {
    if (!known.includes(id))
      throw new CaudalError('usage', `no node '${id}' in ${file}${didYouMean(id, known)}`, { hint: `nodes: ${known.join(', ') || '(none)'}` });
  }
}

export function engineOptions(values: { threads?: string; 'memory-limit'?: string; metrics?: string; wait?: boolean }): EngineOptions {
  const metrics = values.metrics;
  if (metrics !== undefined && metrics !== 'fast' && metrics !== 'exact') throw new CaudalError('usage', `--metrics expects fast or exact, got "${metrics}"`);
  return { threads: parseThreads(values.threads), memoryLimit: parseMemoryLimit(values['memory-limit']), metrics, wait: values.wait === true ? true : undefined };
}
