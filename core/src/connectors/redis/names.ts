import { ownerOf, ownerTag, shortRunId, type Owner } from '../../util/owner.js';

/**
 * Names of what the Redis sink keeps while a run works. Each carries the run and its owner process
 * (util/owner.ts), so a later run recognizes the leftovers of a killed one.
 *
 *   caudal:staging                       a SET of the runs' work in progress (see RegistryEntry)
 *   caudal:stage:<run>-<owner>:<node>:<n>     upsert: batch n of the new rows, written onto their keys at commit
 *   caudal:aside:<run>-<owner>:<node>:<key>   upsert: the value <key> had, until the run is over
 *   caudal:new:<run>-<owner>:<node>           upsert: a SET of the keys that did not exist before
 *   <namespace>:<version>:<key>               replace_namespace: the data of one version
 *   <namespace>:current                       replace_namespace: the version readers use
 */
export const REGISTRY_KEY = 'caudal:staging';

export function runTag(runId: string): string {
  return `${shortRunId(runId)}-${ownerTag()}`;
}

export interface UpsertNames {
  stage: string;
  aside: string;
  newSet: string;
}

export function upsertNames(runId: string, nodeId: string): UpsertNames {
  const tag = runTag(runId);
  return { stage: `caudal:stage:${tag}:${nodeId}:`, aside: `caudal:aside:${tag}:${nodeId}:`, newSet: `caudal:new:${tag}:${nodeId}` };
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

export function parseRegistryMember(member: string): { entry: RegistryEntry; owner: Owner } | undefined {
  try {
    const entry = JSON.parse(member) as RegistryEntry;
    const owner = ownerOf(entry.kind === 'upsert' ? entry.stage : entry.version);
    return owner ? { entry, owner } : undefined;
  } catch {
    return undefined;
  }
}
