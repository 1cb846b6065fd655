import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { airflowDag, isGeneratedDag, STATELESS_PODS, type AirflowOperator } from '../scheduler/airflow/export.js';
import { loadProject } from '../scheduler/load-project.js';
import { PROJECT_FILE, type Project } from '../scheduler/project.js';
import { loadPipelineFile } from '../model/load.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { CaudalError } from '../util/errors.js';
import { parse } from './args.js';
import { EXIT } from './exit-codes.js';
import { checkGeneratedTargets } from './generated-files.js';
import type { Io } from './io.js';
import { checkPipelineFile } from './pipeline-file.js';

/** `caudal export airflow <caudal.project.json | pipeline.json> [-o dag.py] [--operator bash|kubernetes] [--project-root DIR] [--image IMG] [--state-claim PVC]`. */
export async function exportAirflowCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args, { positionals: 1, only: ['out', 'operator', 'project-root', 'image', 'state-claim', 'force', 'quiet'], command: 'export airflow' });
  const file = positionals[0];
  if (!file) throw new CaudalError('usage', 'export airflow needs a project or pipeline file');
  const operator = (values.operator ?? 'bash') as AirflowOperator;
  if (operator !== 'bash' && operator !== 'kubernetes') throw new CaudalError('usage', `--operator expects bash or kubernetes, got "${values.operator}"`);
  // The BashOperator form runs `caudal` on the workers: an image given to it would be ignored.
  if (values.image !== undefined && operator !== 'kubernetes') throw new CaudalError('usage', '--image is for --operator kubernetes (the bash form runs caudal on the workers)', { hint: 'add --operator kubernetes, or leave --image out' });
  const stateClaim = values['state-claim'];
  if (stateClaim !== undefined && operator !== 'kubernetes') throw new CaudalError('usage', '--state-claim is for --operator kubernetes (the bash form keeps state in the project folder on the workers)', { hint: 'add --operator kubernetes, or leave --state-claim out' });
  // Kubernetes' rule for object names (a DNS subdomain), checked here rather than when the first pod fails to start.
  if (stateClaim !== undefined && !/^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(stateClaim)) {
    throw new CaudalError('usage', `--state-claim expects the name of a PersistentVolumeClaim (lower-case letters, digits, '-' and '.', at most 253), got "${stateClaim}"`, { hint: 'e.g. --state-claim caudal-state' });
  }
  const project = await projectOf(await checkPipelineFile(file, 'pipeline or project'));
  const text = await airflowDag(project, {
    operator,
    projectRoot: values['project-root'],
    image: values.image,
    stateClaim,
    source: ['caudal export airflow', path.basename(file), ...(operator === 'kubernetes' ? ['--operator kubernetes'] : []), ...(stateClaim !== undefined ? ['--state-claim', stateClaim] : [])].join(' '),
  });
  if (operator === 'kubernetes' && stateClaim === undefined && !values.quiet) io.stderr.write(`! ${STATELESS_PODS}\n`);
  if (values.out) {
    // Often straight into Airflow's dags folder, which its scheduler parses at any moment, and
    // where a DAG of the same name may be someone's own.
    await checkGeneratedTargets([{ file: path.resolve(values.out), isGenerated: isGeneratedDag }], values.force === true);
    await writeFileAtomic(path.resolve(values.out), text);
    if (!values.quiet) io.stderr.write(`✔ wrote ${path.resolve(values.out)}: copy it into Airflow's dags folder\n`);
  } else io.stdout.write(text);
  return EXIT.ok;
}

/** A project file, or a pipeline as a one-job project run on demand. */
async function projectOf(file: string): Promise<Project> {
  const text = await readFile(file, 'utf8').catch(() => {
    throw new CaudalError('usage', `cannot read ${file}: no such file`);
  });
  if (/"format"\s*:\s*"caudal\.project\//.test(text) || path.basename(file) === PROJECT_FILE) return loadProject(file);
  const loaded = await loadPipelineFile(file);
  if (!loaded.pipeline) throw new CaudalError('validation', `${file} is neither a project nor a valid pipeline: ${loaded.problems[0]?.message}`);
  const name = path.basename(file, '.json').replace(/[^A-Za-z0-9_-]+/g, '_').replace(/^[^A-Za-z]+/, '') || 'pipeline';
  return {
    file,
    dir: path.dirname(file),
    name: loaded.pipeline.name,
    timezone: 'UTC',
    maxParallelRuns: 1,
    jobs: [{ name, pipeline: file, params: {}, schedule: null, timezone: 'UTC', dependsOn: [], paused: false, retries: { count: 0, delay_s: 60, backoff: 2, max_delay_s: 3600 }, timeoutS: null, catchup: 'skip', onOverlap: 'skip', alerts: { channels: [], on_failure: true } }],
    alerts: {},
    history: { max_age_days: 30, max_total_mb: 1024, keep_last: 5 },
    logs: { max_file_mb: 10, keep_files: 5 },
  };
}
