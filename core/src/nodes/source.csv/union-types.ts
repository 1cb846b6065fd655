import type { CompileContext } from '../define.js';
import { isIntegerType } from '../shared/locale-numbers.js';
import { isPlainTimestampType, isTimeType } from '../shared/temporal-text.js';
import { argsSql, givenArgs, type Detected, type ReadArgs } from './detect.js';
import type { CsvSourceParams } from './params.js';

/**
 * Files combined by name keep DuckDB's detection, file by file, but not its lenient reading: the
 * columns it would fill with loss are read as text (`types`, by name, in every file) and converted
 * like a single file's (detect.ts): integers (a fraction past the sample is rounded, `12.5` → 13),
 * timestamps without a stated format (a UTC offset is dropped) and times. Dates get the ISO format
 * stated, so DuckDB reads them with strptime, which refuses a time or text after the date; files
 * whose dates are not ISO need date_format anyway (union-dates.ts).
 */
export async function combinedReadArgs(ctx: CompileContext<CsvSourceParams>, from: string): Promise<{ args: ReadArgs; converted: Detected['converted'] }> {
  const p = ctx.params;
  const given = givenArgs(p, false);
  // A column list states every column of every file, types included: it is read as listed.
  if (p.all_varchar || (p.columns?.length ?? 0) > 0) return { args: given, converted: [] };
  const named = { ...given.named, dateformat: p.date_format ?? '%Y-%m-%d' };
  // The files' own columns: partition folders and the file name column are not read as text. When
  // they cannot be read here, the read as given reports why (explainDetectionFailure).
  const columns = await ctx.describe(`SELECT * FROM read_csv(${from}, ${argsSql({ ...given, named })}, union_by_name := true, hive_partitioning := false)`).catch(() => undefined);
  if (!columns) return { args: given, converted: [] };
  const converted: Detected['converted'] = columns
    .filter((c) => isIntegerType(c.type) || (isPlainTimestampType(c.type) && p.timestamp_format === undefined) || isTimeType(c.type))
    .map((c) => ({ name: c.name, type: c.type, detected: true }));
  const types = converted.length > 0 ? Object.fromEntries(converted.map((c) => [c.name, 'VARCHAR'])) : undefined;
  return { args: { ...given, named: { ...named, types } }, converted };
}
