import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { NodeState } from '../nodes/define.js';
import { CaudalError, errorMessage } from '../util/errors.js';

/**
 * Node state between runs (incremental watermarks): one JSON file per node in a folder per
 * pipeline, `<stateDir>/<pipeline>/<node>.state.json`. Plain files, so `caudal state` and a user
 * with a text editor see the same thing. Writes go to a temp name and are renamed into place.
 */
export interface StoredState {
  pipeline: string;
  nodeId: string;
  updatedAt: string;
  runId?: string;
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

/** A folder a node keeps files in between runs (its HTTP response cache, say), next to its state file. */
export function nodeFolder(stateDir: string, pipeline: string, nodeId: string, name: string): string {
  return path.join(pipelineStateFolder(stateDir, pipeline), `${nodeId}.${safeName(name)}`);
}

function stateFile(stateDir: string, pipeline: string, nodeId: string): string {
  return path.join(pipelineStateFolder(stateDir, pipeline), `${nodeId}.state.json`);
}

export async function readNodeState(stateDir: string, pipeline: string, nodeId: string): Promise<StoredState | undefined> {
  const file = stateFile(stateDir, pipeline, nodeId);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CaudalError('io', `cannot read the state of node '${nodeId}' at ${file}: ${errorMessage(e)}`, { nodeId });
  }
  try {
    return JSON.parse(text) as StoredState;
  } catch (e) {
    throw new CaudalError('io', `the state file of node '${nodeId}' is not valid JSON (${file}): ${errorMessage(e)}`, {
      nodeId,
      hint: `fix or delete it, or run \`caudal state reset <pipeline> --node ${nodeId}\``,
    });
  }
}

export async function writeNodeState(stateDir: string, pipeline: string, nodeId: string, state: NodeState, runId?: string): Promise<void> {
  const file = stateFile(stateDir, pipeline, nodeId);
  await mkdir(path.dirname(file), { recursive: true });
  const doc: StoredState = { pipeline, nodeId, updatedAt: new Date().toISOString(), ...(runId ? { runId } : {}), state };
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(doc, null, 2) + '\n');
  await rename(tmp, file);
}

/** Removes a node's state and its folders (nodeFolder: caches). True when there was something to remove. */
export async function resetNodeState(stateDir: string, pipeline: string, nodeId: string): Promise<boolean> {
  const file = stateFile(stateDir, pipeline, nodeId);
  let removed = false;
  const folder = pipelineStateFolder(stateDir, pipeline);
  for (const entry of await readdir(folder, { withFileTypes: true }).catch(() => [])) {
    if (entry.isDirectory() && entry.name.startsWith(`${nodeId}.`)) {
      await rm(path.join(folder, entry.name), { recursive: true, force: true });
      removed = true;
    }
  }
  try {
    await rm(file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return removed;
    throw e;
  }
}

export async function listStates(stateDir: string, pipeline: string): Promise<StoredState[]> {
  const folder = pipelineStateFolder(stateDir, pipeline);
  let names: string[];
  try {
    names = await readdir(folder);
  } catch {
    return [];
  }
  const out: StoredState[] = [];
  for (const n of names.filter((x) => x.endsWith('.state.json')).sort()) {
    const s = await readNodeState(stateDir, pipeline, n.slice(0, -'.state.json'.length));
    if (s) out.push(s);
  }
  return out;
}
