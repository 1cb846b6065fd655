import path from 'node:path';
import { startRun } from '../engine/engine.js';
import { parse, parseParams } from './args.js';
import { engineContext } from './engine-context.js';
import { EXIT } from './exit-codes.js';
import type { Io } from './io.js';
import { checkNodeIds, engineOptions, loadOrExplain } from './pipeline-args.js';
import { ProgressPrinter } from './progress.js';

/** `caudal run <pipeline.json>`: the whole pipeline (or --node and its upstream), all sinks atomically. */
export async function runCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args);
  const { pipeline, baseDir } = await loadOrExplain(positionals[0]);
  checkNodeIds(pipeline, values.node, positionals[0]!);
  const printer = new ProgressPrinter(io.stderr, !!values.quiet);
  const handle = startRun({
    pipeline,
    baseDir,
    params: parseParams(values.param),
    options: engineOptions(values),
    targets: values.node,
    ...(await engineContext(pipeline, baseDir, values)),
    artifactsDir: values['artifacts-dir'] === undefined ? undefined : path.resolve(values['artifacts-dir']),
    onEvent: (e) => {
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
    if (summary.status === 'succeeded') return EXIT.ok;
    if (summary.status === 'cancelled') return EXIT.cancelled;
    if (summary.error?.kind === 'quality') return EXIT.qualityFailed;
    return summary.error?.kind === 'validation' ? EXIT.invalid : EXIT.runFailed;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
