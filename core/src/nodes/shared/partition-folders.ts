import path from 'node:path';
import { ident, stringLiteral } from '../../compiler/sql.js';
import type { Db } from '../../compiler/db.js';
import { CaudalError } from '../../util/errors.js';

/**
 * Partitioned output is one folder per value, and a file system that does not tell letter case apart
 * (macOS and Windows by default) gives two values one folder (DuckDB writes characters beyond ASCII
 * percent-encoded, so only ASCII letters can meet this way): DuckDB writes a file for each, and one replaces the other, rows lost without
 * a word. So after the staged folder is written its files' row count (Parquet footers, cheap) must
 * be what was written; if not, the run stops naming the values that share a folder.
 */
export interface PartitionedStage {
  nodeId: string;
  /** The staged folder. */
  folder: string;
  /** The rows the sink's input gave (its SELECT). */
  input: string;
  partitionBy: string[];
}

export async function checkPartitionFolders(db: Db, stage: PartitionedStage, written: number): Promise<void> {
  const found = await db.count(`SELECT count(*) FROM read_parquet(${stringLiteral(path.join(stage.folder, '**', '*.parquet'))}, hive_partitioning = false)`);
  if (found === written) return;
  const shared: string[] = [];
  for (const column of stage.partitionBy) {
    const v = `CAST(${ident(column)} AS VARCHAR)`;
    const rows = await db.rows(
      `SELECT list(v ORDER BY v) AS vs FROM (SELECT DISTINCT ${v} AS v FROM (${stage.input}) WHERE ${v} IS NOT NULL) GROUP BY translate(v, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') HAVING count(*) > 1 ORDER BY min(v) LIMIT 3`,
    );
    for (const r of rows) shared.push(`${column}: ${(r.vs as string[]).map((x) => `'${x}'`).join(' and ')}`);
  }
  const why =
    shared.length > 0
      ? `: values that differ only in letter case share one folder on this file system, which does not tell upper from lower case, and one file replaced the other (${shared.join('; ')})`
      : '';
  throw new CaudalError('execution', `node '${stage.nodeId}': the partition folders hold ${found.toLocaleString('en-US')} of the ${written.toLocaleString('en-US')} rows written${why}; nothing was published`, {
    nodeId: stage.nodeId,
    hint: shared.length > 0 ? 'make such values agree before the sink (e.g. upper() or lower() of the column in a Derive), or write to a file system that tells them apart (S3 does)' : 'run again; if it happens again, report it with the partition values',
  });
}
