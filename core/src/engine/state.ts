import { readFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { NodeState, NodeStateStore, StateKey } from '../nodes/define.js';
import { defaultStateDir } from './run-dirs.js';
import { CaudalError, errorMessage } from '../util/errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';

/**
 * Node state between runs (incremental watermarks): one JSON file per node and source in a folder
 * per pipeline, `<stateDir>/<pipeline>/<node>.<key>.state.json`, where the key hashes what the node
 * reads (connection identity, table or query after params): the same pipeline run against another
 * schema keeps its own watermark. Files from before keys, `<node>.state.json`, are adopted by the
 * first key that reads them. Plain files, so `caudal state` and a user with a text editor see the
 * same thing. Writes go to a temp name and are renamed into place.
 */
export interface StoredState {
  pipeline: string;
  nodeId: string;
  /** StateKey.key: absent in files written before states had keys (or by `caudal state set` with no state to update). */
  key?: string;
  /** StateKey.source: what the node read, in words. */
  source?: string;
  updatedAt: string;
  runId?: string;
  /** When an unkeyed state was adopted for this key (see readNodeState); gone once a run saves its own. */
  adoptedAt?: string;
  state: NodeState;
}

/** A name as a file or folder name: readable, never a path (no separators, no dot-dot), not too long. */
export function safeName(name: string): string {
  const s = name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '_');
  return s.length > 0 ? s.slice(0, 120) : '_';
}

/** The folder of one pipeline's state (watermarks, quality history) inside the state folder. */
export function pipelineStateFolder(stateDir: string, pipeline: string): string {
  return path.join(stateDir, safeName(pipeline));
}

const SUFFIX = '.state.json';

/** Node ids are letters, digits and `_`, keys hex: `<node>.<key>.state.json` cannot be misread. */
function stateFile(stateDir: string, pipeline: string, nodeId: string, key?: string): string {
  return path.join(pipelineStateFolder(stateDir, pipeline), key ? `${nodeId}.${safeName(key)}${SUFFIX}` : `${nodeId}${SUFFIX}`);
}

async function readStateFile(file: string, nodeId: string): Promise<StoredState | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CaudalError('io', `cannot read the state of node '${nodeId}' at ${file}: ${errorMessage(e)}`, { nodeId });
  }
  const damaged = (why: string) =>
    new CaudalError('io', `the state file of node '${nodeId}' ${why} (${file})`, {
      nodeId,
      hint: `fix or delete it, or run \`caudal state reset <pipeline> --node ${nodeId}\``,
    });
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw damaged(`is not valid JSON: ${errorMessage(e)}`);
  }
  // Edited by hand or by another tool: every reader expects an object holding a `state` object.
  const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(doc) || !isObject((doc as { state?: unknown }).state)) throw damaged('does not hold a state object ({"state": {…}})');
  return doc as StoredState;
}

/**
 * Pipeline names become folder names (safeName), so `sales/eu` and `sales eu` share one folder: a
 * state saved by the other would be taken as this pipeline's (a watermark past rows it never read).
 */
function ownedBy(stored: StoredState, pipeline: string, file: string): StoredState {
  if (typeof stored.pipeline === 'string' && stored.pipeline !== pipeline) {
    throw new CaudalError('validation', `the state at ${file} belongs to pipeline '${stored.pipeline}', not '${pipeline}': both names give the state folder '${safeName(pipeline)}'`, {
      nodeId: stored.nodeId,
      hint: `rename one of the two pipelines (names that differ in more than punctuation and spaces), or run them with different --state-dir; if '${pipeline}' was renamed from '${stored.pipeline}', set the name back, or set its watermark again with \`caudal state set\``,
    });
  }
  return stored;
}

async function writeStateFile(file: string, doc: StoredState): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(doc, null, 2) + '\n');
}

/**
 * The state a node saved for `key` (or its unkeyed state when no key is given). When there is none
 * for the key but an unkeyed state from before keys exists, that state is adopted: rewritten under
 * the key and its unkeyed file removed, so only this one source ever adopts it (`adopted: true`).
 */
export async function readNodeState(stateDir: string, pipeline: string, nodeId: string, key?: StateKey): Promise<{ stored: StoredState; adopted: boolean } | undefined> {
  const unkeyedFile = stateFile(stateDir, pipeline, nodeId);
  if (!key) {
    const stored = await readStateFile(unkeyedFile, nodeId);
    return stored && { stored: ownedBy(stored, pipeline, unkeyedFile), adopted: false };
  }
  const keyed = await readStateFile(stateFile(stateDir, pipeline, nodeId, key.key), nodeId);
  if (keyed) return { stored: ownedBy(keyed, pipeline, stateFile(stateDir, pipeline, nodeId, key.key)), adopted: false };
  const unkeyed = await readStateFile(unkeyedFile, nodeId);
  if (!unkeyed) return undefined;
  ownedBy(unkeyed, pipeline, unkeyedFile);
  const stored: StoredState = { ...unkeyed, pipeline, nodeId, key: key.key, source: key.source, adoptedAt: new Date().toISOString() };
  await writeStateFile(stateFile(stateDir, pipeline, nodeId, key.key), stored);
  await rm(unkeyedFile, { force: true });
  return { stored, adopted: true };
}

/** Saves a node's state for `key` (what it read); without a key, as the unkeyed state the next run adopts. */
export async function writeNodeState(stateDir: string, pipeline: string, nodeId: string, state: NodeState, runId?: string, key?: StateKey): Promise<void> {
  const doc: StoredState = { pipeline, nodeId, ...(key ? { key: key.key, source: key.source } : {}), updatedAt: new Date().toISOString(), ...(runId ? { runId } : {}), state };
  await writeStateFile(stateFile(stateDir, pipeline, nodeId, key?.key), doc);
}

/** A folder a node keeps files in between runs (its HTTP response cache, say), next to its state files. */
export function nodeFolder(stateDir: string, pipeline: string, nodeId: string, name: string): string {
  return path.join(pipelineStateFolder(stateDir, pipeline), `${nodeId}.${safeName(name)}`);
}

/** Removes a node's folders (nodeFolder: caches); the names removed. */
export async function removeNodeFolders(stateDir: string, pipeline: string, nodeId: string): Promise<string[]> {
  const folder = pipelineStateFolder(stateDir, pipeline);
  const removed: string[] = [];
  for (const entry of await readdir(folder, { withFileTypes: true }).catch(() => [])) {
    if (entry.isDirectory() && entry.name.startsWith(`${nodeId}.`)) {
      await rm(path.join(folder, entry.name), { recursive: true, force: true });
      removed.push(entry.name.slice(nodeId.length + 1));
    }
  }
  return removed;
}

/** Removes the given saved states (as `listStates` returned them). */
export async function removeStates(stateDir: string, states: StoredState[]): Promise<void> {
  for (const s of states) await rm(stateFile(stateDir, s.pipeline, s.nodeId, s.key), { force: true });
}

/** Every saved state of a pipeline (of one node when given), by node then key; unkeyed ones first. */
export async function listStates(stateDir: string, pipeline: string, nodeId?: string): Promise<StoredState[]> {
  const folder = pipelineStateFolder(stateDir, pipeline);
  let names: string[];
  try {
    names = await readdir(folder);
  } catch {
    return [];
  }
  const out: StoredState[] = [];
  for (const name of names.filter((x) => x.endsWith(SUFFIX)).sort()) {
    const [node = '', key] = name.slice(0, -SUFFIX.length).split('.');
    if (nodeId !== undefined && node !== nodeId) continue;
    const s = await readStateFile(path.join(folder, name), node);
    // What the file name says wins: the pipeline folder may have been renamed with its pipeline.
    if (!s) continue;
    const { key: _written, ...rest } = s;
    out.push({ ...rest, pipeline, nodeId: node, ...(key ? { key } : {}) });
  }
  return out.sort((a, b) => (a.nodeId === b.nodeId ? (a.key ?? '').localeCompare(b.key ?? '') : a.nodeId < b.nodeId ? -1 : 1));
}

/**
 * The state store the planner hands to nodes: state is read from `stateDir` (without one, nodes
 * see no earlier state), node folders live under it or under the pipeline's default state folder.
 */
export function nodeStateStore(stateDir: string | undefined, baseDir: string): NodeStateStore {
  return {
    async read(pipeline, nodeId, key) {
      if (!stateDir) return undefined;
      const r = await readNodeState(stateDir, pipeline, nodeId, key);
      return r && { state: r.stored.state, adopted: r.adopted };
    },
    folder: (pipeline, nodeId, name) => nodeFolder(stateDir ?? defaultStateDir(baseDir), pipeline, nodeId, name),
  };
}
