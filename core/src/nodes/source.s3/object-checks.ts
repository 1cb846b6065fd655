import { namedArgs, stringLiteral, type SqlValue } from '../../compiler/sql.js';
import { CaudalError } from '../../util/errors.js';
import type { Column, HookIo } from '../define.js';
import { fileLiteral } from '../shared/exact-file.js';
import { foldName } from '../shared/columns.js';
import { checkJsonPartitionClashes } from '../source.json/partition-clashes.js';
import { checkParquetPartitionClashes } from '../source.parquet/source.parquet.node.js';

/** The `name=value` folders of a key, as written (`year=2024/region=eu`). */
function partitionFolders(key: string): string[] {
  return key
    .split('/')
    .slice(0, -1)
    .filter((part) => /^[^=]+=/.test(part));
}

/** The partition keys of a key's folders, in order (`year/region`): DuckDB reads objects together only when all have the same. */
const partitionLayout = (key: string) => partitionFolders(key).map((part) => foldName(part.slice(0, part.indexOf('=')))).join('/');

/**
 * Two objects whose partition folders have different keys (`year=2024/a.csv`, `yr=2025/b.csv`), or
 * one partitioned and one not: DuckDB cannot read them with partitions together (with `true` it fails,
 * with `auto` it silently drops the partition columns, after planning over the first object added
 * them). Undefined when every object has the same keys.
 */
export function partitionLayoutConflict(keys: readonly string[]): { key: string; other: string; folders: [string, string] } | undefined {
  const first = keys[0];
  if (first === undefined) return undefined;
  const layout = partitionLayout(first);
  const other = keys.find((k) => partitionLayout(k) !== layout);
  if (other === undefined) return undefined;
  const shown = (k: string) => partitionFolders(k).join('/') || 'no partition folder';
  return { key: first, other, folders: [shown(first), shown(other)] };
}

/** What the run's checks of the downloaded objects need. */
export interface ObjectCheckOptions {
  nodeId: string;
  hive: boolean | 'auto';
  /** The mirror's pattern (every object's local copy). */
  pattern: string;
  /** JSON: the read's named arguments that decide its columns (layout, sample size), without partitions. */
  jsonArgs?: Record<string, SqlValue | undefined>;
}

const describeWith = (io: HookIo) => async (sql: string): Promise<Column[]> =>
  (await io.db.rows(`DESCRIBE ${sql}`)).map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));

/**
 * Planning saw the first object only: an object after it holding a column named like one of its
 * folder keys is refused now, as a local pattern's files are before the run (its own values would be
 * replaced by the folder's without a word).
 */
export async function checkObjectPartitionClashes(io: HookIo, format: 'parquet' | 'json', files: string[], opts: ObjectCheckOptions): Promise<void> {
  if (opts.hive === false || files.length < 2) return;
  const describe = describeWith(io);
  if (format === 'parquet') await checkParquetPartitionClashes({ describe, rows: (sql) => io.db.rows(sql) }, { nodeId: opts.nodeId, hive: opts.hive, pattern: opts.pattern, files });
  else await checkJsonPartitionClashes(describe, { nodeId: opts.nodeId, hive: opts.hive, pattern: opts.pattern, files, args: namedArgs({ ...opts.jsonArgs, hive_partitioning: false }) });
}

/** The columns that differ between the plan's and the run's read of the JSON objects, in words. */
function schemaChanges(planned: Column[], now: Column[]): Array<{ column: string; said: string }> {
  const before = new Map(planned.map((c) => [c.name, c.type]));
  const after = new Map(now.map((c) => [c.name, c.type]));
  const out: Array<{ column: string; said: string }> = [];
  for (const c of now) {
    const was = before.get(c.name);
    if (was === undefined) out.push({ column: c.name, said: `key '${c.name}' (${c.type}) is not in the first object` });
    else if (was !== c.type) out.push({ column: c.name, said: `column '${c.name}' is ${was} in the first object but ${c.type} across all of them` });
  }
  for (const c of planned) if (!after.has(c.name)) out.push({ column: c.name, said: `column '${c.name}' of the first object is not read from all of them` });
  return out;
}

/** The first object (local copy) whose own detection holds `column` as another type than the first's, or at all when the first lacks it. */
async function objectShowing(io: HookIo, files: string[], column: string, args: string): Promise<string | undefined> {
  const describe = describeWith(io);
  const typeIn = async (file: string) => (await describe(`SELECT * FROM read_json(${fileLiteral(file)}${args ? `, ${args}` : ''})`).catch(() => [])).find((c) => c.name === column)?.type;
  const first = await typeIn(files[0]!);
  // Bounded: the column and both types already say what changed; the object is a help to find it.
  for (const file of files.slice(1, 200)) {
    const type = await typeIn(file);
    if (type !== undefined && type !== first) return file;
  }
  return undefined;
}

/**
 * The JSON read's columns once every object is there must be those planning saw in the first one:
 * DuckDB detects them again over all the objects, and a later object's `"id": "two"` or extra key
 * would make the run's `id` JSON and add a column (a table created so, later runs failing), where
 * the plan, expect_schema and the sinks' checks said BIGINT. Such a run stops before it reads a row,
 * naming the column and the object.
 */
export async function checkJsonColumnsAsPlanned(io: HookIo, sql: string, planned: Column[], files: string[], opts: ObjectCheckOptions & { urls: (text: string) => string }): Promise<void> {
  const changes = schemaChanges(planned, await describeWith(io)(sql));
  if (changes.length === 0) return;
  const where = await objectShowing(io, files, changes[0]!.column, namedArgs({ ...opts.jsonArgs, hive_partitioning: false }));
  const message = `node '${opts.nodeId}': the objects after the first hold keys or types that planning, which reads the first object, did not see: ${changes
    .slice(0, 5)
    .map((c) => c.said)
    .join('; ')}${changes.length > 5 ? ` and ${changes.length - 5} more` : ''}${where ? ` (first in ${opts.urls(where)})` : ''}`;
  const hint = 'list the keys and their types under json.columns (then every object is read with those types, and a value that does not fit stops the run naming it), or make the objects agree with the first';
  throw new CaudalError('execution', message, { nodeId: opts.nodeId, column: changes[0]!.column, hint });
}

/** Every local copy under the mirror, in path order. */
export async function mirrorFiles(io: HookIo, pattern: string): Promise<string[]> {
  return (await io.db.rows(`SELECT file FROM glob(${stringLiteral(pattern)}) ORDER BY file`)).map((r) => String(r.file));
}
