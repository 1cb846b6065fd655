import { checkPartitionClash, partitionKeys } from '../shared/partitions.js';
import { foldName } from '../shared/columns.js';

/**
 * checkPartitionClash over every file a read reaches, not only the first: a later file holding a
 * column named like one of its folder keys (`year=2025/d.parquet` with its own `year`) would have
 * that column replaced by the folder's value just as silently. One schema of all the files first
 * (the union of their column names, cheap: footers, or the reader's detection); only when it holds
 * a folder key are the files under such a folder looked at one by one, to name the one that clashes.
 */
export async function checkEveryPartitionClash(opts: {
  nodeId: string;
  hive: boolean | 'auto';
  /** Every file of the read, in path order. */
  files: readonly string[] | undefined;
  /** The column names of all the files together (a superset does no harm: each suspect is confirmed). */
  allColumns: () => Promise<string[]>;
  /** One file's own columns, read without partitions. */
  ownColumns: (file: string) => Promise<string[]>;
}): Promise<void> {
  if (opts.hive === false || opts.files === undefined || opts.files.length === 0) return;
  const keyed = opts.files.map((file) => ({ file, keys: partitionKeys(file) })).filter((f) => f.keys.size > 0);
  if (keyed.length === 0) return;
  const keys = new Set(keyed.flatMap((f) => [...f.keys.keys()]));
  const suspects = new Set((await opts.allColumns()).map(foldName).filter((c) => keys.has(c)));
  if (suspects.size === 0) return;
  for (const f of keyed) {
    if (![...f.keys.keys()].some((k) => suspects.has(k))) continue;
    await checkPartitionClash({ nodeId: opts.nodeId, hive: opts.hive, file: f.file, ownColumns: opts.ownColumns });
  }
}
