import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { ResolvedConnection } from '../../nodes/define.js';
import { tempFolderPrefix } from '../../engine/commit/recover.js';
import { secretEnvName } from '../../secrets/env-store.js';
import { self } from '../../util/owner.js';
import type { SparkJob } from './job.js';
import { sparkSubmitPath } from './python.js';
import { writeSparkJob } from './write-job.js';

export interface SparkRunEvent {
  type: string;
  nodeId?: string;
  message?: string;
  [k: string]: unknown;
}

export interface SparkSubmitOptions {
  master: string;
  /** spark-submit to use (default: see sparkSubmitPath). */
  sparkSubmit?: string;
  /** Extra Spark settings (--conf key=value). */
  conf?: string[];
  /** Where result.json and quality.json go. */
  reportDir: string;
  /** The connections the job uses, with their secrets: passed to spark-submit's environment only. */
  connections?: Record<string, ResolvedConnection>;
  /**
   * The run's id (staging names) and commit journal: the driver keeps the journal, so that what it
   * staged is undone, or its decided commit completed, when it dies (cli/spark.ts recovers it).
   */
  run?: { id: string; journal: string; baseDir: string };
  /** Wait while another run loads a database table the job writes, instead of failing at once (busy, exit 75). */
  waitForLocks?: boolean;
  onEvent(e: SparkRunEvent): void;
  onLog?(line: string): void;
  signal?: AbortSignal;
}

export interface SparkRunResult {
  exitCode: number;
  status: 'succeeded' | 'failed' | 'cancelled';
  error?: { kind: string; message: string; nodeId?: string };
}

/**
 * Writes the job to a temp folder and submits it with spark-submit (client mode, so the job's events
 * come back on stdout). Secrets reach the job through the child's environment
 * (CAUDAL_SECRET_<CONNECTION>_<FIELD>), never through a file or the command line.
 */
export async function submitSparkJob(job: SparkJob, opts: SparkSubmitOptions): Promise<SparkRunResult> {
  // A temp folder named for this process: a run killed before it removed it has it swept later.
  const dir = await mkdtemp(tempFolderPrefix());
  try {
    await writeSparkJob(job, dir);
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const [name, c] of Object.entries(opts.connections ?? {})) {
      for (const [field, value] of Object.entries(c.config)) if (field === 'password' && typeof value === 'string') env[secretEnvName(name, field)] = value;
    }
    // pyspark from PyPI: the driver and the workers run the Python that has pyspark.
    if (process.env.CAUDAL_SPARK_PYTHON) env.PYSPARK_PYTHON ??= process.env.CAUDAL_SPARK_PYTHON;
    Object.assign(env, await sparkTempEnv(dir, process.env));
    const args = [
      '--master', opts.master,
      ...(job.packages.length > 0 ? ['--packages', job.packages.join(',')] : []),
      ...(opts.conf ?? []).flatMap((c) => ['--conf', c]),
      path.join(dir, 'caudal_spark.py'), path.join(dir, 'job.json'), '--report-dir', opts.reportDir,
      ...(opts.run ? ['--run-id', opts.run.id, '--journal', opts.run.journal, '--owner-host', self.host, '--base-dir', opts.run.baseDir, '--caller-pid', String(process.pid)] : []),
      ...(opts.waitForLocks ? ['--wait-for-locks'] : []),
    ];
    const child = spawn(sparkSubmitPath(opts.sparkSubmit), args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const onAbort = () => child.kill('SIGTERM');
    opts.signal?.addEventListener('abort', onAbort);
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith('{')) {
        try {
          opts.onEvent(JSON.parse(line) as SparkRunEvent);
          return;
        } catch {
          // not an event: a line some library printed
        }
      }
      opts.onLog?.(line);
    });
    createInterface({ input: child.stderr }).on('line', (line) => opts.onLog?.(line));
    const exitCode = await new Promise<number>((resolve, reject) => {
      child.on('error', (e) => reject(new Error(`cannot start spark-submit (${e.message}): install Spark, set SPARK_HOME, or pass --spark-submit`)));
      child.on('close', (code) => resolve(code ?? 1));
    });
    opts.signal?.removeEventListener('abort', onAbort);
    const result = await readFile(path.join(opts.reportDir, 'result.json'), 'utf8').then((t) => readResult(t, exitCode), () => undefined);
    if (result) return { exitCode, status: result.status, ...(result.error ? { error: result.error } : {}) };
    const killed = exitCode === 137 ? ' (the driver was killed)' : '';
    return { exitCode: exitCode === 0 ? 1 : exitCode, status: 'failed', error: { kind: 'execution', message: `spark-submit exited ${exitCode}${killed} before the job reported a result; set CAUDAL_SPARK_LOG=1 to see its log` } };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Spark's own temp files go into the run's temp folder: the local JVM's (spark-submit's and, in client
 * mode, the driver's: shuffle and spill files under blockmgr-*, spark-* folders; with a local master
 * that is every executor too) through its java.io.tmpdir, which is Spark's local dir unless
 * spark.local.dir or SPARK_LOCAL_DIRS names one, and the Python driver's (its session folder) through
 * TMPDIR. A run killed outright (its whole process group) then leaves them only in that folder, which
 * the next run, `caudal doctor` and `caudal clean` know as a dead run's (tempFolderPrefix); Java's
 * default, /tmp, would keep them for good. A java.io.tmpdir the user gives (SPARK_SUBMIT_OPTS, the
 * driver's Java options) comes later on the command line, so it still wins.
 */
export async function sparkTempEnv(runDir: string, parent: NodeJS.ProcessEnv): Promise<NodeJS.ProcessEnv> {
  const tmp = path.join(runDir, 'tmp');
  await mkdir(tmp, { recursive: true });
  // spark-submit's launcher splits SPARK_SUBMIT_OPTS as a shell would: quoted, for a path with spaces.
  const option = `"-Djava.io.tmpdir=${tmp.replace(/["\\]/g, (c) => `\\${c}`)}"`;
  return { TMPDIR: tmp, SPARK_SUBMIT_OPTS: parent.SPARK_SUBMIT_OPTS ? `${option} ${parent.SPARK_SUBMIT_OPTS}` : option };
}

/**
 * The job's result.json. A report that does not parse (a driver of an older Caudal wrote bare NaN
 * into a quality sample) must not turn a committed run into a failed one, which a scheduler would
 * retry, loading the rows again: the status is then taken from the text, or from the driver's exit
 * code (0 only when the run succeeded).
 */
export function readResult(text: string, exitCode: number): SparkRunResult {
  try {
    const parsed = JSON.parse(text) as Partial<SparkRunResult>;
    if (parsed.status === 'succeeded' || parsed.status === 'failed' || parsed.status === 'cancelled') return parsed as SparkRunResult;
  } catch {
    // read below
  }
  // The summary's own status comes before its nodes and quality results (caudal_spark.py's run_job).
  const status = /"status"\s*:\s*"(succeeded|failed|cancelled)"/.exec(text)?.[1] as SparkRunResult['status'] | undefined;
  if (status === 'succeeded' || (status === undefined && exitCode === 0)) return { exitCode, status: 'succeeded' };
  const error = /"error"\s*:\s*\{\s*"kind"\s*:\s*"(\w+)"\s*,\s*"message"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(text);
  let message = `the job's report (result.json) cannot be read; spark-submit exited ${exitCode}`;
  try {
    if (error) message = JSON.parse(`"${error[2]}"`) as string;
  } catch {
    // the text as written
    message = error?.[2] ?? message;
  }
  return { exitCode, status: status ?? 'failed', error: { kind: error?.[1] ?? (status === 'cancelled' ? 'cancelled' : 'execution'), message } };
}
