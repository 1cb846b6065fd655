import type { Column, CompileContext } from '../define.js';
import { ident, namedArgs, stringLiteral } from '../../compiler/sql.js';
import { wholeBeyondDouble } from '../shared/exact-widening.js';
import { fileLiteral } from '../shared/exact-file.js';

/** `LIMIT n` for the records detection samples (DuckDB reads 20,480 unless told; -1 is all of them). */
export function sampleLimit(sampleSize: number | undefined): string {
  const sample = sampleSize ?? 20480;
  return sample > 0 ? `\nLIMIT ${Math.trunc(sample)}` : '';
}

/**
 * DuckDB's JSON reader types a key DOUBLE when a sampled value is an integer beyond 64 bits
 * (`12345678901234567890123`), and then every whole number in it past 2^53 arrives rounded
 * (9007199254740993 as 9007199254740992): ids and account numbers lose their last digits without
 * a word. A detected DOUBLE key is read once more from the first file as JSON text, which keeps
 * the digits, over the same sample; whole numbers past 2^53 there become a planning warning that
 * names the key, an example and what to list it as. Keys listed under `columns` are read exactly
 * (shared/json-values.ts) and are not looked at.
 */
export async function longIntegerWarning(
  ctx: Pick<CompileContext<unknown>, 'rows' | 'warn' | 'nodeId'>,
  first: string,
  columns: Column[],
  read: { format?: string; sampleSize?: number },
): Promise<void> {
  const doubles = columns.filter((c) => c.type === 'DOUBLE').map((c) => c.name);
  if (doubles.length === 0) return;
  const args = namedArgs({ format: read.format, columns: Object.fromEntries(doubles.map((d) => [d, 'JSON'])) });
  const limit = sampleLimit(read.sampleSize);
  const texts = doubles.map((d, i) => `CAST(${ident(d)} AS VARCHAR) AS v${i}`).join(', ');
  const found = doubles.map((_, i) => `any_value(v${i}) FILTER (WHERE ${wholeBeyondDouble(`v${i}`)}) AS e${i}`).join(', ');
  const [row] = await ctx.rows(`SELECT ${found}\nFROM (SELECT ${texts} FROM read_json(${fileLiteral(first)}, ${args})${limit})`);
  const examples = doubles.flatMap((d, i) => (row?.[`e${i}`] != null ? [{ key: d, example: String(row[`e${i}`]) }] : []));
  for (const { key, example } of examples) {
    ctx.warn(
      `node '${ctx.nodeId}': key "${key}" holds whole numbers beyond 2^53 (${example} in ${first}), which its detected type DOUBLE does not keep exactly: they arrive rounded; to keep every digit, list the key under columns as HUGEINT or DECIMAL(38,0) (whole numbers up to 38 digits), DECIMAL(38,s) if it also holds fractions, or VARCHAR`,
    );
  }
}

/** A key of a JSON path, quoted: `."order id"`. */
const pathKey = (k: string) => `."${k.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;

/**
 * The same for records read from a list inside each file (`records_path`): each detected DOUBLE
 * key of the records is read once more from the first file as JSON text (the list's key read as
 * JSON, the values picked with a path), over as many records as detection samples. Records' types
 * are set with a Cast node after the source, so the warning says to send such numbers as strings.
 */
export async function longIntegerWarningInRecords(
  ctx: Pick<CompileContext<unknown>, 'rows' | 'warn' | 'nodeId'>,
  first: string,
  recordsPath: string,
  records: Column[],
  sampleSize: number | undefined,
): Promise<void> {
  const [top, ...rest] = recordsPath.replace(/^\$\./, '').split('.');
  const limit = sampleLimit(sampleSize);
  for (const c of records.filter((r) => r.type === 'DOUBLE')) {
    const path = `$${rest.map(pathKey).join('')}[*]${pathKey(c.name)}`;
    const values = `SELECT unnest(CAST(json_extract(${ident(top!)}, ${stringLiteral(path)}) AS VARCHAR[])) AS v FROM read_json(${fileLiteral(first)}, ${namedArgs({ columns: { [top!]: 'JSON' } })})`;
    const [row] = await ctx.rows(`SELECT any_value(v) FILTER (WHERE ${wholeBeyondDouble('v')}) AS e\nFROM (${values}${limit})`);
    if (row?.e == null) continue;
    ctx.warn(
      `node '${ctx.nodeId}': key "${c.name}" of the records at ${recordsPath} holds whole numbers beyond 2^53 (${String(row.e)} in ${first}), which its detected type DOUBLE does not keep exactly: they arrive rounded; to keep every digit, have them sent as strings and convert them with a Cast node (HUGEINT, DECIMAL(38,s))`,
    );
  }
}
