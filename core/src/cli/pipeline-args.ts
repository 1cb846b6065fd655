import type { EngineOptions } from '../engine/protocol.js';
import type { Pipeline } from '../model/schema.js';
import { CaudalError } from '../util/errors.js';
import { didYouMean } from '../util/suggest.js';
import { parseMemoryLimit, parseThreads } from './args.js';
import { formatProblems } from './format.js';
import { loadPipelineArg } from './pipeline-file.js';

/**
 * The pipeline file argument, loaded; a pipe or a device is refused (checkPipelineFile), and a
 * file that does not load is an invalid pipeline (exit 2).
 */
export async function loadOrExplain(file: string | undefined): Promise<{ pipeline: Pipeline; baseDir: string }> {
  const loaded = await loadPipelineArg(file);
  if (!loaded.pipeline) {
    throw new CaudalError('validation', `${file} is not a valid pipeline:\n${formatProblems(loaded.problems)}`, { problems: loaded.problems });
  }
  return { pipeline: loaded.pipeline, baseDir: loaded.baseDir };
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
