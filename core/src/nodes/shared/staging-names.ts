import { createHash } from 'node:crypto';
import path from 'node:path';
import { ownerOf, ownerTag, shortRunId, type Owner } from '../../util/owner.js';
import { cutUtf8 } from '../../util/utf8-cut.js';

/**
 * Names of the hidden files a file sink works with next to its target:
 *   .<name>.caudal-<run>-<owner>.tmp   what the run writes (renamed over the target on commit)
 *   .<name>.caudal-<run>-<owner>.old   the replaced target, kept until every destination committed
 * They carry the run and its owner process (util/owner.ts), so leftovers of a killed run are
 * recognized and removed by the next run. Names stay within the 255-byte limit of common file
 * systems: a long target name is shortened and a hash of it keeps the temp name unique.
 */
export type StagingRole = 'tmp' | 'old';

/** Staging tables of sink.duckdb: `_caudal_stage_<run>_<owner>_<node>`. */
export const DUCKDB_STAGE_PREFIX = '_caudal_stage_';

const NAME_MAX = 255;
const PATTERN = /^\.(.*)\.caudal-([A-Za-z0-9]+)-(h[0-9a-f]{4}p\d+)\.(tmp|old)$/;

export function stagingPath(target: string, runId: string, role: StagingRole): string {
  return path.join(path.dirname(target), stagingName(path.basename(target), runId, role));
}

export function stagingName(base: string, runId: string, role: StagingRole): string {
  const suffix = `.caudal-${shortRunId(runId)}-${ownerTag()}.${role}`;
  const budget = NAME_MAX - Buffer.byteLength(suffix) - 1;
  if (Buffer.byteLength(base) <= budget) return `.${base}${suffix}`;
  const hash = nameHash(base);
  return `.${cutUtf8(base, budget - hash.length - 1)}~${hash}${suffix}`;
}


export interface StagingEntry {
  name: string;
  runShort: string;
  owner: Owner;
  role: StagingRole;
}

/** Parses a staging name (as made by stagingName) found in a folder listing. */
export function parseStagingName(name: string): StagingEntry | undefined {
  const m = PATTERN.exec(name);
  const owner = m ? ownerOf(m[3]!) : undefined;
  return m && owner ? { name, runShort: m[2]!, owner, role: m[4] as StagingRole } : undefined;
}

/** True when `entry` was made for `targetBase` (exactly, or shortened with its hash). */
export function stagingBelongsTo(entry: StagingEntry, targetBase: string): boolean {
  return entry.name.startsWith(`.${targetBase}.caudal-`) || entry.name.includes(`~${nameHash(targetBase)}.caudal-`);
}

function nameHash(base: string): string {
  return createHash('sha256').update(base).digest('hex').slice(0, 8);
}
