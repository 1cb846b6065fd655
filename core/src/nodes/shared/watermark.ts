import { ident } from '../../compiler/sql.js';
import type { HookIo } from '../define.js';

/**
 * The next watermark of an incremental database source, from the rows this run read: `expr` turns
 * `max(<column>)` into the text the server compares. Rows read with no value in the column are
 * counted in the same scan and said: a NULL is never above a watermark, so later runs would never
 * read rows like them.
 */
export async function nextWatermark(io: HookIo, data: string, column: string, expr: (max: string) => string): Promise<unknown> {
  const col = ident(column);
  const [row] = await io.db.rows(`SELECT ${expr(`max(${col})`)} AS w, count(*) FILTER (WHERE ${col} IS NULL) AS nulls FROM ${data}`);
  const nulls = Number(row?.nulls ?? 0);
  if (nulls > 0)
    io.warn?.(
      `${nulls.toLocaleString('en-US')} row${nulls === 1 ? '' : 's'} read ha${nulls === 1 ? 's' : 've'} no value in the watermark column '${column}': a NULL is never above the watermark, so later incremental runs will not read rows like ${nulls === 1 ? 'it' : 'them'}; give the column a value (a DEFAULT, or a trigger that sets it) or read them another way`,
    );
  return row?.w;
}
