import path from 'node:path';
import { ident, literal, stringLiteral } from '../../compiler/sql.js';
import type { CompileContext } from '../define.js';

/**
 * DuckDB gives a partition column (`code=0x10/`) the first of DATE, TIMESTAMP and BIGINT that every
 * folder value casts to, and that cast changes text it reads without a word: `0x10` became 16,
 * `0b11` 3, `-0` 0, `2024-1-5` 2024-01-05, `2024-02-03T10:00:00` 2024-02-03 10:00:00. A column whose
 * values do not all come back as the same text from the inferred type is read as VARCHAR instead
 * (`hive_types`), each value as the folder writes it; values that do (`year=2024`, `d=2024-02-03`)
 * keep the inferred type.
 *
 * The values come from the files' paths (percent-decoded by DuckDB's `url_decode`, as its reader
 * does: sink.parquet percent-encodes them); the inferred types from DuckDB itself, a describe of
 * `read_blob` over the same pattern (the hive detection every multi-file reader shares, without
 * reading a byte of the files, which a CSV source may not even have converted yet). Distinct values
 * only, checked in one query.
 */

/** Types whose name is plain words (DATE, TIMESTAMP, BIGINT): the only ones written into the check. */
const PLAIN_TYPE = /^[A-Z][A-Z0-9_ ]*$/;

/** read_blob's own columns come first; partition columns follow. */
const BLOB_COLUMNS = 4;

/** Partition keys as written (DuckDB names the column so) → the raw folder values, from files' folders. */
export function folderValues(files: readonly string[]): Map<string, Set<string>> {
  const keys = new Map<string, Set<string>>();
  for (const file of files) {
    for (const segment of path.dirname(file).split(/[\\/]/)) {
      const m = /^([^=]+)=(.*)$/.exec(segment);
      if (!m) continue;
      const values = keys.get(m[1]!) ?? new Set<string>();
      values.add(m[2]!);
      keys.set(m[1]!, values);
    }
  }
  return keys;
}

/**
 * Every file a read will reach, where planning sees fewer: source.s3 plans over its first object but
 * runs over all of them, so it hands its delegate the local paths every object will have. Without
 * them a later object's `year=abc` would make the run's column VARCHAR where the plan said BIGINT.
 */
const LISTED_FILES = Symbol('caudal.listedFiles');

/** `ctx` with the files its read will reach at run time (see LISTED_FILES). */
export function withListedFiles<T extends object>(ctx: T, files: readonly string[]): T {
  return { ...ctx, [LISTED_FILES]: files };
}

/**
 * Whether `ctx` reads local copies its caller fetches (source.s3's mirror): the copies are replaced
 * by their whole objects after planning, by design, and each object is held to its planned version
 * by the caller (its ETag), so they are no files a writer could change under the read.
 */
export function readsFetchedCopies(ctx: object): boolean {
  return (ctx as { [LISTED_FILES]?: readonly string[] })[LISTED_FILES] !== undefined;
}

/** The files a read reaches at run time: those `ctx` was given, else the ones planning lists. */
export function filesAtRun(ctx: object, planned: readonly string[] | undefined): readonly string[] | undefined {
  return (ctx as { [LISTED_FILES]?: readonly string[] })[LISTED_FILES] ?? planned;
}

/**
 * The `hive_types` argument for a read of `pattern` (whose local files are `files`): the partition
 * columns DuckDB would read as a type that changes one of their values, as VARCHAR. Undefined when
 * none would (and without partitions, with `hive_partitioning: false`, for remote paths).
 */
export async function hiveTextTypes(
  ctx: Pick<CompileContext<unknown>, 'rows' | 'describe'>,
  opts: { hive: boolean | 'auto'; pattern: string; files: readonly string[] | undefined },
): Promise<Record<string, string> | undefined> {
  // The folder values of every file the run reads; DuckDB's inferred type is the planned files' (a
  // value of a later file that the type would not give back makes the column VARCHAR, which the
  // run then reads it as too).
  const files = filesAtRun(ctx, opts.files);
  if (opts.hive === false || files === undefined || files.length === 0) return undefined;
  // A URL's listing is a request (its files are not local): DuckDB's types are kept.
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(opts.pattern)) return undefined;
  const values = folderValues(files);
  if (values.size === 0) return undefined;
  // DuckDB's own detection over the same files (with `true` the read either gets these same columns or fails).
  const described = await ctx.describe(`SELECT * FROM read_blob(${stringLiteral(opts.pattern)})`).catch(() => undefined);
  if (!described) return undefined;
  const typed = described.slice(BLOB_COLUMNS).filter((c) => values.has(c.name) && c.type !== 'VARCHAR' && PLAIN_TYPE.test(c.type));
  if (typed.length === 0) return undefined;
  const checks = typed.map((c) => {
    const v = ident('v');
    const changed = `upper(${v}) NOT IN ('NULL', '__HIVE_DEFAULT_PARTITION__') AND TRY_CAST(TRY_CAST(${v} AS ${c.type}) AS VARCHAR) IS DISTINCT FROM ${v}`;
    return `SELECT ${stringLiteral(c.name)} AS "key" WHERE EXISTS (SELECT 1 FROM (SELECT url_decode(unnest(${literal([...values.get(c.name)!])})) AS ${v}) WHERE ${changed})`;
  });
  const rows = await ctx.rows(checks.join('\nUNION ALL\n')).catch(() => undefined);
  if (!rows || rows.length === 0) return undefined;
  return Object.fromEntries(rows.map((r) => [String(r.key), 'VARCHAR']));
}
