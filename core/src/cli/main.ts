import path from 'node:path';
import { inspect, previewPipeline, startRun } from '../engine/engine.js';
import type { EngineOptions, NodeSummary, PlanStep } from '../engine/protocol.js';
import { loadPipelineFile } from '../model/load.js';
import type { Pipeline } from '../model/schema.js';
import { CaudalError, errorMessage } from '../util/errors.js';
import { packageVersion } from '../util/package-root.js';
import { parse, parseMemoryLimit, parseParams, parseThreads } from './args.js';
import { EXIT } from './exit-codes.js';
import { formatMs, formatProblems, formatTable } from './format.js';
import { ProgressPrinter } from './progress.js';
import { formatPlan } from './explain.js';
import { connectionsCommand } from './connections.js';
import { engineContext } from './engine-context.js';
import { stateCommand } from './state.js';
import { profileCommand } from './profile.js';
import { serveCommand } from './serve.js';

const HELP = `caudal — run Caudal pipelines headless

Usage:
  caudal run <pipeline.json> [options]          run the pipeline (all sinks, atomically)
  caudal validate <pipeline.json> [options]     check structure, params and every expression against the data's schema
  caudal preview <pipeline.json> --node <id>    show the first rows of a node's output (sinks never run)
  caudal sql <pipeline.json> --node <id>        show the DuckDB SQL a node compiles to
  caudal sql <pipeline.json> --plan             show which nodes fuse into one statement, which materialize, and why
  caudal profile <pipeline.json> --node <id>    profile a node's output per column (sampled; --exact for all rows)
  caudal connections list|add|test|remove       manage named connections (secrets in the OS keychain)
  caudal state show|reset|set <pipeline.json>   incremental watermarks kept between runs (--node, --value)
  caudal serve [pipeline.json] [--port N]       the studio in a browser (127.0.0.1 only, URL with a token)
  caudal --version

Options:
  -p, --param key=value   set a pipeline param (repeatable)
      --json              machine-readable output (run: one JSON event per line)
  -q, --quiet             print only errors
      --threads N         DuckDB threads (default: all cores)
      --memory-limit SIZE DuckDB memory limit, e.g. 512MB (default: 80% of RAM); larger work spills to disk
      --metrics MODE      run: fast (default, count rows at materialized steps and sinks) | exact (count every node)
      --explain           run: print the execution plan at the end, with each node's time and rows
      --plan              sql: print the execution plan instead of the SQL
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
      --open              serve: open the studio in the default browser

Exit codes: 0 ok, 1 run failed, 2 invalid pipeline or usage, 3 a quality check with severity error failed, 130 cancelled (SIGINT).
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
        throw new CaudalError('usage', `unknown command '${command}'`, { hint: 'commands: run, validate, preview, sql, profile, connections, state, serve' });
    }
  } catch (e) {
    const err = e instanceof CaudalError ? e : new CaudalError('execution', errorMessage(e));
    if (argv.includes('--json')) io.stdout.write(JSON.stringify({ type: 'error', error: err.toJSON() }) + '\n');
    else {
      io.stderr.write(`caudal: ${err.message}\n`);
      if (err.hint) io.stderr.write(`  hint: ${err.hint}\n`);
      if (err.kind === 'usage') io.stderr.write(`  run 'caudal --help' for usage\n`);
    }
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

function engineOptions(values: { threads?: string; 'memory-limit'?: string; metrics?: string }): EngineOptions {
  const metrics = values.metrics;
  if (metrics !== undefined && metrics !== 'fast' && metrics !== 'exact') throw new CaudalError('usage', `--metrics expects fast or exact, got "${metrics}"`);
  return { threads: parseThreads(values.threads), memoryLimit: parseMemoryLimit(values['memory-limit']), metrics };
}

async function runCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args);
  if (values.help) return help(io);
  const { pipeline, baseDir } = await loadOrExplain(positionals[0]);
  const printer = new ProgressPrinter(io.stderr, !!values.quiet);
  let plan: PlanStep[] | undefined;
  const finished = new Map<string, NodeSummary>();
  const handle = startRun({
    pipeline,
    baseDir,
    params: parseParams(values.param),
    options: engineOptions(values),
    targets: values.node,
    ...(await engineContext(pipeline, baseDir, values)),
    artifactsDir: values['artifacts-dir'] === undefined ? undefined : path.resolve(values['artifacts-dir']),
    onEvent: (e) => {
      if (e.type === 'plan') plan = e.nodes;
      if (e.type === 'node_finished') finished.set(e.nodeId, e);
      if (values.json) io.stdout.write(JSON.stringify(e) + '\n');
      else printer.handle(e);
    },
  });
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      if (!values.json && !values.quiet) io.stderr.write('\ncancelling… (press Ctrl-C again to quit at once)\n');
      handle.cancel();
    } else process.exit(EXIT.cancelled);
  };
  process.on('SIGINT', onSigint);
  try {
    const summary = await handle.done;
    // With --json the plan is already on stdout as its own event.
    if (values.explain && plan && !values.json) io.stderr.write(`\n${formatPlan(plan, finished)}\n`);
    if (summary.status === 'succeeded') return EXIT.ok;
    if (summary.status === 'cancelled') return EXIT.cancelled;
    if (summary.error?.kind === 'quality') return EXIT.qualityFailed;
    return summary.error?.kind === 'validation' ? EXIT.invalid : EXIT.runFailed;
  } finally {
    process.off('SIGINT', onSigint);
  }
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
  if (values.plan) {
    const steps = (result.plan ?? []).filter((s) => !nodeId || s.nodeId === nodeId);
    io.stdout.write(values.json ? JSON.stringify(steps) + '\n' : formatPlan(steps) + '\n');
    return EXIT.ok;
  }
  if (values.json) {
    io.stdout.write(JSON.stringify(nodes) + '\n');
    return EXIT.ok;
  }
  for (const n of nodes) {
    io.stdout.write(`-- node ${n.nodeId} (${n.nodeType})\n`);
    for (const s of n.setup) io.stdout.write(`${s};\n`);
    for (const o of n.outputs) io.stdout.write(`-- output ${o.port}: ${o.columns.map((c) => `${c.name} ${c.type}`).join(', ')}\n${o.sql};\n`);
    for (const s of n.after) io.stdout.write(`${s};\n`);
    if (n.sink) {
      io.stdout.write(`-- writes ${n.sink.target}\n${n.sink.stage.map((s) => `${s};`).join('\n')}\n${n.sink.commit.join('\n')}\n`);
    }
    io.stdout.write('\n');
  }
  return EXIT.ok;
}

function help(io: Io): number {
  io.stdout.write(HELP + '\n');
  return EXIT.ok;
}
