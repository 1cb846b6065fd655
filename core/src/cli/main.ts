import path from 'node:path';
import { inspect, previewPipeline, startRun } from '../engine/engine.js';
import type { EngineOptions } from '../engine/protocol.js';
import { loadPipelineFile } from '../model/load.js';
import type { Pipeline } from '../model/schema.js';
import { CaudalError, errorMessage } from '../util/errors.js';
import { packageVersion } from '../util/package-root.js';
import { parse, parseMemoryLimit, parseParams, parseThreads } from './args.js';
import { EXIT } from './exit-codes.js';
import { formatMs, formatProblems, formatTable } from './format.js';
import { ProgressPrinter } from './progress.js';
import { connectionsCommand } from './connections.js';
import { engineContext } from './engine-context.js';
import { stateCommand } from './state.js';
import { profileCommand } from './profile.js';
import { serveCommand } from './serve.js';
import { cleanCommand } from './clean.js';
import { scheduleCommand } from './schedule.js';
import { jobsCommand } from './jobs.js';
import { alertsCommand } from './alerts.js';
import { exportCommand } from './export.js';
import { defaultArtifactsDir } from '../engine/run-dirs.js';
import { isSafeRunId } from '../host/run-history.js';
import { newRunId, RunRecorder } from '../host/run-recorder.js';

const HELP = `caudal — run Caudal pipelines headless

Usage:
  caudal run <pipeline.json> [options]          run the pipeline (all sinks, atomically)
  caudal validate <pipeline.json> [options]     check structure, params and every expression against the data's schema
  caudal preview <pipeline.json> --node <id>    show the first rows of a node's output (sinks never run)
  caudal sql <pipeline.json> --node <id>        show the DuckDB SQL a node compiles to
  caudal profile <pipeline.json> --node <id>    profile a node's output per column (sampled; --exact for all rows)
  caudal connections list|add|test|remove       manage named connections (secrets in the OS keychain)
  caudal state show|reset|set <pipeline.json>   incremental watermarks kept between runs (--node, --value)
  caudal serve [pipeline.json] [--port N]       the studio in a browser (127.0.0.1 only, URL with a token)
  caudal doctor | clean [pipeline.json]         show / clean up what killed runs left (journals, temp folders, locks)
  caudal schedule [caudal.project.json]         run the project's jobs on their schedules (foreground; SIGTERM waits for running jobs)
  caudal jobs list|run|history|pause|resume|prune   inspect and run the project's jobs (-f project file)
  caudal alerts set-secret|test <channel>       store an alert channel's secret in the keychain / send a test alert
  caudal export airflow <project|pipeline.json> write an Apache Airflow DAG (--operator bash|kubernetes, -o file)
  caudal --version

Options:
  -p, --param key=value   set a pipeline param (repeatable)
      --json              machine-readable output (run: one JSON event per line)
  -q, --quiet             print only errors
      --threads N         DuckDB threads (default: all cores)
      --memory-limit SIZE DuckDB memory limit, e.g. 512MB (default: 80% of RAM); larger work spills to disk
      --wait              run: when another run holds the pipeline or a destination, wait for it instead of exiting with 75
      --metrics MODE      run: fast (default, count rows at materialized steps and sinks) | exact (count every node)
      --node id           run: only this node and its upstream (repeatable); preview/sql: the node to show
      --port name         preview: output port (default: the node's first, e.g. out; rejects)
      --limit N           preview: rows to show (default 20)
      --type T            connections add: the connection type (postgres)
      --set key=value     connections add: a non-secret field, e.g. host=db.local (repeatable)
      --project DIR       connections, run: use DIR/caudal.connections.json on top of the user's file (run: default the pipeline's folder)
      --artifacts-dir DIR run: where quality.json/quality.html go (default <pipeline folder>/.caudal/runs/<run id>)
      --state-dir DIR     run, state: state kept between runs: watermarks, quality history (default <pipeline folder>/.caudal/state)
      --value V           state set: the new watermark
      --exact             profile: read every row (default: a fast sample, labelled as such)
      --sample N          profile: rows to sample (default 20000): the first N rows read, fast
      --random            profile: a random sample instead of the first rows (reads every row to choose)
      --html FILE         profile: also write a self-contained HTML profile
      --port N            serve: port on 127.0.0.1 (default 4817; 0 picks a free one)
  -f, --file FILE         jobs, alerts: the project file (default: caudal.project.json here or in a parent folder)
  -o, --out FILE          export: write the DAG there (default: standard output)
      --operator KIND     export airflow: bash (BashOperator on the workers, default) or kubernetes (KubernetesPodOperator)
      --project-root DIR  export airflow: the project's folder on the workers / in the image
      --image IMAGE       export airflow --operator kubernetes: the runner image with the project in it
      --run-id ID         run: the run's id (its folder name); --job/--trigger/--attempt/--slot: recorded in run.json (the scheduler sets them)
      --open              serve: open the studio in the default browser

Exit codes: 0 ok, 1 run failed, 2 invalid pipeline or usage, 3 a quality check with severity error failed, 75 busy (another run holds the pipeline or a destination), 130 cancelled (Ctrl-C), 143 stopped by SIGTERM.
Docs: docs/cli.md`;

interface Io {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

export async function main(argv: string[], io: Io = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'run':
        return await runCommand(rest, io);
      case 'validate':
        return await validateCommand(rest, io);
      case 'preview':
        return await previewCommand(rest, io);
      case 'sql':
        return await sqlCommand(rest, io);
      case 'profile':
        return await profileCommand(rest, io);
      case 'connections':
        return await connectionsCommand(rest, io);
      case 'state':
        return await stateCommand(rest, io);
      case 'serve':
        return await serveCommand(rest, io);
      case 'doctor':
        return await cleanCommand(rest, io, false);
      case 'clean':
        return await cleanCommand(rest, io, true);
      case 'schedule':
        return await scheduleCommand(rest, io);
      case 'jobs':
        return await jobsCommand(rest, io, (argv, o) => main(argv, o));
      case 'alerts':
        return await alertsCommand(rest, io);
      case 'export':
        return await exportCommand(rest, io);
      case '--version':
      case '-v':
        io.stdout.write(`${packageVersion()}\n`);
        return EXIT.ok;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.stdout.write(HELP + '\n');
        return command === undefined ? EXIT.invalid : EXIT.ok;
      default:
        throw new CaudalError('usage', `unknown command '${command}'`, { hint: 'commands: run, validate, preview, sql, profile, connections, state, serve, doctor, clean, schedule, jobs, alerts, export' });
    }
  } catch (e) {
    const err = e instanceof CaudalError ? e : new CaudalError('execution', errorMessage(e));
    if (argv.includes('--json')) io.stdout.write(JSON.stringify({ type: 'error', error: err.toJSON() }) + '\n');
    else {
      io.stderr.write(`caudal: ${err.message}\n`);
      if (err.hint) io.stderr.write(`  hint: ${err.hint}\n`);
      if (err.kind === 'usage') io.stderr.write(`  run 'caudal --help' for usage\n`);
    }
    if (err.kind === 'busy') return EXIT.busy;
    return err.kind === 'usage' || err.kind === 'validation' || err.kind === 'io' ? EXIT.invalid : EXIT.runFailed;
  }
}


async function loadOrExplain(file: string | undefined): Promise<{ pipeline: Pipeline; baseDir: string }> {
  if (!file) throw new CaudalError('usage', 'missing the pipeline file argument');
  const abs = path.resolve(file);
  const loaded = await loadPipelineFile(abs);
  if (!loaded.pipeline) {
    throw new CaudalError('validation', `${file} is not a valid pipeline:\n${formatProblems(loaded.problems)}`, { problems: loaded.problems });
  }
  return { pipeline: loaded.pipeline, baseDir: path.dirname(abs) };
}

function engineOptions(values: { threads?: string; 'memory-limit'?: string; metrics?: string; wait?: boolean }): EngineOptions {
  const metrics = values.metrics;
  if (metrics !== undefined && metrics !== 'fast' && metrics !== 'exact') throw new CaudalError('usage', `--metrics expects fast or exact, got "${metrics}"`);
  return { threads: parseThreads(values.threads), memoryLimit: parseMemoryLimit(values['memory-limit']), metrics, wait: values.wait === true ? true : undefined };
}

async function runCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args);
  if (values.help) return help(io);
  const { pipeline, baseDir } = await loadOrExplain(positionals[0]);
  const printer = new ProgressPrinter(io.stderr, !!values.quiet);
  const runId = values['run-id'] ?? newRunId();
  if (!isSafeRunId(runId)) throw new CaudalError('usage', `--run-id expects letters, digits, _ and - (at most 128), got "${runId}"`);
  const params = parseParams(values.param);
  const dir = values['artifacts-dir'] === undefined ? defaultArtifactsDir(baseDir, runId) : path.resolve(values['artifacts-dir']);
  // Every run is recorded like the studio's: run.json + events.jsonl in its folder.
  const recorder = await RunRecorder.begin({ runId, pipeline: pipeline.name, pipelinePath: path.resolve(positionals[0]!), targets: values.node ?? [], params, dir, ...jobFields(values) });
  const handle = startRun({
    runId,
    pipeline,
    baseDir,
    params,
    options: engineOptions(values),
    targets: values.node,
    ...(await engineContext(pipeline, baseDir, values)),
    artifactsDir: dir,
    onEvent: (e) => {
      recorder.event(e);
      if (values.json) io.stdout.write(JSON.stringify(e) + '\n');
      else printer.handle(e);
    },
  });
  const stop = stopOnSignals(handle, io, !values.json && !values.quiet);
  try {
    const summary = await handle.done.catch(async (e: unknown) => {
      await recorder.crashed(e);
      throw e;
    });
    await recorder.finished(summary);
    if (summary.status === 'succeeded') return EXIT.ok;
    if (summary.status === 'cancelled') return stop.signal === 'SIGTERM' ? EXIT.terminated : EXIT.cancelled;
    if (summary.error?.kind === 'quality') return EXIT.qualityFailed;
    if (summary.error?.kind === 'busy') return EXIT.busy;
    return summary.error?.kind === 'validation' ? EXIT.invalid : EXIT.runFailed;
  } finally {
    stop.off();
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
 * as it was. A second signal stops waiting for the cleanup after a short grace period; whatever is
 * left then (a temp folder, a staging table) carries the run's owner and is removed by the next run
 * or `caudal clean`. Exit codes: 130 after SIGINT, 143 after SIGTERM.
 */
function stopOnSignals(handle: { cancel(): void; done: Promise<unknown> }, io: Io, verbose: boolean): { signal?: NodeJS.Signals; off(): void } {
  const state: { signal?: NodeJS.Signals; off(): void } = { off: () => {} };
  let count = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    count++;
    state.signal ??= signal;
    const code = state.signal === 'SIGTERM' ? EXIT.terminated : EXIT.cancelled;
    if (count === 1) {
      if (verbose) io.stderr.write(`\ncancelling… (${signal === 'SIGINT' ? 'press Ctrl-C again' : 'signal again'} to stop waiting for the cleanup)\n`);
      handle.cancel();
      return;
    }
    if (count === 2) {
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
  };
  return state;
}

async function validateCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args);
  if (values.help) return help(io);
  const file = positionals[0];
  if (!file) throw new CaudalError('usage', 'missing the pipeline file argument');
  const abs = path.resolve(file);
  const loaded = await loadPipelineFile(abs);
  let problems = loaded.problems;
  let warnings: Array<{ nodeId: string; message: string }> = [];
  let nodes = 0;
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
  return problems.length === 0 ? EXIT.ok : EXIT.invalid;
}

async function previewCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args);
  if (values.help) return help(io);
  const nodeId = values.node?.[0];
  if (!nodeId) throw new CaudalError('usage', 'preview needs --node <id>');
  const limit = values.limit === undefined ? 20 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 0) throw new CaudalError('usage', `--limit expects a whole number, got "${values.limit}"`);
  const { pipeline, baseDir } = await loadOrExplain(positionals[0]);
  const result = await previewPipeline({ pipeline, baseDir, nodeId, port: values.port, limit, params: parseParams(values.param), options: engineOptions(values), ...(await engineContext(pipeline, baseDir, values)) });
  if (values.json) {
    io.stdout.write(JSON.stringify(result) + '\n');
  } else {
    io.stdout.write(formatTable(result.columns, result.rows) + '\n');
    if (!values.quiet) {
      const note = result.sampled ? ' (sampled: part of an input was read)' : '';
      io.stderr.write(`${result.rows.length} rows of ${nodeId}:${result.port} in ${formatMs(result.elapsedMs)}${note}\n`);
    }
  }
  return EXIT.ok;
}

async function sqlCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args);
  if (values.help) return help(io);
  const { pipeline, baseDir } = await loadOrExplain(positionals[0]);
  const nodeId = values.node?.[0];
  if (nodeId && !pipeline.nodes.some((n) => n.id === nodeId)) throw new CaudalError('usage', `no node '${nodeId}' in the pipeline`);
  const result = await inspect({ pipeline, baseDir, params: parseParams(values.param), nodeIds: nodeId ? [nodeId] : undefined, ...(await engineContext(pipeline, baseDir, values)) });
  if (result.problems.length > 0) {
    throw new CaudalError('validation', `the pipeline has problems:\n${formatProblems(result.problems)}`, { problems: result.problems });
  }
  const nodes = nodeId ? result.nodes.filter((n) => n.nodeId === nodeId) : result.nodes;
  if (values.json) {
    io.stdout.write(JSON.stringify(nodes) + '\n');
    return EXIT.ok;
  }
  for (const n of nodes) {
    io.stdout.write(`-- node ${n.nodeId} (${n.nodeType})\n`);
    for (const s of n.setup) io.stdout.write(`${s};\n`);
    for (const o of n.outputs) io.stdout.write(`-- output ${o.port}: ${o.columns.map((c) => `${c.name} ${c.type}`).join(', ')}\n${o.sql};\n`);
    if (n.sink) {
      const lines = [...n.sink.stage, ...n.sink.commit].map((s) => (s.startsWith('--') ? s : `${s};`));
      io.stdout.write(`-- writes ${n.sink.target}\n${lines.join('\n')}\n`);
    }
    io.stdout.write('\n');
  }
  return EXIT.ok;
}

function help(io: Io): number {
  io.stdout.write(HELP + '\n');
  return EXIT.ok;
}
