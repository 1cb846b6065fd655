import { stringLiteral } from '../../compiler/sql.js';
import type { CompileContext, HookIo, SetupStep } from '../define.js';
import { isGlob } from '../../util/glob.js';
import { fileLiteral } from '../shared/exact-file.js';
import { checkPartitionClash, partitionKeys } from '../shared/partitions.js';
import { argsSql, givenArgs } from './detect.js';
import type { CsvFile } from './files.js';
import type { CsvSourceParams } from './params.js';
import { foldName } from '../shared/columns.js';

type Rows = (sql: string) => Promise<Array<Record<string, unknown>>>;

/**
 * Files combined by name each have their own header, so a file after the first may hold a column
 * named like a partition folder key (`year` in `year=2025/b.csv`). DuckDB then stops with an internal
 * error (a text folder value where the file's number is) or replaces the file's values. The columns of
 * all files together are compared with the keys in one read; only a clash reads the files one by one,
 * to name the file that has the column.
 */
async function checkCombined(rows: Rows, p: CsvSourceParams, nodeId: string, files: CsvFile[]): Promise<void> {
  if (p.hive_partitioning === false || files.length < 2 || partitionKeys(files[0]!.original).size === 0) return;
  // Text only: the names matter here, and a file's values cannot fail a read as text.
  const given = givenArgs({ ...p, columns: undefined }, false);
  const args = argsSql({ ...given, named: { ...given.named, all_varchar: true } });
  const columnsOf = async (paths: string[]) =>
    (await rows(`DESCRIBE SELECT * FROM read_csv([${paths.map(fileLiteral).join(', ')}], ${args}, union_by_name := true, hive_partitioning := false)`).catch(() => [])).map((r) => String(r.column_name));
  const keys = partitionKeys(files[0]!.original);
  if (!(await columnsOf(files.map((f) => f.read))).some((c) => keys.has(foldName(c)))) return;
  for (const file of files) {
    await checkPartitionClash({ nodeId, hive: p.hive_partitioning, file: file.original, ownColumns: () => columnsOf([file.read]) });
  }
}

/** The plan's check over the files it sees. */
export const checkCombinedPartitionClash = (ctx: CompileContext<CsvSourceParams>, files: CsvFile[]) => checkCombined(ctx.rows, ctx.params, ctx.nodeId, files);

/**
 * The same check when the run begins, over what the pattern matches then (a file added since, or an
 * object store's objects, which source.s3 fetches in its own step before this one). Only for files
 * read in place, as laterHeadersStep.
 */
export function laterCombinedPartitionsStep(ctx: CompileContext<CsvSourceParams>, pattern: string, files: CsvFile[]): SetupStep | undefined {
  if (ctx.params.hive_partitioning === false || !isGlob(pattern) || files.some((f) => f.read !== f.original)) return undefined;
  return {
    kind: 'hook',
    description: 'compare the columns of every file combined by name with its partition folders',
    async run(io: HookIo) {
      const now = (await io.db.rows(`SELECT file FROM glob(${stringLiteral(pattern)}) ORDER BY file`)).map((r) => String(r.file));
      if (now.length === files.length && now.every((f, i) => f === files[i]!.original)) return 0;
      await checkCombined((sql) => io.db.rows(sql), ctx.params, ctx.nodeId, now.map((original) => ({ original, read: original, encoding: 'utf-8', compressed: false })));
      return 0;
    },
    async dry() {},
  };
}
