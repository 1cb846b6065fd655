import path from 'node:path';
import type { Publish } from '../../nodes/define.js';
import { CaudalError } from '../../util/errors.js';
import { diskFailure, isWithin, troubleRemedy, troubleWords } from './disk-errors.js';

/**
 * A sink's staging that failed for its destination's file system (full, read-only, denied), as an
 * error naming the node, the target and what to do. DuckDB's own text names the hidden staging
 * file (`.orders.csv.caudal-….tmp`) or the database's WAL, says nothing of what to do, and is
 * never about the file the user named. Failures on other files (an unreadable source file the
 * same statement reads) are left as they are: undefined.
 */
export function stagingDiskError(nodeId: string, target: string, publish: Publish | undefined, e: unknown): CaudalError | undefined {
  const f = diskFailure(e);
  if (!f?.file || !publish) return undefined;
  const ours = publish.kind === 'file' ? isWithin(f.file, publish.temp) : f.file === publish.file || f.file.startsWith(`${publish.file}.`);
  if (!ours) return undefined;
  const folder = path.dirname(target);
  const room =
    f.trouble === 'full' || f.trouble === 'quota'
      ? publish.kind === 'file'
        ? ' (the new file is written whole next to the old one before it replaces it: there must be room for both)'
        : ' (the database grows by what the run writes until it commits)'
      : '';
  return new CaudalError('io', `node '${nodeId}': cannot write ${target}: ${troubleWords(f.trouble)}; nothing was changed`, {
    nodeId,
    hint: `${troubleRemedy(f.trouble, folder)}${room} or choose another path, then run again`,
    cause: e,
  });
}
