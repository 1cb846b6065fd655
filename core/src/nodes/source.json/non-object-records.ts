import type { CompileContext } from '../define.js';
import { namedArgs } from '../../compiler/sql.js';
import { sampleLimit } from './long-integers.js';
import { fileLiteral } from '../shared/exact-file.js';

/** A JSON value's kind as DuckDB's json_type names it, in words. */
const KIND: Record<string, string> = {
  ARRAY: 'an array',
  VARCHAR: 'a string',
  BIGINT: 'a number',
  UBIGINT: 'a number',
  DOUBLE: 'a number',
  BOOLEAN: 'true or false',
  NULL: 'null',
};

/**
 * Records that are not objects among objects are read by DuckDB's JSON reader without an error,
 * but not as records: a `null` becomes a row whose every column is NULL (a row the file does not
 * hold), and an array, string or number in the detection sample turns every record of the file into
 * JSON text in one column "json" instead of a column per key. The first file's sample (as many
 * records as detection reads) is looked at, and the first such record is named in a warning.
 * A file of scalars only (`[1, 2, 3]`) is read as one column "json" as it says, and not warned of.
 * With listed columns only nulls are looked at: any other value stops the run there.
 */
export async function nonObjectRecordsWarning(
  ctx: Pick<CompileContext<unknown>, 'rows' | 'warn' | 'nodeId'>,
  first: string,
  read: { format?: string; sampleSize?: number; listed: boolean },
): Promise<void> {
  const args = namedArgs({ format: read.format });
  const kinds = `SELECT row_number() OVER () AS n, coalesce(json_type(json), 'NULL') AS t FROM (SELECT json FROM read_json_objects(${fileLiteral(first)}${args ? `, ${args}` : ''})${sampleLimit(read.sampleSize)})`;
  const others = read.listed ? `t = 'NULL'` : `t <> 'OBJECT'`;
  // A file DuckDB cannot parse is left to the read, whose error names the line as read_json sees it.
  const [row] = await ctx
    .rows(`SELECT count(*) FILTER (WHERE t = 'OBJECT') AS objects, arg_min(t, n) FILTER (WHERE ${others}) AS kind, min(n) FILTER (WHERE ${others}) AS at FROM (${kinds})`)
    .catch(() => []);
  if (!row || Number(row.objects) === 0 || row.kind == null) return;
  const kind = String(row.kind);
  const what = `record ${String(row.at)} of ${first} is ${KIND[kind] ?? kind.toLowerCase()}, not an object`;
  const effect =
    kind === 'NULL'
      ? 'DuckDB\'s JSON reader reads such a record as a row whose every column is NULL, a row the file does not hold'
      : 'with it among the records sampled, every record is read as JSON text into one column "json" instead of a column per key';
  ctx.warn(`node '${ctx.nodeId}': ${what}: ${effect}; remove such records from the file, or have it written with objects only`);
}
