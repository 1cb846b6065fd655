import type { CompileContext } from '../define.js';
import { checkExactUnion } from './exact-union.js';
import { checkLossyTypes } from './lossy-types.js';
import { checkSameTypes } from './same-types.js';

/** What the checks of Parquet files need: the planner's context, or a run's DuckDB (source.s3, once it has the objects). */
export type FileCheckContext = Pick<CompileContext<unknown>, 'describe' | 'rows' | 'warn'>;

/**
 * Every check of what DuckDB would read differently from what the files hold, over the files a
 * pattern names (`files`: its local listing, undefined for remote URLs): later files read with the
 * first one's types (or, combined by name, widened), and types DuckDB's reader gets wrong.
 */
export async function checkParquetFiles(ctx: FileCheckContext, pattern: string, files: string[] | undefined, opts: { nodeId: string; unionByName: boolean }): Promise<void> {
  if (!opts.unionByName) await checkSameTypes(ctx, files, opts.nodeId);
  else await checkExactUnion(ctx, pattern, files, opts.nodeId);
  await checkLossyTypes(ctx, pattern, files, opts);
}
