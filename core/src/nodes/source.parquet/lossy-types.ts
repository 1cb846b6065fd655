import { stringLiteral } from '../../compiler/sql.js';
import type { FileCheckContext } from './file-checks.js';
import { CaudalError } from '../../util/errors.js';
import { fileLiteral } from '../shared/exact-file.js';

/**
 * Parquet types that DuckDB 1.5's reader does not read as written, found in the files' schemas
 * (footers only, `parquet_schema`):
 * - a DECIMAL wider than 38 digits (pyarrow's decimal256, exports of BigQuery's BIGNUMERIC) is read
 *   as a DOUBLE holding a wrong number (12.34 came back as 889190710428030700): refused;
 * - a timestamp in nanoseconds adjusted to UTC (pandas' default for time-zone-aware columns), and
 *   the legacy INT96 timestamps (Spark, Hive, Impala), are read to the microsecond: the digits past
 *   it are dropped, and DuckDB offers no way to read them, so the plan warns.
 * Local files are all looked at; of a remote pattern, the first object (each footer is a request).
 * Only when the bound schema has a type these become (DOUBLE, a timestamp), so most reads cost nothing.
 */
export async function checkLossyTypes(ctx: FileCheckContext, pattern: string, files: string[] | undefined, opts: { nodeId: string; unionByName: boolean }): Promise<void> {
  const { nodeId } = opts;
  // As the node reads: the first file's schema (checkSameTypes holds the others to it), or all combined.
  const bound = await ctx.describe(`SELECT * FROM read_parquet(${stringLiteral(pattern)}, union_by_name := ${opts.unionByName}, hive_partitioning := false)`).catch(() => undefined);
  if (!bound?.some((c) => /\b(DOUBLE|TIMESTAMP)\b/i.test(c.type))) return;
  const looked = files ?? (await firstObject(ctx, pattern));
  if (looked.length === 0) return;
  const list = `[${looked.map(fileLiteral).join(', ')}]`;
  const rows = await ctx.rows(
    `SELECT file_name AS file, name, type, precision, scale, logical_type FROM parquet_schema(${list})
     WHERE (converted_type = 'DECIMAL' AND precision > 38) OR type = 'INT96'
        OR (logical_type LIKE 'TimestampType(isAdjustedToUTC=1%' AND logical_type LIKE '%NANOS=NanoSeconds()%')`,
  );
  const wide = rows.find((r) => r.type !== 'INT96' && Number(r.precision) > 38);
  if (wide) {
    const column = String(wide.name);
    const message = `node '${nodeId}': column '${column}' of ${String(wide.file)} is a DECIMAL(${Number(wide.precision)},${Number(wide.scale)}), wider than the 38 digits DuckDB reads: it would read wrong numbers`;
    const hint = 'write the column as DECIMAL(38,s) or narrower (e.g. pyarrow decimal128), or as text, then read the file again';
    throw new CaudalError('validation', message, { nodeId, column, hint, problems: [{ code: 'bind_error', path: 'params.path', message, hint, column }] });
  }
  const warned = new Set<string>();
  for (const r of rows) {
    const column = String(r.name);
    if (warned.has(column)) continue;
    warned.add(column);
    const what = r.type === 'INT96' ? 'INT96 timestamps (nanoseconds of the day)' : 'timestamps in nanoseconds with a time zone';
    ctx.warn(
      `node '${nodeId}': column '${column}' of ${String(r.file)} holds ${what}, which DuckDB reads to the microsecond: digits past it are dropped; if they matter, write the column without a time zone (TIMESTAMP_NS) or as text (pyarrow's coerce_timestamps='us' with allow_truncated_timestamps=False fails where a value has nanoseconds)`,
    );
  }
}

/** The first object a remote pattern matches (one listing; no footer read). */
async function firstObject(ctx: FileCheckContext, pattern: string): Promise<string[]> {
  const rows = await ctx.rows(`SELECT file FROM glob(${stringLiteral(pattern)}) ORDER BY file LIMIT 1`).catch(() => []);
  return rows.map((r) => String(r.file));
}
