import type { FileCheckContext } from './file-checks.js';
import { fileLiteral } from '../shared/exact-file.js';
import { foldName } from '../shared/columns.js';

/**
 * Parquet writers (pyarrow, and pandas, Polars or Spark through it) take any column names: the same
 * name twice, names that differ only in letter case, an empty name. DuckDB matches names without
 * regard to case and renames such columns when it reads the file (`id` beside `ID` becomes `id_1`,
 * an empty name `C0`), without a word: `columns: [id]`, or a later node reading `id`, then gets
 * another column than the one the file calls `id`. Each local file's top-level names are read from
 * its footer (one query for all files); for a file with such names, the plan warns naming each
 * renamed column and what it is read as.
 */
export async function warnRenamedColumns(ctx: FileCheckContext, files: string[] | undefined, nodeId: string): Promise<void> {
  if (files === undefined || files.length === 0) return;
  const rows = await ctx.rows(`SELECT file_name AS file, name, coalesce(num_children, 0) AS children FROM parquet_schema([${files.map(fileLiteral).join(', ')}]) ORDER BY file_name, column_id`);
  const byFile = new Map<string, Array<{ name: string; children: number }>>();
  for (const r of rows) {
    const file = String(r.file);
    if (!byFile.has(file)) byFile.set(file, []);
    byFile.get(file)!.push({ name: String(r.name ?? ''), children: Number(r.children) });
  }
  for (const [file, schema] of byFile) {
    const names = topLevelNames(schema);
    const folded = names.map(foldName);
    if (!names.some((n, i) => n === '' || folded.indexOf(foldName(n)) !== i)) continue;
    const read = (await ctx.describe(`SELECT * FROM read_parquet(${fileLiteral(file)}, hive_partitioning := false)`)).map((c) => c.name);
    const renamed = names.flatMap((n, i) => (read[i] !== undefined && read[i] !== n ? [`column ${i + 1} '${n}' as '${read[i]}'`] : []));
    if (renamed.length === 0) continue;
    ctx.warn(
      `node '${nodeId}': ${file} has column names DuckDB cannot keep apart (it matches names without regard to case) or that are empty, and reads them under other names: ${renamed.join(', ')}; refer to them by those names, or rename them where the file is written`,
    );
  }
}

/** The names of the root's children in a footer's schema (pre-order, each element with its number of children). */
function topLevelNames(schema: Array<{ name: string; children: number }>): string[] {
  const names: string[] = [];
  let at = 1;
  // Skips an element and everything nested in it; returns the index after it.
  const skip = (i: number): number => {
    let next = i + 1;
    for (let c = 0; c < (schema[i]?.children ?? 0); c++) next = skip(next);
    return next;
  };
  for (let c = 0; c < (schema[0]?.children ?? 0) && at < schema.length; c++) {
    names.push(schema[at]!.name);
    at = skip(at);
  }
  return names;
}
