import type { Column, CompileContext } from '../define.js';

/**
 * A JSON file without records (an empty file, `[]`) has no keys to detect: DuckDB's reader then
 * gives one column `json` of type JSON and no rows, which a later node or sink takes for the
 * file's columns. Planning warns, naming the path, and says how to give such a file its columns.
 */
export async function noRecordsWarning(
  ctx: Pick<CompileContext<unknown>, 'rows' | 'warn' | 'nodeId'>,
  path: string,
  columns: Column[],
  from: string,
): Promise<void> {
  if (columns.length !== 1 || columns[0]!.name !== 'json' || columns[0]!.type !== 'JSON') return;
  const [row] = await ctx.rows(`SELECT count(*) AS n FROM (SELECT 1 FROM ${from} LIMIT 1)`);
  if (Number(row?.n ?? 1) > 0) return;
  ctx.warn(
    `node '${ctx.nodeId}': ${path} holds no records, so no columns could be detected: it reads as one column "json" with no rows; list the keys and their types under columns to give it its columns`,
  );
}
