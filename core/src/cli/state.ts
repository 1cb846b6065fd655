import path from 'node:path';
import { loadPipelineFile } from '../model/load.js';
import { defaultStateDir } from '../engine/run-dirs.js';
import { listStates, readNodeState, resetNodeState, writeNodeState } from '../engine/state.js';
import { CaudalError } from '../util/errors.js';
import { didYouMean } from '../util/suggest.js';
import { parse } from './args.js';
import { EXIT } from './exit-codes.js';

interface Io {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

/**
 * `caudal state show | reset | set <pipeline.json>`: what incremental nodes remember between
 * runs. reset makes the next run start from the node's initial value (a full reload); set moves
 * the watermark by hand (backfill from an earlier point, or skip ahead).
 */
export async function stateCommand(args: string[], io: Io): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = parse(rest);
  const file = positionals[0];
  if (!sub || !['show', 'reset', 'set'].includes(sub)) throw new CaudalError('usage', `state needs a subcommand: show, reset or set${sub ? ` (got '${sub}')` : ''}`);
  if (!file) throw new CaudalError('usage', `state ${sub} needs the pipeline file`);
  const abs = path.resolve(file);
  const loaded = await loadPipelineFile(abs);
  if (!loaded.pipeline) throw new CaudalError('validation', `${file} is not a valid pipeline`, { problems: loaded.problems });
  const doc = loaded.pipeline;
  const stateDir = values['state-dir'] ? path.resolve(values['state-dir']) : defaultStateDir(path.dirname(abs));
  const nodeId = values.node?.[0];
  const node = nodeId === undefined ? undefined : doc.nodes.find((n) => n.id === nodeId);
  if (nodeId !== undefined && !node) throw new CaudalError('usage', `no node '${nodeId}' in ${file}${didYouMean(nodeId, doc.nodes.map((n) => n.id))}`);

  if (sub === 'show') {
    const states = nodeId ? [await readNodeState(stateDir, doc.name, nodeId)].filter((s) => s !== undefined) : await listStates(stateDir, doc.name);
    if (values.json) io.stdout.write(JSON.stringify(states) + '\n');
    else if (states.length === 0) io.stdout.write(`no saved state for ${nodeId ? `node '${nodeId}' of ` : ''}pipeline '${doc.name}' in ${stateDir}\n`);
    else for (const s of states) io.stdout.write(`${s.nodeId.padEnd(20)} ${JSON.stringify(s.state)}  (saved ${s.updatedAt}${s.runId ? ` by run ${s.runId}` : ''})\n`);
    return EXIT.ok;
  }
  if (!nodeId) throw new CaudalError('usage', `state ${sub} needs --node <id>`);
  if (sub === 'reset') {
    const removed = await resetNodeState(stateDir, doc.name, nodeId);
    if (!values.quiet) io.stderr.write(removed ? `✔ state of '${nodeId}' reset: the next run starts from its initial value\n` : `node '${nodeId}' had no saved state\n`);
    return EXIT.ok;
  }
  const value = values.value;
  if (value === undefined) throw new CaudalError('usage', 'state set needs --value <watermark>', { hint: 'e.g. --value "2024-06-01 00:00:00+00" or --value 1500' });
  const incremental = (node!.params as { incremental?: { column?: string } }).incremental;
  if (!incremental?.column) throw new CaudalError('usage', `node '${nodeId}' is not incremental (it has no incremental.column), so it keeps no watermark`);
  await writeNodeState(stateDir, doc.name, nodeId, { column: incremental.column, watermark: value });
  if (!values.quiet) io.stderr.write(`✔ '${nodeId}' will read rows with ${incremental.column} > ${value} on the next run\n`);
  return EXIT.ok;
}
