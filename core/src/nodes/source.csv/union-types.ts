import type { CompileContext } from '../define.js';
import { CaudalError } from '../../util/errors.js';
import { decimalScale, isIntegerType } from '../shared/locale-numbers.js';
import { isDateType, isPlainTimestampType, isTimeType } from '../shared/temporal-text.js';
import { argsSql, givenArgs, isIsoDateFormat, type Detected, type ReadArgs } from './detect.js';
import type { CsvSourceParams } from './params.js';

/**
 * Files combined by name keep DuckDB's detection, file by file, but not its lenient reading: the
 * columns it would fill with loss are read as text (`types`, by name, in every file) and converted
 * like a single file's (detect.ts): integers (a fraction past the sample is rounded, `12.5` → 13),
 * DECIMAL columns (`12.345` → 12.35), timestamps without a stated format (a UTC offset is dropped),
 * times, and ISO dates (strptime, which the reader uses with a format, reads `infinity` as
 * 1900-01-01; see isIsoDateFormat). Other date formats are stated, so DuckDB reads them with
 * strptime, which refuses a time or text after the date; files whose dates are not ISO need
 * date_format anyway (union-dates.ts).
 *
 * A column list states types by name here: read_csv's `columns` is positional and renames every
 * file's header (a file with `qty,id` would put its qty under id), so the list goes in as `types`,
 * and a listed column that no file has is an error. Columns the list does not name keep their
 * detected types.
 */
export async function combinedReadArgs(ctx: CompileContext<CsvSourceParams>, from: string): Promise<{ args: ReadArgs; converted: Detected['converted'] }> {
  const p = ctx.params;
  const listed = new Map((p.columns ?? []).map((c) => [c.name, c.type.trim()]));
  const given = givenArgs({ ...p, columns: undefined }, false);
  if (p.all_varchar) return { args: given, converted: [] };
  const named = { ...given.named, dateformat: p.date_format ?? '%Y-%m-%d' };
  // The files' own columns: partition folders and the file name column are not read as text. When
  // they cannot be read here, the read as given reports why (explainDetectionFailure).
  const columns = await ctx.describe(`SELECT * FROM read_csv(${from}, ${argsSql({ ...given, named })}, union_by_name := true, hive_partitioning := false)`).catch(() => undefined);
  if (!columns) return { args: { ...given, named: { ...named, types: listed.size > 0 ? Object.fromEntries(listed) : undefined } }, converted: [] };
  const missing = [...listed.keys()].filter((name) => !columns.some((c) => c.name === name));
  if (missing.length > 0) {
    const message = `node '${ctx.nodeId}': the column list names ${missing.map((m) => `'${m}'`).join(', ')}, which none of the files combined by name has`;
    const hint = `the files' columns: ${columns.map((c) => c.name).join(', ')} (names are matched exactly, case included)`;
    throw new CaudalError('validation', message, { nodeId: ctx.nodeId, hint, problems: [{ code: 'unknown_column', path: 'params.columns', column: missing[0], message, hint }] });
  }
  const typed = columns.map((c) => ({ name: c.name, type: listed.get(c.name) ?? c.type, detected: !listed.has(c.name) }));
  const converted = typed.filter((c) => isIntegerType(c.type) || decimalScale(c.type) !== undefined || (isPlainTimestampType(c.type) && p.timestamp_format === undefined) || isTimeType(c.type) || (isDateType(c.type) && isIsoDateFormat(p.date_format)));
  const types = Object.fromEntries([...listed, ...converted.map((c) => [c.name, 'VARCHAR'] as const)]);
  return { args: { ...given, named: { ...named, types: Object.keys(types).length > 0 ? types : undefined } }, converted };
}
