import path from 'node:path';
import type { Pipeline } from '../model/schema.js';
import { defaultStateDir } from '../engine/run-dirs.js';
import { listStates, removeNodeFolders, removeStates, writeNodeState, type StoredState } from '../engine/state.js';
import { CaudalError } from '../util/errors.js';
import { didYouMean } from '../util/suggest.js';
import { RunLocks } from '../engine/commit/locks.js';
import { parse, singleNode, type OptionName } from './args.js';
import { loadPipelineArg } from './pipeline-file.js';
import { EXIT } from './exit-codes.js';

interface Io {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

/** What each subcommand reads: --json is show's only (reset and set report on stderr), --value set's. */
const OPTIONS = {
  show: ['node', 'key', 'state-dir', 'json', 'quiet'],
  reset: ['node', 'key', 'state-dir', 'quiet'],
  set: ['node', 'key', 'value', 'state-dir', 'quiet'],
} as const satisfies Record<string, readonly OptionName[]>;

const isSubcommand = (sub: string | undefined): sub is keyof typeof OPTIONS => sub !== undefined && Object.hasOwn(OPTIONS, sub);

/**
 * `caudal state show | reset | set <pipeline.json>`: what incremental nodes remember between
 * runs, one state per node and source (the key hashes what the node read). reset makes the next run
 * start from the node's initial value (a full reload); set moves the watermark by hand (backfill
 * from an earlier point, or skip ahead). `--key` picks one source's state.
 */
export async function stateCommand(args: string[], io: Io): Promise<number> {
  const [sub, ...rest] = args;
  if (!isSubcommand(sub)) throw new CaudalError('usage', `state needs a subcommand: show, reset or set${sub ? ` (got '${sub}')` : ''}`);
  const { values, positionals } = parse(rest, { positionals: 1, only: OPTIONS[sub], command: `state ${sub}` });
  const file = positionals[0];
  if (!file) throw new CaudalError('usage', `state ${sub} needs the pipeline file`);
  const loaded = await loadPipelineArg(file);
  const abs = loaded.abs;
  if (!loaded.pipeline) throw new CaudalError('validation', `${file} is not a valid pipeline`, { problems: loaded.problems });
  const doc = loaded.pipeline;
  const stateDir = values['state-dir'] ? path.resolve(values['state-dir']) : defaultStateDir(path.dirname(abs));
  const nodeId = singleNode(values, `state ${sub}`);
  const node = nodeId === undefined ? undefined : doc.nodes.find((n) => n.id === nodeId);
  if (nodeId !== undefined && !node) throw new CaudalError('usage', `no node '${nodeId}' in ${file}${didYouMean(nodeId, doc.nodes.map((n) => n.id))}`);
  const all = await listStates(stateDir, doc.name, nodeId);
  const picked = values.key === undefined ? all : all.filter((s) => s.key?.startsWith(values.key!));
  const where = `${nodeId ? `node '${nodeId}' of ` : ''}pipeline '${doc.name}' in ${stateDir}`;

  if (sub === 'show') {
    if (values.json) io.stdout.write(JSON.stringify(picked) + '\n');
    else if (picked.length === 0) io.stdout.write(`no saved state${values.key ? ` with key ${values.key}` : ''} for ${where}\n`);
    else for (const s of picked) io.stdout.write(describe(s));
    return EXIT.ok;
  }
  if (!nodeId) throw new CaudalError('usage', `state ${sub} needs --node <id>`);
  // A live run of the pipeline would overwrite the change when it commits: hold its lock, as a run does.
  const lock = await pipelineLock(stateDir, doc.name, sub);
  try {
    return await change(sub, { values, io, doc, stateDir, nodeId, node: node!, all: await listStates(stateDir, doc.name, nodeId) });
  } finally {
    await lock.release();
  }
}

/** The pipeline's run lock (the key `caudal run` takes), or exit 75 naming the run that holds it. */
async function pipelineLock(stateDir: string, pipeline: string, sub: string): Promise<RunLocks> {
  try {
    return await RunLocks.acquire([{ key: `pipeline:${stateDir}:${pipeline}`, label: `pipeline '${pipeline}'` }], {
      runId: `state-${sub}-${process.pid}`,
      pipeline,
      wait: false,
      isCancelled: () => false,
      log: () => undefined,
    });
  } catch (e) {
    if (e instanceof CaudalError && e.kind === 'busy') {
      throw new CaudalError('busy', `state ${sub}: ${e.message.replace(/ is in use by another /, ' is being run by ')}; it saves its own state when it ends, which would overwrite this change`, {
        hint: 'run the command again once that run has finished (`caudal state show` works meanwhile)',
      });
    }
    throw e;
  }
}

interface Change {
  values: ReturnType<typeof parse>['values'];
  io: Io;
  doc: Pipeline;
  stateDir: string;
  nodeId: string;
  node: Pipeline['nodes'][number];
  all: StoredState[];
}

async function change(sub: string, { values, io, doc, stateDir, nodeId, node, all }: Change): Promise<number> {
  // Read again under the lock: a run may have saved a state since.
  const picked = values.key === undefined ? all : all.filter((s) => s.key?.startsWith(values.key!));
  if (values.key !== undefined && picked.length === 0) throw new CaudalError('usage', `node '${nodeId}' has no saved state with key ${values.key}${keysHint(all)}`);

  if (sub === 'reset') {
    await removeStates(stateDir, picked);
    // Caches (an HTTP enrichment's responses) belong to the node, not to one source key.
    const folders = values.key === undefined ? await removeNodeFolders(stateDir, doc.name, nodeId) : [];
    if (!values.quiet) {
      for (const f of folders) io.stderr.write(`✔ '${nodeId}' ${f} cleared\n`);
      if (picked.length === 0 && folders.length === 0) io.stderr.write(`node '${nodeId}' had no saved state\n`);
      else for (const s of picked) io.stderr.write(`✔ state of '${nodeId}' reset${s.source ? ` for ${s.source} (key ${s.key})` : ''}: the next run from it starts from its initial value\n`);
    }
    return EXIT.ok;
  }
  const value = values.value;
  if (value === undefined) throw new CaudalError('usage', 'state set needs --value <watermark>', { hint: 'e.g. --value "2024-06-01 00:00:00+00" or --value 1500' });
  const incremental = (node.params as { incremental?: { column?: string } }).incremental;
  if (!incremental?.column) throw new CaudalError('usage', `node '${nodeId}' is not incremental (it has no incremental.column), so it keeps no watermark`);
  if (picked.length > 1) throw new CaudalError('usage', `node '${nodeId}' has a state for each of ${picked.length} sources: say which with --key${keysHint(picked)}`);
  const target = picked[0];
  const key = target?.key && target.source ? { key: target.key, source: target.source } : undefined;
  // A number column's watermark must be a number (the run's error would blame the column's type).
  const kind = target?.state.kind;
  if (kind === 'number' && !/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(value.trim())) {
    throw new CaudalError('usage', `node '${nodeId}': '${value}' is not a number, and ${incremental.column} holds numbers (the last run saved ${String(target?.state.watermark)})`, { hint: 'give a number, e.g. --value 1500' });
  }
  // The kind stays (the run checks it against the column's type); a refused value names this command.
  await writeNodeState(stateDir, doc.name, nodeId, { column: incremental.column, watermark: value, ...(typeof kind === 'string' ? { kind } : {}), set_by_hand: true }, undefined, key);
  if (!values.quiet) {
    const scope = key ? ` from ${key.source} (key ${key.key})` : ' on the next run (no saved state yet: the first source it reads adopts this one)';
    io.stderr.write(`✔ '${nodeId}' will read rows with ${incremental.column} > ${value}${scope}\n`);
  }
  return EXIT.ok;
}

function describe(s: StoredState): string {
  const source = s.key ? `key ${s.key}  ${s.source ?? ''}` : 'no key (saved before states were keyed by source, or by `state set`: the next run adopts it)';
  const saved = `saved ${s.updatedAt}${s.runId ? ` by run ${s.runId}` : ''}${s.adoptedAt ? `, adopted for this source ${s.adoptedAt}` : ''}`;
  return `${s.nodeId}  ${source}\n    ${JSON.stringify(s.state)}  (${saved})\n`;
}

const keysHint = (states: StoredState[]) => (states.length ? `; its states: ${states.map((s) => `${s.key ?? '(no key)'} = ${s.source ?? '?'}`).join('; ')}` : '');
