import path from 'node:path';
import type { Pipeline } from '../model/schema.js';
import { CaudalError } from '../util/errors.js';
import { parseParams, type parse } from './args.js';
import { engineContext, otherProjectsContext } from './engine-context.js';
import { EXIT } from './exit-codes.js';
import { formatProblems } from './format.js';
import type { Io } from './io.js';

type Values = ReturnType<typeof parse>['values'];

/** `--engine duckdb|spark`: which engine runs or checks the pipeline (default duckdb). */
export function chosenEngine(values: Values): 'duckdb' | 'spark' {
  const e = values.engine ?? 'duckdb';
  if (e !== 'duckdb' && e !== 'spark') throw new CaudalError('usage', `--engine expects duckdb or spark, got "${e}"`);
  return e;
}

/** `caudal validate --engine spark`: everything validate checks, plus what has no Spark form. */
export async function validateForSpark(pipeline: Pipeline, baseDir: string, file: string, values: Values, io: Io): Promise<number> {
  const { exportSpark } = await import('../targets/spark/export.js');
  const result = await exportSpark(pipeline, { baseDir, params: parseParams(values.param), ...(await engineContext(pipeline, baseDir, values)) });
  const problems = result.problems;
  if (values.json) io.stdout.write(JSON.stringify({ valid: problems.length === 0, engine: 'spark', problems, warnings: result.warnings }) + '\n');
  else if (problems.length === 0) {
    if (!values.quiet) io.stdout.write(`✔ ${file} can run on Spark (${pipeline.nodes.length} nodes translated; expressions by sqlglot ${result.job?.createdBy.sqlglot ?? ''})\n`);
  } else io.stderr.write(`✘ ${file} cannot run on Spark: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n${formatProblems(problems)}\n`);
  return problems.length === 0 ? EXIT.ok : EXIT.invalid;
}

/**
 * `caudal run --engine spark --master <url>`: exports the job and submits it with spark-submit,
 * printing its progress; the exit codes are the DuckDB engine's.
 */
export async function runOnSpark(pipeline: Pipeline, baseDir: string, file: string, values: Values, io: Io): Promise<number> {
  if (!values.master) throw new CaudalError('usage', '--engine spark needs --master (e.g. local[2], yarn, spark://host:7077, k8s://https://…)');
  if (values.node?.length || values.watch) throw new CaudalError('usage', '--node and --watch are not available with --engine spark');
  const { exportSpark } = await import('../targets/spark/export.js');
  const { submitSparkJob } = await import('../targets/spark/submit.js');
  const context = await engineContext(pipeline, baseDir, values);
  const exported = await exportSpark(pipeline, { baseDir, params: parseParams(values.param), ...context });
  if (!exported.job) throw new CaudalError('validation', `${file} cannot run on Spark:\n${formatProblems(exported.problems)}`, { problems: exported.problems });
  const { newSparkRun, recoverKilledRuns, recoverSparkRun } = await import('./spark-recovery.js');
  const run = newSparkRun();
  const reportDir = values['artifacts-dir'] ? path.resolve(values['artifacts-dir']) : path.join(baseDir, '.caudal', 'runs', `spark-${run.id}`);
  const quiet = !!values.quiet;
  const warn = (message: string) => {
    if (values.json) io.stdout.write(JSON.stringify({ type: 'warning', message }) + '\n');
    else io.stderr.write(`! ${message}\n`);
  };
  await recoverKilledRuns(context.connections, warn, baseDir, (await otherProjectsContext(baseDir)).recoveryConnections);
  const abort = new AbortController();
  let stoppedBy: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    stoppedBy ??= signal;
    abort.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // 130 after Ctrl-C, 143 after SIGTERM (systemd, Airflow, containers), as a DuckDB run exits.
  const cancelled = () => (stoppedBy === 'SIGTERM' ? EXIT.terminated : EXIT.cancelled);
  // One run at a time per pipeline and per destination, on either engine (engine/commit/locks.ts).
  const { RunLocks } = await import('../engine/commit/locks.js');
  const { defaultStateDir } = await import('../engine/run-dirs.js');
  const stateDir = context.stateDir ?? defaultStateDir(baseDir);
  let locks: Awaited<ReturnType<typeof RunLocks.acquire>> | undefined;
  try {
    locks = await RunLocks.acquire([{ key: `pipeline:${stateDir}:${pipeline.name}`, label: `pipeline '${pipeline.name}'` }, ...(exported.destinations ?? [])], {
      runId: run.id,
      pipeline: pipeline.name,
      wait: values.wait === true,
      isCancelled: () => abort.signal.aborted,
      log: (m) => {
        if (!quiet && !values.json) io.stderr.write(`${m}\n`);
      },
    });
    const result = await submitSparkJob(exported.job, {
      master: values.master,
      sparkSubmit: values['spark-submit'],
      conf: values.conf,
      reportDir,
      connections: context.connections,
      run: { id: run.id, journal: run.journal, baseDir },
      waitForLocks: values.wait === true,
      signal: abort.signal,
      onEvent(e) {
        if (values.json) io.stdout.write(JSON.stringify(e) + '\n');
        else if (quiet) return;
        else if (e.type === 'node_finished') io.stderr.write(`✔ ${e.nodeId}${typeof e.rowsWritten === 'number' ? `  ${e.rowsWritten.toLocaleString('en-US')} rows written` : ''}  ${String(e.seconds)} s\n`);
        else if (e.type === 'warning') io.stderr.write(`! ${e.message}\n`);
        else if (e.type === 'run_started') io.stderr.write(`▶ ${pipeline.name} on Spark (${values.master})\n`);
      },
      onLog: (line) => {
        if (!quiet && !values.json && process.env.CAUDAL_SPARK_LOG) io.stderr.write(`${line}\n`);
      },
    });
    const recovered = await recoverSparkRun(run, context.connections, warn);
    // The driver died after deciding the commit, and the recovery completed it: every destination
    // holds the new data, so a retry (a scheduler's) must not load it again.
    const completed = recovered?.action === 'rolled forward' && recovered.pending.length === 0;
    if (result.status === 'succeeded' || completed) {
      if (!quiet && !values.json) io.stderr.write(completed ? `✔ run committed on Spark: its driver stopped after deciding the commit, which was completed here\n` : `✔ run succeeded on Spark; report in ${reportDir}\n`);
      return EXIT.ok;
    }
    if (abort.signal.aborted) {
      // The job's own error is then a consequence (its SparkContext shut down under it).
      if (!values.json) io.stderr.write(`caudal: cancelled; nothing was committed${recovered?.pending.length ? ' (see the warnings above for what is left)' : ''}\n`);
      return cancelled();
    }
    if (!values.json) io.stderr.write(`caudal: ${result.error?.message ?? 'the Spark job failed'}\n`);
    if (result.status === 'cancelled') return cancelled();
    if (result.error?.kind === 'busy') return EXIT.busy;
    return result.error?.kind === 'quality' ? EXIT.qualityFailed : result.error?.kind === 'validation' || result.error?.kind === 'usage' ? EXIT.invalid : EXIT.runFailed;
  } finally {
    await locks?.release();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
