import path from 'node:path';
import { CaudalError } from '../util/errors.js';
import { parse, parseParams } from './args.js';
import { engineContext } from './engine-context.js';
import { EXIT } from './exit-codes.js';
import { formatProblems } from './format.js';
import { checkGeneratedTargets, checkJobFolder } from './generated-files.js';
import type { Io } from './io.js';
import { loadOrExplain } from './pipeline-args.js';

/** `caudal export spark <pipeline.json> -o <dir>`: a PySpark job that does what the DuckDB engine does. */
export async function exportSparkCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args, { positionals: 1, only: ['out', 'param', 'project', 'state-dir', 'json', 'force', 'quiet'], command: 'export spark' });
  const file = positionals[0];
  if (!values.out) throw new CaudalError('usage', 'missing -o <dir>: where to write the job');
  const { pipeline, baseDir } = await loadOrExplain(file);
  const { exportSpark } = await import('../targets/spark/export.js');
  const { sparkJobFiles, writeSparkJob } = await import('../targets/spark/write-job.js');
  const result = await exportSpark(pipeline, { baseDir, params: parseParams(values.param), ...(await engineContext(pipeline, baseDir, values)) });
  if (!result.job) {
    if (values.json) io.stdout.write(JSON.stringify({ ok: false, problems: result.problems }) + '\n');
    else io.stderr.write(`✘ ${file} cannot run on Spark: ${result.problems.length} problem${result.problems.length === 1 ? '' : 's'}\n${formatProblems(result.problems)}\n`);
    return EXIT.invalid;
  }
  const dir = path.resolve(values.out);
  await checkJobFolder(dir);
  await checkGeneratedTargets(sparkJobFiles(dir), values.force === true);
  const files = await writeSparkJob(result.job, dir);
  if (values.json) io.stdout.write(JSON.stringify({ ok: true, dir, files, steps: result.job.steps.length }) + '\n');
  else if (!values.quiet) io.stdout.write(`✔ wrote a Spark job for ${file} to ${dir} (${result.job.steps.length} steps)\n  run it with: ${path.join(dir, 'run.sh')} --master <url>\n`);
  return EXIT.ok;
}
