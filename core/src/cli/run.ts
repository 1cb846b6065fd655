import path from 'node:path';
import { startRun } from '../engine/engine.js';
import { parse, parseParams } from './args.js';
import { engineContext } from './engine-context.js';
import { EXIT } from './exit-codes.js';
import type { Io } from './io.js';
import { checkNodeIds, engineOptions, loadOrExplain } from './pipeline-args.js';
import { ProgressPrinter } from './progress.js';
import { chosenEngine, runOnSpark } from './spark.js';

/** `caudal run <pipeline.json>`: the whole pipeline (or --node and its upstream), all sinks atomically. */
export async function runCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args);
  const { pipeline, baseDir } = await loadOrExplain(positionals[0]);
  checkNodeIds(pipeline, values.node, positionals[0]!);
  if (chosenEngine(values) === 'spark') return await runOnSpark(pipeline, baseDir, positionals[0]!, values, io);
  const printer = new ProgressPrinter(io.stderr, !!values.quiet);
  const handle = startRun({
    pipeline,
    baseDir,
    params: parseParams(values.param),
    options: engineOptions(values),
    targets: values.node,
    ...(await engineContext(pipeline, baseDir, values)),
    artifactsDir: values['artifacts-dir'] === undefined ? undefined : path.resolve(values['artifacts-dir']),
    watch: values.watch === true ? true : undefined,
    onEvent: (e) => {
      if (values.json) io.stdout.write(JSON.stringify(e) + '\n');
      else printer.handle(e);
    },
  });
  const stop = stopOnSignals(handle, io, !values.json && !values.quiet, values.watch === true);
  try {
    const summary = await handle.done;
    if (summary.status === 'succeeded') return EXIT.ok;
    if (summary.status === 'cancelled') return stop.signal === 'SIGTERM' ? EXIT.terminated : EXIT.cancelled;
    if (summary.error?.kind === 'quality') return EXIT.qualityFailed;
    if (summary.error?.kind === 'busy') return EXIT.busy;
    return summary.error?.kind === 'validation' ? EXIT.invalid : EXIT.runFailed;
  } finally {
    stop.off();
  }
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
  };
  return state;
}

