import type { Column, CompileContext } from '../define.js';
import { namedArgs } from '../../compiler/sql.js';
import { sampleLimit } from './long-integers.js';
import { fileLiteral } from '../shared/exact-file.js';
import { foldNameSql, sameName } from '../shared/columns.js';

/**
 * Keys that differ only in letter case (`{"A": 1, "a": 2}`) cannot be two columns of those names,
 * as SQL does not tell them apart: DuckDB's JSON reader renames all but the first (`a_1`), and a
 * later `SELECT a` reads "A". The CSV source warns of the same renaming in a header; so does this,
 * when the detected columns show such a rename (a name ending in `_<n>` whose stem is another
 * column's name in another case), after reading the first file's keys as written.
 */
export async function caseRenamedKeysWarning(ctx: Pick<CompileContext<unknown>, 'rows' | 'warn' | 'nodeId'>, first: string, columns: Column[], read: { format?: string; sampleSize?: number }): Promise<void> {
  const names = columns.map((c) => c.name);
  const renamed = names.some((n) => {
    const m = /^(.+)_\d+$/.exec(n);
    return m !== null && names.some((o) => o !== n && sameName(o, m[1]!));
  });
  if (!renamed) return;
  const limit = sampleLimit(read.sampleSize);
  const args = namedArgs({ format: read.format });
  const rows = await ctx.rows(
    `SELECT list(DISTINCT k ORDER BY k) AS ks FROM (SELECT unnest(json_keys(json)) AS k FROM (SELECT json FROM read_json_objects(${fileLiteral(first)}${args ? `, ${args}` : ''})${limit})) GROUP BY ${foldNameSql('k')} HAVING count(DISTINCT k) > 1 ORDER BY min(k)`,
  );
  for (const r of rows) {
    const keys = (r.ks as string[]).map((k) => `"${k}"`).join(', ');
    ctx.warn(
      `node '${ctx.nodeId}': keys ${keys} of ${first} differ only in letter case, which column names do not tell apart: all but the first are read with a suffix (_1, _2), and SQL naming one of them reads the first; rename them in the data, or read them with a SQL node (json_extract) to pick each as written`,
    );
  }
}
