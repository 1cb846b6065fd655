import { ownerOf, ownerTag, shortRunId, type Owner } from '../../util/owner.js';

/**
 * Names of what the Redis sink keeps while a run works. Each carries the run and its owner process
 * (util/owner.ts), so a later run recognizes the leftovers of a killed one.
 *
 *   caudal:staging                       a SET of the runs' work in progress (see RegistryEntry)
 *   caudal:stage:<run>-<owner>:<node>:<n>     upsert: batch n of the new rows, written onto their keys at commit
 *   caudal:aside:<run>-<owner>:<node>:<key>   upsert: the value <key> had, until the run is over
 *   caudal:new:<run>-<owner>:<node>           upsert: a SET of the keys that did not exist before
 *   caudal:wrote:<run>-<owner>:<node>:<n>     upsert: batch n as committed, the record of what the load
 *                                             wrote to each key, so that undo leaves keys written since
 *   caudal:claims:<run>-<owner>:<node>        upsert: a HASH of the keys later loads took over from this
 *                                             one (key -> its digest then `>` the later load's id)
 *   caudal:undoable                           a SET of the ids (`<run>-<owner>:<node>`) of upsert loads
 *                                             that may still be undone: later loads take over the keys
 *                                             they write from them
 *   <namespace>:<version>:<key>               replace_namespace: the data of one version
 *   <namespace>:current                       replace_namespace: the version readers use
 */
export const REGISTRY_KEY = 'caudal:staging';

/** The ids of upsert loads that may still be undone (see scripts.ts MOVE_ROWS_IN). */
export const UNDOABLE_KEY = 'caudal:undoable';

/** Keys shared by every run on the server: no row may be written there. */
export const RESERVED_KEYS = [REGISTRY_KEY, UNDOABLE_KEY];

/** Prefixes of the keys a run keeps while it works: no row may be written there. */
export const RESERVED_PREFIXES = ['caudal:stage:', 'caudal:aside:', 'caudal:new:', 'caudal:wrote:', 'caudal:claims:'];

export function runTag(runId: string): string {
  return `${shortRunId(runId)}-${ownerTag()}`;
}

export interface UpsertNames {
  /** The load's id in UNDOABLE_KEY, from which the scripts build the names below (scripts.ts). */
  id: string;
  stage: string;
  aside: string;
  newSet: string;
  wrote: string;
  claims: string;
}

export function upsertNames(runId: string, nodeId: string): UpsertNames {
  const id = `${runTag(runId)}:${nodeId}`;
  return { id, stage: `caudal:stage:${id}:`, aside: `caudal:aside:${id}:`, newSet: `caudal:new:${id}`, wrote: `caudal:wrote:${id}:`, claims: `caudal:claims:${id}` };
}

export function pointerKey(namespace: string): string {
  return `${namespace}:current`;
}

/** A version: when it was written (UTC, to the second) and by which run, e.g. `20250102T030405-ab12cd34-h1f2ep4711`. */
export function versionName(runId: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, '');
  return `${stamp}-${runTag(runId)}`;
}

export function versionPrefix(namespace: string, version: string): string {
  return `${namespace}:${version}:`;
}

/** Work in progress, registered before the first key is written (so a kill at any point leaves a trace). */
export type RegistryEntry = { kind: 'upsert'; stage: string } | { kind: 'version'; pointer: string; prefix: string; version: string };

export function registryMember(e: RegistryEntry): string {
  return JSON.stringify(e);
}

/**
 * A registry member, when its names are ones this sink makes: the sweep deletes every key under
 * them, and the registry is a key anyone with access to the server can write, so a stage that is not
 * a staging prefix, or a version prefix that is not `<namespace>:<version>:` beside its pointer
 * `<namespace>:current`, would let it delete keys that are not the sink's (an empty prefix: all).
 */
export function parseRegistryMember(member: string): { entry: RegistryEntry; owner: Owner } | undefined {
  let entry: RegistryEntry;
  try {
    entry = JSON.parse(member) as RegistryEntry;
  } catch {
    return undefined;
  }
  if (!soundEntry(entry)) return undefined;
  const owner = ownerOf(entry.kind === 'upsert' ? entry.stage : entry.version);
  return owner ? { entry, owner } : undefined;
}

const VERSION = /^\d{8}T\d{6}-[A-Za-z0-9]+-h[0-9a-f]{4}p\d+$/;

function soundEntry(e: RegistryEntry): boolean {
  if (typeof e !== 'object' || e === null) return false;
  if (e.kind === 'upsert') return typeof e.stage === 'string' && /^caudal:stage:[A-Za-z0-9]+-h[0-9a-f]{4}p\d+:.+:$/.test(e.stage);
  if (e.kind !== 'version' || typeof e.pointer !== 'string' || typeof e.prefix !== 'string' || typeof e.version !== 'string') return false;
  if (!VERSION.test(e.version) || !e.pointer.endsWith(':current')) return false;
  const namespace = e.pointer.slice(0, -':current'.length);
  return namespace.length > 0 && e.prefix === versionPrefix(namespace, e.version);
}
