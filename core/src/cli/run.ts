import path from 'node:path';
import { startRun } from '../engine/engine.js';
import { parse, parseParams, refuseGiven, type OptionName } from './args.js';
import { engineContext, otherProjectsContext } from './engine-context.js';
import { exitCleanlyOnLateSignals } from './late-signals.js';
import { EXIT } from './exit-codes.js';
import type { Io } from './io.js';
import { checkNodeIds, engineOptions, loadOrExplain } from './pipeline-args.js';
import { ProgressPrinter } from './progress.js';
import { formatPlan } from './explain.js';
import { checkFolderOption } from './folder-option.js';
import type { NodeSummary, PlanStep } from '../engine/protocol.js';
import { defaultArtifactsDir } from '../engine/run-dirs.js';
import { isSafeRunId } from '../host/run-history.js';
import { newRunId, RunRecorder } from '../host/run-recorder.js';
import { CaudalError } from '../util/errors.js';
import { chosenEngine, runOnSpark } from './spark.js';

/** Every option `caudal run` reads, on either engine (docs/cli.md lists the same). */
const RUN_OPTIONS = [
  'param', 'project', 'threads', 'memory-limit', 'json', 'quiet', 'node', 'wait', 'explain', 'watch', 'metrics', 'state-dir', 'artifacts-dir',
  'run-id', 'job', 'trigger', 'attempt', 'slot', 'engine', 'master', 'spark-submit', 'conf',
] as const satisfies readonly OptionName[];
/** Read only by the DuckDB engine: a Spark run has its own run id and record, and Spark's settings. */
const DUCKDB_ONLY = ['threads', 'memory-limit', 'metrics', 'explain', 'run-id', 'job', 'trigger', 'attempt', 'slot'] as const satisfies readonly OptionName[];
const SPARK_ONLY = ['master', 'spark-submit', 'conf'] as const satisfies readonly OptionName[];

/** `caudal run <pipeline.json>`: the whole pipeline (or --node and its upstream), all sinks atomically. */
export async function runCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args, { positionals: 1, only: RUN_OPTIONS, command: 'run' });
  // Before the pipeline loads: a Spark option on a DuckDB run (or the reverse) would be ignored.
  if (chosenEngine(values) === 'spark') refuseGiven(values, DUCKDB_ONLY, 'for the DuckDB engine only, not with --engine spark', (g) => `leave out ${g}, or run without --engine spark`);
  else refuseGiven(values, SPARK_ONLY, 'for --engine spark only: this run would be on DuckDB, here', (g) => `add --engine spark, or leave out ${g}`);
  // The scheduler and Airflow set them with --job; without it no run record would carry them.
  if (values.job === undefined) refuseGiven(values, ['trigger', 'attempt', 'slot'], 'recorded with --job only', (g) => `add --job NAME, or leave out ${g}`);
  const { pipeline, baseDir } = await loadOrExplain(positionals[0]);
  checkNodeIds(pipeline, values.node, positionals[0]!);
  await checkFolderOption('--artifacts-dir', values['artifacts-dir']);
  await checkFolderOption('--state-dir', values['state-dir']);
  if (chosenEngine(values) === 'spark') return await runOnSpark(pipeline, baseDir, positionals[0]!, values, io);
  const printer = new ProgressPrinter(io.stderr, !!values.quiet);
  const runId = values['run-id'] ?? newRunId();
  if (!isSafeRunId(runId)) throw new CaudalError('usage', `--run-id expects letters, digits, _ and - (at most 128), got "${runId}"`);
  const params = parseParams(values.param);
  const dir = values['artifacts-dir'] === undefined ? defaultArtifactsDir(baseDir, runId) : path.resolve(values['artifacts-dir']);
  // Every run is recorded like the studio's: run.json + events.jsonl in its folder.
  const recorder = await RunRecorder.begin({ runId, pipeline: pipeline.name, pipelinePath: path.resolve(positionals[0]!), targets: values.node ?? [], params, dir, ...jobFields(values) });
  let plan: PlanStep[] | undefined;
  const finished = new Map<string, NodeSummary>();
  const handle = startRun({
    runId,
    pipeline,
    baseDir,
    pipelineFile: path.resolve(positionals[0]!),
    params,
    options: engineOptions(values),
    targets: values.node,
    ...(await engineContext(pipeline, baseDir, values)),
    ...(await otherProjectsContext(baseDir)),
    artifactsDir: dir,
    watch: values.watch === true ? true : undefined,
    onEvent: (e) => {
      if (e.type === 'plan') plan = e.nodes;
      if (e.type === 'node_finished') finished.set(e.nodeId, e);
      recorder.event(e);
      if (values.json) io.stdout.write(JSON.stringify(e) + '\n');
      else printer.handle(e);
    },
  });
  const stop = stopOnSignals(handle, io, !values.json && !values.quiet, values.watch === true);
  let code: number | undefined;
  try {
    code = await outcome();
    return code;
  } finally {
    // Known now, so a signal that arrives while the process winds down exits with the run's own code.
    if (code !== undefined) process.exitCode = code;
    stop.off();
  }

  async function outcome(): Promise<number> {
    const summary = await handle.done.catch(async (e: unknown) => {
      await recorder.crashed(e);
      throw e;
    });
    await recorder.finished(summary);
    // With --json the plan is already on stdout as its own event.
    if (values.explain && plan && !values.json) io.stderr.write(`\n${formatPlan(plan, finished)}\n`);
    if (summary.status === 'succeeded') return EXIT.ok;
    if (summary.status === 'cancelled') return stop.signal === 'SIGTERM' ? EXIT.terminated : EXIT.cancelled;
    if (summary.error?.kind === 'quality') return EXIT.qualityFailed;
    if (summary.error?.kind === 'busy') return EXIT.busy;
    return summary.error?.kind === 'validation' ? EXIT.invalid : EXIT.runFailed;
  }
}

/** `--job/--trigger/--attempt/--slot`: set by the scheduler so the run's record names its job. */
function jobFields(values: { job?: string; trigger?: string; attempt?: string; slot?: string }) {
  if (values.job === undefined) return {};
  const trigger = values.trigger ?? 'manual';
  if (!['schedule', 'catchup', 'dependency', 'manual'].includes(trigger)) throw new CaudalError('usage', `--trigger expects schedule, catchup, dependency or manual, got "${trigger}"`);
  const attempt = values.attempt === undefined ? 1 : Number(values.attempt);
  if (!Number.isInteger(attempt) || attempt < 1) throw new CaudalError('usage', `--attempt expects a positive whole number, got "${values.attempt}"`);
  return { job: values.job, trigger: trigger as 'schedule', attempt, slot: values.slot ?? null };
}

/** How long a second Ctrl-C / SIGTERM waits for the cancelled run to clean up before exiting anyway. */
const FORCED_EXIT_GRACE_MS = 3_000;

/**
 * Ctrl-C (SIGINT) and SIGTERM (systemd, CI, container stops) cancel the run: every destination stays
 * as it was. A `--watch` run first finishes and commits its current batch (the next signal rolls
 * that batch back instead). The last signal stops waiting for the cleanup after a short grace
 * period; whatever is left then (a temp folder, a staging table) carries the run's owner and is
 * removed by the next run or `caudal clean`. Exit codes: 130 after SIGINT, 143 after SIGTERM.
 */
function stopOnSignals(handle: { cancel(): void; stop(): void; done: Promise<unknown> }, io: Io, verbose: boolean, watch: boolean): { signal?: NodeJS.Signals; off(): void } {
  const state: { signal?: NodeJS.Signals; off(): void } = { off: () => {} };
  const steps: Array<'stop' | 'cancel' | 'exit'> = watch ? ['stop', 'cancel', 'exit'] : ['cancel', 'exit'];
  let count = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    const step = steps[Math.min(count, steps.length - 1)];
    count++;
    state.signal ??= signal;
    const code = state.signal === 'SIGTERM' ? EXIT.terminated : EXIT.cancelled;
    const again = signal === 'SIGINT' ? 'press Ctrl-C again' : 'signal again';
    if (step === 'stop') {
      if (verbose) io.stderr.write(`\nstopping after the current batch… (${again} to roll it back instead)\n`);
      handle.stop();
    } else if (step === 'cancel') {
      if (verbose) io.stderr.write(`\ncancelling… (${again} to stop waiting for the cleanup)\n`);
      handle.cancel();
    } else if (count === steps.length) {
      io.stderr.write('stopping now…\n');
      const timer = setTimeout(() => {
        io.stderr.write('caudal: the cleanup did not finish in time; what is left is removed by the next run or `caudal clean`\n');
        process.exit(code);
      }, FORCED_EXIT_GRACE_MS);
      void handle.done.finally(() => {
        clearTimeout(timer);
        process.exit(code);
      });
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  state.off = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    // The run's cleanup is done: a signal still to come exits with the run's code.
    if (state.signal) exitCleanlyOnLateSignals(state.signal === 'SIGTERM' ? EXIT.terminated : EXIT.cancelled);
  };
  return state;
}

