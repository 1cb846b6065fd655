import { CaudalError } from '../util/errors.js';
import type { Io } from './io.js';

const TARGETS = {
  airflow: async () => (await import('./export-airflow.js')).exportAirflowCommand,
  spark: async () => (await import('./export-spark.js')).exportSparkCommand,
} as const;

/** `caudal export <target> …`: another system runs the pipeline or project (each target loads on use). */
export async function exportCommand(args: string[], io: Io): Promise<number> {
  const [target, ...rest] = args;
  if (target === undefined || !(target in TARGETS)) {
    const list = Object.keys(TARGETS).join(', ');
    throw new CaudalError('usage', target ? `cannot export to '${target}' (targets: ${list})` : `export needs a target: ${list}`, {
      hint: 'caudal export airflow <caudal.project.json | pipeline.json>, or caudal export spark <pipeline.json> -o <dir>',
    });
  }
  return (await TARGETS[target as keyof typeof TARGETS]())(rest, io);
}
