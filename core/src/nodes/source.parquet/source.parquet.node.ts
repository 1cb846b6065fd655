import { z } from 'zod';
import { defineNode, type CompileContext, type CompiledNode } from '../define.js';
import { incompleteParquetError } from './incomplete-file.js';
import { warnRenamedColumns } from './renamed-columns.js';
import { parquetSourceSpark } from './source.parquet.spark.js';
import { checkParquetFiles } from './file-checks.js';
import { hiveArg, hivePartitioningParam, localFiles } from '../shared/partitions.js';
import { hiveTextTypes } from '../shared/hive-values.js';
import { refuseNonRegularPath } from '../shared/regular-files.js';
import { ident, namedArgs, stringLiteral } from '../../compiler/sql.js';
import { refuseUnionLayout } from './union-columns.js';
import { checkEveryPartitionClash } from './partition-clashes.js';
import { fileLiteral } from '../shared/exact-file.js';
import { exactFileOrPattern } from '../../util/exact-file.js';
import { CaudalError } from '../../util/errors.js';
import { didYouMean } from '../../util/suggest.js';
import { columnNamed, foldName } from '../shared/columns.js';

const params = z
  .object({
    path: z.string().min(1).meta({
      label: 'File or pattern',
      help: 'A Parquet file or a glob such as `data/*.parquet` or `lake/orders/**/*.parquet`. Relative paths start at the pipeline file\'s folder; `${param}` references are filled in. A path that names an existing file is that file, even when its name holds `*`, `?` or `[`.',
      widget: 'path',
      placeholder: 'data/orders/*.parquet',
    }),
    columns: z.array(z.string().min(1)).default([]).meta({
      label: 'Columns to read',
      help: 'Only these columns are read from the files (Parquet is columnar, so the rest is never loaded). Leave empty to read every column.',
      widget: 'list',
      group: 'Columns',
      placeholder: 'order_id',
    }),
    filename_column: z.string().min(1).optional().meta({
      label: 'File name column',
      help: 'Adds a column with this name holding the path of the file each row came from.',
      widget: 'text',
      group: 'Files',
      placeholder: 'source_file',
    }),
    hive_partitioning: hivePartitioningParam,
    union_by_name: z.boolean().default(false).meta({
      label: 'Combine files by column name',
      help: 'For patterns matching files whose columns differ: take every column of every file and fill the missing ones with NULL. Off: the first file decides the columns and their types; later files must have them all, with the same types (checked before the run for local files, after the download for the objects of source.s3), and columns only they have are left out.',
      widget: 'boolean',
      group: 'Files',
    }),
  })
  .strict();

type Params = z.output<typeof params>;

export const parquetSourceNode = defineNode({
  type: 'source.parquet',
  version: 1,
  spark: parquetSourceSpark,
  category: 'source',
  title: 'Parquet file',
  description: 'Reads one Parquet file or every file matching a pattern.',
  aliases: ['parquet', 'read parquet', 'data lake', 'columnar file'],
  inputs: [],
  outputs: [{ name: 'out' }],
  params,
  docs: `Reads Parquet with DuckDB's \`read_parquet\`. Column names and types come from the files
themselves, so nothing is guessed; planning reads only the file footers.

**Several files.** A glob (\`*\` within a folder, \`**\` across folders) reads all matching files as one
table. By default the first file (in path order) decides the columns: later files are matched to
them by name, a file missing one of them is an error, and a column that only later files have is
**left out without a warning**. Turn on *Combine files by column name* when the schema changed
over time: every column of every file is read, \`NULL\` where a file does not have it.
A column whose type differs between files is read as a type that holds both (INTEGER and BIGINT as
BIGINT, a number and text as VARCHAR). When that type is DOUBLE and a file holds the column as BIGINT
(or a DECIMAL with more than 15 digits), a value the DOUBLE would change (9007199254740993 would become
9007199254740992) stops the plan, naming the file, the column and the value. Each such local file's
statistics are read first (its footer), and its values only when they show numbers that large.
Decimals are combined into one DECIMAL, which cannot always keep every place: DECIMAL(38,2) and
DECIMAL(38,0) are read as DECIMAL(38,0), where 1.99 would become 2. A value the combined decimal
would change, also inside a struct or list, stops the plan the same way.
Remote files read by URL (HTTP, s3:// through DuckDB) are not checked; source.s3 checks its objects
once it has downloaded them.

**Types DuckDB does not read as written.** A DECIMAL wider than 38 digits (pyarrow's decimal256,
exports of BigQuery's BIGNUMERIC) would be read as a DOUBLE holding a wrong number (12.34 came back
as 889190710428030700): it is refused before the run, naming the file and the column; write it as
DECIMAL(38,s) or narrower, or as text. Timestamps in nanoseconds with a time zone (pandas' default
for time-zone-aware columns) and INT96 timestamps (Spark, Hive, Impala) are read to the microsecond,
and DuckDB has no way to read the rest: the plan warns, naming the column. Nanoseconds without a
time zone are kept (TIMESTAMP_NS). Every local file's schema is looked at (footers only, and only
when the columns include a DOUBLE or a timestamp); of a remote pattern, the first object.
A UNION written to Parquet by DuckDB (sink.parquet included) is stored as a struct whose first field
is an unnamed tag (\`STRUCT(UTINYINT, i INTEGER, s VARCHAR)\`) and cannot be read back as the union:
such a column is refused before the run, naming it; write it as one type (a CAST to VARCHAR, or its
members as columns with \`union_extract\`). A \`TIME WITH TIME ZONE\` (TIMETZ) is stored as a time
adjusted to UTC, Parquet's own representation: it reads back as the same instant with offset +00
(\`12:34:56+05:30\` as \`07:04:56+00\`); keep the offset in a column of its own if it matters.

**Partitioned folders.** With \`hive_partitioning\` (\`auto\`, \`true\` or \`false\`) a layout such as
\`orders/year=2024/region=eu/part-0.parquet\` adds the columns \`year\` and \`region\`; their types
are inferred from the values (here \`BIGINT\` and \`VARCHAR\`). When any file holds a column of such a name
itself (every file is looked at: their footers, in one query), the node refuses to read them with partitions (DuckDB would replace the file's values with
the folder's in every row, without a word); set \`hive_partitioning: false\` to read the files' own column.
DuckDB takes the first of \`DATE\`, \`TIMESTAMP\` and \`BIGINT\` that every value of a folder key casts to,
and that cast rewrites text (\`code=0x10\` would read as 16, \`-0\` as 0, \`d=2024-1-5\` as 2024-01-05): a
partition column whose values would not all come back as the same text is read as \`VARCHAR\`, each value
as the folder writes it (percent-encoded characters decoded, as sink.parquet writes them). Values that do
(\`year=2024\`, \`d=2024-02-03\`) keep the inferred type. The folders of every local file are looked at (of
source.s3, every object's).

**Column names DuckDB renames.** A file may hold the same name twice, names that differ only in
letter case (\`ID\` and \`id\`), or an empty name (pyarrow writes them). DuckDB matches names without
regard to case and reads such columns under other names (\`id_1\`, \`C0\`); the plan warns, naming
the file and each renamed column, so that a node reading \`id\` does not silently get another column.

**Reading fewer columns.** List the columns you need in *Columns to read*: only those are read
from disk, in that order. Partition columns can be listed too; the file name column, if set, is
always added (at the end, unless listed elsewhere). A name that is not in the files is reported before the run, with the closest match.

**File name column.** Holds the full path of the file each row came from, handy with globs. It
must not have the name of a column already in the files.

If no file matches the path, the node reports an \`io_error\` problem before anything runs. A file
without its footer, which a Parquet writer adds last (a file another program is still writing, or
one cut off by a crash), is reported the same way, naming the file: wait for the writer, or leave
the file out of the pattern (writers that publish by renaming a finished file avoid this).`,
  example: {
    description: 'Read a partitioned folder, keeping three columns and the source file',
    params: {
      path: 'lake/orders/**/*.parquet',
      columns: ['order_id', 'amount', 'year'],
      filename_column: 'source_file',
      hive_partitioning: true,
      union_by_name: true,
    },
  },
  check(p) {
    const out: Array<{ path: string; message: string; hint?: string }> = [];
    const seen = new Set<string>();
    p.columns.forEach((c, i) => {
      if (seen.has(foldName(c))) out.push({ path: `columns[${i}]`, message: `column '${c}' is listed twice`, hint: 'remove one of them' });
      seen.add(foldName(c));
    });
    return out;
  },
  async compile(ctx) {
    try {
      return await readParquet(ctx);
    } catch (e) {
      throw incompleteParquetError(ctx.nodeId, e) ?? e;
    }
  },
});

/** The plan: the files checked (footers only), then read_parquet with the node's options. */
async function readParquet(ctx: CompileContext<Params>): Promise<CompiledNode> {
  const p = ctx.params;
  // A file whose name holds glob characters (data[1].parquet) is read as itself, not as a pattern.
  const pattern = await exactFileOrPattern(ctx.path(p.path));
  await refuseNonRegularPath(ctx.nodeId, pattern);
  const files = await localFiles(ctx, pattern);
  const args = namedArgs({
    filename: p.filename_column,
    hive_partitioning: hiveArg(p.hive_partitioning),
    // Partition folders whose values the inferred type would change (0x10 → 16) are read as text.
    hive_types: await hiveTextTypes(ctx, { hive: p.hive_partitioning, pattern, files }),
    union_by_name: p.union_by_name || undefined,
  });
  await warnRenamedColumns(ctx, files, ctx.nodeId);
  await checkParquetFiles(ctx, pattern, files, { nodeId: ctx.nodeId, unionByName: p.union_by_name });
  await checkParquetPartitionClashes(ctx, { nodeId: ctx.nodeId, hive: p.hive_partitioning, pattern, files });
  const from = `read_parquet(${stringLiteral(pattern)}${args ? `, ${args}` : ''})`;
  refuseUnionLayout(ctx.nodeId, p.path, await ctx.describe(`SELECT * FROM ${from}`));
  if (p.columns.length === 0) return { outputs: { out: `SELECT *\nFROM ${from}` } };

  // Check the names ourselves (footers only): the binder would report the first unknown name
  // without the file's column list.
  const available = await ctx.describe(`SELECT * FROM ${from}`);
  const missing = p.columns.filter((c) => !columnNamed(available, c));
  if (missing.length > 0) {
    const names = available.map((c) => c.name).filter((n) => n !== p.filename_column);
    const what = missing.map((m) => `'${m}'${didYouMean(m, names)}`).join(', ');
    const message = `node '${ctx.nodeId}': ${missing.length === 1 ? 'column' : 'columns'} ${what} not found in ${p.path}`;
    const hint = `columns in the data: ${names.join(', ')}`;
    throw new CaudalError('validation', message, {
      nodeId: ctx.nodeId,
      column: missing[0],
      hint,
      problems: [{ code: 'unknown_column', path: 'params.columns', message, hint, column: missing[0] }],
    });
  }
  // Use the files' spelling: DuckDB matches names without regard to (ASCII) case.
  const selected = p.columns.map((c) => columnNamed(available, c)!.name);
  if (p.filename_column && !selected.includes(p.filename_column)) selected.push(p.filename_column);
  return { outputs: { out: `SELECT ${selected.map(ident).join(', ')}\nFROM ${from}` } };
}

/**
 * Refuses a file holding a column named like one of its folder keys, over every file of the read
 * (also source.s3's objects, once downloaded): one parquet_schema over all the footers, then the
 * suspect files' own columns.
 */
export async function checkParquetPartitionClashes(
  ctx: Pick<CompileContext<unknown>, 'describe' | 'rows'>,
  opts: { nodeId: string; hive: boolean | 'auto'; pattern: string; files: readonly string[] | undefined },
): Promise<void> {
  await checkEveryPartitionClash({
    nodeId: opts.nodeId,
    hive: opts.hive,
    files: opts.files,
    allColumns: async () => (await ctx.rows(`SELECT DISTINCT name FROM parquet_schema(${stringLiteral(opts.pattern)})`)).map((r) => String(r.name)),
    ownColumns: async (file) => (await ctx.describe(`SELECT * FROM read_parquet(${fileLiteral(file)}, hive_partitioning := false)`)).map((c) => c.name),
  });
}
