import type { FileCheckContext } from './file-checks.js';
import { CaudalError } from '../../util/errors.js';
import { fileLiteral } from '../shared/exact-file.js';
import { foldName } from '../shared/columns.js';

/**
 * Files of one pattern (`files`, its local listing) are read with the first file's column types: DuckDB casts a later file's
 * values to them, so a DOUBLE 4.5 becomes the INTEGER 4 and a text code '0042' the number 42,
 * without a word. Each local file's types are compared with the first one's (footers only), and a
 * file whose common column has another type stops the plan, unless the files are combined by name
 * (which widens to a type that holds both).
 */
export async function checkSameTypes(ctx: FileCheckContext, files: string[] | undefined, nodeId: string): Promise<void> {
  // Undefined: remote objects, where each footer is a request.
  if (files === undefined || files.length < 2) return;
  const typesOf = async (file: string) => new Map((await ctx.describe(`SELECT * FROM read_parquet(${fileLiteral(file)}, hive_partitioning := false)`)).map((c) => [foldName(c.name), c]));
  const first = await typesOf(files[0]!);
  for (const file of files.slice(1)) {
    for (const c of (await typesOf(file)).values()) {
      const want = first.get(foldName(c.name));
      if (!want || want.type === c.type) continue;
      const message = `node '${nodeId}': column '${c.name}' is ${c.type} in ${file} but ${want.type} in ${files[0]}, the first file, whose types every file is read with: its values would be converted (4.5 read as 4, '0042' as 42)`;
      const hint = 'set "Combine files by column name" (union_by_name), which reads each column as a type that holds every file\'s values, or rewrite the files with one type';
      throw new CaudalError('validation', message, { nodeId, column: c.name, hint, problems: [{ code: 'bind_error', path: 'params.path', message, hint, column: c.name }] });
    }
  }
}
