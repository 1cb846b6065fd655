import { z } from 'zod';
import { defineNode } from '../define.js';
import { parquetSinkSpark } from './sink.parquet.spark.js';
import { parquetExactSelect } from './exact-integers.js';
import { fileSinkPlan, ifExistsParam, pathParam, resolvePartitionColumns } from '../shared/file-sink.js';
import { parquetReadBack } from './read-back.js';
import { partitionColumnProblems, repeatedPartitionColumns } from './partition-columns.js';

const params = z
  .object({
    path: pathParam('exports/orders.parquet'),
    if_exists: ifExistsParam,
    compression: z
      .enum(['zstd', 'snappy', 'gzip', 'uncompressed'])
      .default('zstd')
      .meta({
        label: 'Compression',
        help: 'zstd: small files, fast to read (default). snappy: what older readers expect. gzip: widest support, slowest.',
        widget: 'select',
        group: 'Format',
      }),
    row_group_size: z
      .int()
      .positive()
      .optional()
      .meta({
        label: 'Rows per row group',
        help: 'Readers skip and parallelize by row group. Default: DuckDB\'s (122,880 rows).',
        widget: 'number',
        group: 'Format',
        placeholder: '122880',
      }),
    partition_by: z
      .array(z.string().min(1))
      .default([])
      .meta({
        label: 'Partition by',
        help: 'Write a folder with one sub-folder per value (country=ES/data_0.parquet) instead of one file. The columns move into the folder names.',
        widget: 'columns',
        group: 'Layout',
        port: 'in',
      }),
  })
  .strict();

export const parquetSinkNode = defineNode({
  type: 'sink.parquet',
  wholeTarget: true,
  version: 1,
  spark: parquetSinkSpark,
  category: 'sink',
  title: 'Write Parquet',
  description: 'Writes the input to a Parquet file, or a partitioned folder of them, replacing it atomically.',
  aliases: ['parquet', 'export', 'save', 'data lake', 'hive partitions'],
  inputs: [{ name: 'in' }],
  outputs: [],
  params,
  docs: `Parquet keeps column types (decimals, dates, timestamps, lists, structs) exactly, so it is the best
format for handing data to another tool or to a later pipeline. Two exceptions: a
\`TIME WITH TIME ZONE\` (TIMETZ) is stored as a time adjusted to UTC, Parquet's own representation,
so it reads back as the same instant with offset +00 (\`12:34:56+05:30\` as \`07:04:56+00\`); keep
the offset in a column of its own if it matters. A \`UNION\` is stored as DuckDB's internal struct (an
unnamed tag field, then one field per member), which source.parquet refuses to read back: write it
as one type first (a CAST to VARCHAR, or its members as columns with \`union_extract\`).

**128-bit integers** (\`HUGEINT\`, \`UHUGEINT\`, e.g. 20+ digit account numbers the CSV source
detects) have no Parquet type: DuckDB would store them as a DOUBLE and lose digits, so they are
written as \`DECIMAL(38,0)\`, exactly, also inside structs, lists and maps. A value with 39 digits
stops the run naming the column (write it as text, or to CSV).

**Intervals.** Parquet's INTERVAL keeps months, days and milliseconds; DuckDB would cut an
interval's microseconds to write it, so such a value stops the run naming the column (round it to
milliseconds on purpose first, or write it as text).

**Partitioned output.** With \`partition_by\` the path names a folder, written in the hive layout that
DuckDB, Spark, Polars, Athena and BigQuery read directly:

\`\`\`
exports/orders/
  country=ES/year=2024/data_0.parquet
  country=FR/year=2024/data_0.parquet
\`\`\`

The partition columns are not repeated inside the files; readers take them from the folder names
(special characters in values are percent-encoded, e.g. \`city=S%C3%A3o%20Paulo\`). Read the folder
back with \`read_parquet('exports/orders/**/*.parquet', hive_partitioning = true)\`.

Missing values go to \`country=__HIVE_DEFAULT_PARTITION__\`, and readers take a folder \`country=NULL\`
(any letter case) for a missing value too, so a text partition value \`NULL\` or
\`__HIVE_DEFAULT_PARTITION__\` stops the run naming the column (it would come back as NULL, or land
in the missing values' folder and replace their file): replace such values first. On a file system
that does not tell upper from lower case (macOS and Windows by default), \`ES\` and \`es\` would share
a folder and one file would replace the other: after writing, the run counts the rows in the
folder's files, and stops, naming such values, when any are missing (nothing is published).

Values never leave the folder: \`/\`, \`\\\` and every character but letters, digits and \`-_.~\` are
percent-encoded, and each folder starts with its key (\`k=..%2F..%2Fetc\`, \`k=..\`). A folder name
holds at most 255 bytes, and a percent-encoded character takes three per byte (an accented letter
six): a value whose folder name \`key=value\` would be longer stops the run naming the column
(shorten it first, e.g. \`left(k, 40)\` or \`md5(k)\`).
A partition column's **name** must be letters, digits and \`_ . - ~\` only: DuckDB would write
\`order date\` as the key \`order%20date\` and its readers, source.parquet included, would name the
column that way; such a name is refused before the run (rename the column first, e.g. in a Select).
A BLOB column cannot name folders and is refused too (partition by \`hex(col)\`).

**Atomic.** The file (or the whole folder) is written under a hidden temp name next to the target
and renamed into place only when every sink of the run has been written. With
\`if_exists: "overwrite"\` the old file or folder is replaced as a whole: partitions that no longer
have rows disappear, nothing is mixed with the previous run's files. An input of no rows at all
writes a file holding the columns and no rows, or, with \`partition_by\`, an empty folder. A failed or cancelled run
deletes the temp copy and leaves the target as it was.

**Shared input.** When other nodes or a quality check also read what this sink writes (a checked
fact table that an aggregate reads too), the run computes it once, in this sink's statement, and
the others read the staged file back before it is committed, instead of keeping a copy in a temp
table (\`caudal sql --plan\`: "via sink file"). Not with \`partition_by\`.

**Existing files.** \`if_exists: "fail"\` (the default) stops the run before reading any data when
the target exists. Missing parent folders are created when the run starts; if the run then fails,
the folders it created are removed again (when they are still empty).`,
  example: {
    description: 'Orders partitioned by country, rewritten on every run',
    params: { path: 'lake/orders', if_exists: 'overwrite', partition_by: ['country'] },
  },
  check(p) {
    return repeatedPartitionColumns(p.partition_by);
  },
  sink(ctx) {
    const p = ctx.params;
    const columns = ctx.input().columns;
    const partitions = resolvePartitionColumns(ctx.nodeId, p.partition_by, columns);
    const problems = [...partitions.problems, ...partitionColumnProblems(ctx.nodeId, p.partition_by, partitions.names, columns)];
    return fileSinkPlan(ctx, {
      noun: 'Parquet file',
      options: { FORMAT: 'parquet', COMPRESSION: p.compression, ROW_GROUP_SIZE: p.row_group_size },
      partitionBy: partitions.problems.length > 0 ? p.partition_by : partitions.names,
      problems,
      select: parquetExactSelect(columns, partitions.problems.length > 0 ? [] : partitions.names),
      readBack: parquetReadBack(columns),
    });
  },
});
