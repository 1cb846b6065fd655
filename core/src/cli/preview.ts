import { previewPipeline } from '../engine/engine.js';
import { CaudalError } from '../util/errors.js';
import { parse, parseParams, singleNode } from './args.js';
import { engineContext } from './engine-context.js';
import { EXIT } from './exit-codes.js';
import { formatMs, formatTable } from './format.js';
import type { Io } from './io.js';
import { checkNodeIds, engineOptions, loadOrExplain } from './pipeline-args.js';

/** `caudal preview <pipeline.json> --node <id>`: the first rows of a node's output; sinks never run. */
export async function previewCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args, {
    positionals: 1,
    only: ['node', 'port', 'limit', 'param', 'project', 'threads', 'memory-limit', 'state-dir', 'json', 'quiet'],
    command: 'preview',
  });
  const nodeId = singleNode(values, 'preview');
  if (!nodeId) throw new CaudalError('usage', 'preview needs --node <id>');
  const limit = values.limit === undefined ? 20 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 0) throw new CaudalError('usage', `--limit expects a whole number, got "${values.limit}"`);
  const { pipeline, baseDir } = await loadOrExplain(positionals[0]);
  checkNodeIds(pipeline, [nodeId], positionals[0]!);
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
