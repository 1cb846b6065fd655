import { ident, stringLiteral } from '../../compiler/sql.js';
import type { FileCheckContext } from './file-checks.js';
import { CaudalError } from '../../util/errors.js';
import { conversionCheck, mayLoseDigits } from '../shared/exact-widening.js';
import { decimalPrecision, decimalScale, FLOAT_DIGITS, INTEGER_DIGITS, isIntegerType } from '../shared/locale-numbers.js';
import { fileLiteral } from '../shared/exact-file.js';
import { nestedMayChange } from '../shared/nested-types.js';
import { foldName } from '../shared/columns.js';

/** The largest whole number below which a DOUBLE holds every integer (2^53), and FLOAT (2^24). */
const EXACT_BELOW: Record<string, number> = { DOUBLE: 2 ** 53, FLOAT: 2 ** 24 };

/**
 * Combined by name, files whose column is a BIGINT in one and a DOUBLE in another are read as
 * DOUBLE, and DuckDB converts while reading: 9007199254740993 arrives as 9007199254740992, which
 * cannot be told apart afterwards. So each local file whose column the combined type may change is
 * looked at before the run: its row groups' statistics (footer only) clear it when every value is
 * small enough to convert exactly; otherwise its values are checked, and the first one that would
 * change stops the plan, naming the file, the column and the value.
 *
 * Decimals are combined the same way: DECIMAL(38,2) in one file and DECIMAL(38,0) in another are
 * read as DECIMAL(38,0) (38 whole digits and 2 places do not fit 38), and 1.99 arrives as 2. A
 * column whose combined type is a narrower decimal, or holds one (or a float meeting integers)
 * inside a struct or list, is checked by converting each value there and back.
 */
export async function checkExactUnion(ctx: FileCheckContext, pattern: string, files: string[] | undefined, nodeId: string): Promise<void> {
  if (files === undefined || files.length < 2) return;
  const combined = new Map((await ctx.describe(`SELECT * FROM read_parquet(${stringLiteral(pattern)}, union_by_name := true, hive_partitioning := false)`)).map((c) => [foldName(c.name), c.type]));
  if (![...combined.values()].some((t) => t in EXACT_BELOW || DECIMAL.test(t) || FLOAT_INSIDE.test(t))) return;
  for (const file of files) {
    const own = await ctx.describe(`SELECT * FROM read_parquet(${fileLiteral(file)}, hive_partitioning := false)`);
    for (const c of own) {
      const to = combined.get(foldName(c.name));
      if (!to) continue;
      const float = mayLoseDigits(c.type, to);
      if (!float && !decimalMayChange(c.type, to) && !nestedMayChange(c.type, to)) continue;
      if (float && (await clearedByStatistics(ctx, file, c.name, c.type, to))) continue;
      const into = { origin: `in ${file}`, into: `the ${to} type the files are combined into`, hint: 'rewrite the files with one type for the column, or read them separately and give the column one type (a Cast node) before a Union' };
      const check = conversionCheck(c.name, c.type, to, into);
      const x = ident(c.name);
      const changes = float ? check.changes : `${x} IS NOT NULL AND TRY_CAST(TRY_CAST(${x} AS ${to}) AS ${c.type}) IS DISTINCT FROM ${x}`;
      const [bad] = await ctx.rows(`SELECT ${check.message} AS message FROM read_parquet(${fileLiteral(file)}, hive_partitioning := false) WHERE ${changes} LIMIT 1`);
      if (!bad) continue;
      const message = `node '${nodeId}': ${String(bad.message)}`;
      throw new CaudalError('validation', message, { nodeId, column: c.name, problems: [{ code: 'bind_error', path: 'params.union_by_name', message, column: c.name }] });
    }
  }
}

const DECIMAL = /DECIMAL\(/i;
/** A float type inside a list, struct or map (`DOUBLE[]`, `STRUCT(x FLOAT)`), whose values are widened too. */
const FLOAT_INSIDE = /\b(DOUBLE|FLOAT)\b.*[\])]\s*$/i;

/**
 * Whether the combined type may change a value of `from`: a decimal with fewer places or whole
 * digits, an integer with too few whole digits, or a struct or list type holding a decimal that
 * differs from this file's.
 */
function decimalMayChange(from: string, to: string): boolean {
  if (from === to || !DECIMAL.test(to)) return false;
  const [p2, s2] = [decimalPrecision(to), decimalScale(to)];
  if (p2 === undefined || s2 === undefined) return true; // nested: converted there and back to tell
  const [p1, s1] = [decimalPrecision(from), decimalScale(from)];
  if (p1 !== undefined && s1 !== undefined) return s1 > s2 || p1 - s1 > p2 - s2;
  if (isIntegerType(from)) return (INTEGER_DIGITS[from.trim().toUpperCase()] ?? 39) > p2 - s2;
  return true;
}

/**
 * Whether every row group's min/max shows the column's values small enough for `to`: integers below
 * 2^53 (DOUBLE), decimals whose whole digits plus scale fit in 15 significant digits.
 */
async function clearedByStatistics(ctx: FileCheckContext, file: string, column: string, type: string, to: string): Promise<boolean> {
  const groups = await ctx.rows(
    `SELECT stats_min_value AS lo, stats_max_value AS hi FROM parquet_metadata(${fileLiteral(file)}) WHERE path_in_schema = ${stringLiteral(column)}`,
  );
  if (groups.length === 0) return false;
  const scale = decimalScale(type);
  return groups.every((g) =>
    [g.lo, g.hi].every((v) => {
      if (typeof v !== 'string' || v === '') return false;
      const whole = v.replace(/^-/, '').split('.')[0]!.replace(/^0+/, '');
      if (scale !== undefined) return whole.length + scale <= FLOAT_DIGITS[to.toUpperCase()]!;
      return /^\d*$/.test(whole) && Math.abs(Number(v)) < EXACT_BELOW[to.toUpperCase()]!;
    }),
  );
}
