import type { CompileContext } from '../define.js';
import { namedArgs } from '../../compiler/sql.js';
import { CaudalError } from '../../util/errors.js';
import { sampleLimit } from './long-integers.js';
import { fileLiteral } from '../shared/exact-file.js';

/**
 * DuckDB's JSON reader matches listed columns to keys as written, letter case included: a key
 * listed as `id` where the file says `Id` is missing from every record, and reads NULL in every row
 * without a word. So the first file's keys (over as many records as detection samples) are read as
 * written, and a listed key that is there only in another letter case stops the plan, naming both
 * spellings. A key that is not there in any case stays NULL, as documented (optional keys).
 */
export async function refuseListedKeysInOtherCase(
  ctx: Pick<CompileContext<unknown>, 'rows' | 'nodeId'>,
  first: string,
  listed: ReadonlyArray<{ name: string }>,
  read: { format?: string; sampleSize?: number },
): Promise<void> {
  if (listed.length === 0) return;
  const args = namedArgs({ format: read.format });
  // A file DuckDB cannot parse is left to the read, whose error names the line as read_json sees it.
  const rows = await ctx
    .rows(
      `SELECT DISTINCT k FROM (SELECT unnest(json_keys(json)) AS k FROM (SELECT json FROM read_json_objects(${fileLiteral(first)}${args ? `, ${args}` : ''})${sampleLimit(read.sampleSize)}) WHERE json_type(json) = 'OBJECT')`,
    )
    .catch(() => []);
  const keys = rows.map((r) => String(r.k));
  const written = new Set(keys);
  listed.forEach((c, i) => {
    if (written.has(c.name)) return;
    const other = keys.filter((k) => k.toLowerCase() === c.name.toLowerCase()).sort();
    if (other.length === 0) return;
    const spelled = other.map((k) => `"${k}"`).join(', ');
    const message = `node '${ctx.nodeId}': listed key "${c.name}" is written ${spelled} in ${first}: keys are matched as written, letter case included, so it would read NULL in every row`;
    const hint = `list it as "${other[0]}" (a Select or Cast node after this one can rename the column)`;
    throw new CaudalError('validation', message, { nodeId: ctx.nodeId, column: c.name, hint, problems: [{ code: 'invalid_param', path: `params.columns[${i}].name`, message, hint, column: c.name }] });
  });
}
