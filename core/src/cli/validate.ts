import path from 'node:path';
import { inspect } from '../engine/engine.js';
import { CaudalError } from '../util/errors.js';
import { parse, parseParams, refuseGiven } from './args.js';
import { engineContext } from './engine-context.js';
import { EXIT } from './exit-codes.js';
import { formatProblems } from './format.js';
import type { Io } from './io.js';
import { engineOptions } from './pipeline-args.js';
import { loadPipelineArg } from './pipeline-file.js';
import { chosenEngine, validateForSpark } from './spark.js';

/** `caudal validate <pipeline.json>`: every problem at once, against the real inputs' schemas. */
export async function validateCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args, { positionals: 1, only: ['param', 'project', 'threads', 'memory-limit', 'state-dir', 'json', 'quiet', 'engine'], command: 'validate' });
  // The Spark check translates the pipeline; it runs no DuckDB query that threads or memory would size.
  if (chosenEngine(values) === 'spark') refuseGiven(values, ['threads', 'memory-limit'], 'for the DuckDB engine only, not with --engine spark', (g) => `leave out ${g}`);
  const file = positionals[0];
  if (!file) throw new CaudalError('usage', 'missing the pipeline file argument');
  const loaded = await loadPipelineArg(file);
  const abs = loaded.abs;
  let problems = loaded.problems;
  let warnings: Array<{ nodeId: string; message: string }> = [];
  let nodes = 0;
  if (loaded.pipeline && chosenEngine(values) === 'spark') return await validateForSpark(loaded.pipeline, path.dirname(abs), file, values, io);
  if (loaded.pipeline) {
    const baseDir = path.dirname(abs);
    const result = await inspect({ pipeline: loaded.pipeline, baseDir, params: parseParams(values.param), options: engineOptions(values), ...(await engineContext(loaded.pipeline, baseDir, values)) });
    problems = result.problems;
    warnings = result.warnings ?? [];
    nodes = result.nodes.length;
  }
  if (values.json) {
    io.stdout.write(JSON.stringify({ valid: problems.length === 0, problems, warnings, migrationsApplied: loaded.migrationsApplied }) + '\n');
  } else if (problems.length === 0) {
    for (const w of warnings) if (!values.quiet) io.stderr.write(`! ${w.message}\n`);
    if (!values.quiet) io.stdout.write(`✔ ${file} is valid (${nodes} nodes checked against their inputs' schemas)\n`);
  } else {
    io.stderr.write(`✘ ${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n${formatProblems(problems)}\n`);
  }
  if (problems.length === 0) return EXIT.ok;
  // Only services that could not be asked: nothing is known to be wrong with the pipeline.
  return problems.every((p) => p.code === 'unavailable') ? EXIT.runFailed : EXIT.invalid;
}
