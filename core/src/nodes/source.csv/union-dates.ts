import { stat } from 'node:fs/promises';
import { stringLiteral } from '../../compiler/sql.js';
import type { CompileContext } from '../define.js';
import { CaudalError } from '../../util/errors.js';
import { argsSql, givenArgs, ISO_DATE, ISO_TIMESTAMP } from './detect.js';
import type { CsvFile } from './files.js';
import type { CsvSourceParams } from './params.js';

const text = (v: unknown) => (v === '(empty)' || v === null || v === undefined ? '' : String(v));

/**
 * Files combined by name are detected one by one, by DuckDB, in the run: each file gets its own
 * reading of dates such as 01/02/2024 (day or month first), so one text could mean two dates in
 * one output, and a file the single-file check would refuse as ambiguous is read anyway. Dates
 * that are not ISO must then have their format stated.
 */
export async function checkCombinedDates(ctx: CompileContext<CsvSourceParams>, files: CsvFile[]): Promise<void> {
  const p = ctx.params;
  if (p.all_varchar || (p.date_format !== undefined && p.timestamp_format !== undefined)) return;
  const { named } = givenArgs(p, false);
  for (const file of files) {
    // Converted copies and fetched objects exist only in the run.
    if (file.read !== file.original || !(await stat(file.read).catch(() => undefined))) continue;
    const [row] = await ctx.rows(`SELECT DateFormat, TimestampFormat FROM sniff_csv(${stringLiteral(file.read)}, ${argsSql({ named })})`).catch(() => [undefined]);
    if (!row) continue;
    const date = text(row.DateFormat);
    const stamp = text(row.TimestampFormat);
    const found =
      p.date_format === undefined && date && !ISO_DATE.test(date)
        ? { param: 'date_format', format: date, what: 'dates' }
        : p.timestamp_format === undefined && stamp && !ISO_TIMESTAMP.test(stamp)
          ? { param: 'timestamp_format', format: stamp, what: 'timestamps' }
          : undefined;
    if (!found) continue;
    const message = `node '${ctx.nodeId}': ${file.original} has ${found.what} written as ${found.format}; files combined by name are detected one by one, so the same text could read as different ${found.what} in two files`;
    const hint = `set ${found.param} to the format the files use, e.g. "${found.format}"`;
    throw new CaudalError('validation', message, { nodeId: ctx.nodeId, hint, problems: [{ code: 'bind_error', path: `params.${found.param}`, message, hint }] });
  }
}
