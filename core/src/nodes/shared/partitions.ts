import path from 'node:path';
import { z } from 'zod';
import { stringLiteral } from '../../compiler/sql.js';
import { CaudalError } from '../../util/errors.js';
import type { CompileContext } from '../define.js';
import { foldName, sameName } from './columns.js';

/** The file sources' `hive_partitioning`: DuckDB's option, with its own default (`auto`). */
export const hivePartitioningParam = z.union([z.literal('auto'), z.boolean()]).default('auto').meta({
  label: 'Hive partitions',
  help: 'Turns folder names like `year=2024/region=eu` into columns. `auto` does it when the paths look partitioned; a column the files hold themselves under the same name is refused, as the folder would replace its values. A folder value its inferred type would change (`code=0x10` as 16) makes that column text.',
  widget: 'select',
  group: 'Files',
});

/** The read function's named argument: nothing for `auto`, which is DuckDB's default. */
export const hiveArg = (hive: boolean | 'auto'): boolean | undefined => (hive === 'auto' ? undefined : hive);

/**
 * `year=2024` folders in a file's path, as DuckDB's hive partitioning reads them: key folded as
 * DuckDB compares names (foldName) → folder name. A quick test over many names; checkPartitionClash
 * confirms a clash with the file's own columns.
 */
export function partitionKeys(file: string): Map<string, string> {
  const keys = new Map<string, string>();
  for (const segment of path.dirname(file).split(/[\\/]/)) {
    const m = /^([^=]+)=(.*)$/.exec(segment);
    if (m) keys.set(foldName(m[1]!), segment);
  }
  return keys;
}

/**
 * A partition folder (`year=2024/`) adds a column whose value comes from the path. When the file
 * holds a column of that name itself, DuckDB replaces the file's values with the folder's in every
 * row, without a word (rows of 2023 filed under year=2024 read as 2024), also when the path names
 * one file. The first file's own columns are compared with its folders' keys; a clash stops the plan.
 */
export async function checkPartitionClash(opts: {
  nodeId: string;
  hive: boolean | 'auto';
  /** The first file, as the user named it (its folders decide the partition keys). */
  file: string | undefined;
  /** That file's own columns, read without partitions. */
  ownColumns: (file: string) => Promise<string[]>;
}): Promise<void> {
  if (opts.hive === false || opts.file === undefined) return;
  const folders = folderKeys(opts.file);
  if (folders.length === 0) return;
  // DuckDB ignores only the ASCII case of a folder key: a folder 'é=1' adds a column next to a file's 'É'.
  const own = await opts.ownColumns(opts.file);
  const clash = own.find((c) => folders.some((f) => sameName(f.key, c)));
  if (clash === undefined) return;
  const folder = folders.find((f) => sameName(f.key, clash))!.segment;
  const message = `node '${opts.nodeId}': column '${clash}' is both in ${opts.file} and in its folder name '${folder}': read with partitions, the folder's value would replace the file's in every row`;
  const hint = `set hive_partitioning to false to read the file's own '${clash}' (the folder names then add no columns), or rename the column or the folder key`;
  throw new CaudalError('validation', message, { nodeId: opts.nodeId, column: clash, hint, problems: [{ code: 'bind_error', path: 'params.hive_partitioning', message, hint, column: clash }] });
}

/** Every `key=value` folder of a file's path, in order, with its key as written. */
function folderKeys(file: string): Array<{ key: string; segment: string }> {
  return path
    .dirname(file)
    .split(/[\\/]/)
    .flatMap((segment) => {
      const m = /^([^=]+)=(.*)$/.exec(segment);
      return m ? [{ key: m[1]!, segment }] : [];
    });
}

/** The first local file a path or glob names (in path order); undefined for URLs and when none matches. */
export async function firstFile(ctx: Pick<CompileContext<unknown>, 'rows'>, pattern: string): Promise<string | undefined> {
  return (await localFiles(ctx, pattern, 1))?.[0];
}

/** The local files a path or glob names, in path order (at most `limit`); undefined for URLs, whose listing is a request. */
export async function localFiles(ctx: Pick<CompileContext<unknown>, 'rows'>, pattern: string, limit?: number): Promise<string[] | undefined> {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(pattern)) return undefined;
  const rows = await ctx.rows(`SELECT file FROM glob(${stringLiteral(pattern)}) ORDER BY file${limit === undefined ? '' : ` LIMIT ${limit}`}`);
  return rows.map((r) => String(r.file));
}
