import { arrayBehindByteOrderMark } from './layout.js';
import { z } from 'zod';
import { defineNode, type Column } from '../define.js';
import { ident, namedArgs, stringLiteral } from '../../compiler/sql.js';
import { hiveArg, hivePartitioningParam, localFiles } from '../shared/partitions.js';
import { hiveTextTypes } from '../shared/hive-values.js';
import { refuseNonRegularPath } from '../shared/regular-files.js';
import { fileLiteral } from '../shared/exact-file.js';
import { exactFileOrPattern } from '../../util/exact-file.js';
import { flattenedSelect } from '../shared/flatten.js';
import { convertedListedRead, listedReadType, undecodedBlob } from '../shared/json-blob-values.js';
import { jsonSourceSpark } from './source.json.spark.js';
import { recordsSelect, wrappedRecordsWarning } from './records-path.js';
import { longIntegerWarning, longIntegerWarningInRecords } from './long-integers.js';
import { caseRenamedKeysWarning } from './case-keys.js';
import { noRecordsWarning } from './no-records.js';
import { sampledValueWarnings } from './sampled-values.js';
import { explainCaseTwins, explainNotCompressed, jsonErrorAdvice } from './error-advice.js';
import { locateMalformed } from './malformed-lines.js';
import { refuseListedKeysInOtherCase } from './listed-keys.js';
import { nonObjectRecordsWarning } from './non-object-records.js';
import { nestingCheck, refuseDeepNesting, SAMPLED_FILES } from './nesting-depth.js';
import { refuseRenamedFilenameColumn } from './filename-column.js';
import { checkJsonPartitionClashes } from './partition-clashes.js';
import { columnTypeProblems, duckDbType } from '../shared/type-param.js';
import { foldName } from '../shared/columns.js';

const params = z
  .object({
    path: z.string().min(1).meta({
      label: 'File or pattern',
      help: 'A JSON file or a glob such as `exports/*.json`. Relative paths start at the pipeline file\'s folder; `${param}` references are filled in. A path that names an existing file is that file, even when its name holds `*`, `?` or `[`.',
      widget: 'path',
      placeholder: 'data/customers.json',
    }),
    format: z.enum(['auto', 'array', 'newline_delimited']).default('auto').meta({
      label: 'Layout',
      help: '`array`: one JSON array of objects. `newline_delimited`: one object per line (NDJSON, JSON Lines). `auto` tells them apart from the first bytes.',
      widget: 'select',
    }),
    flatten: z.boolean().default(false).meta({
      label: 'Flatten nested objects',
      help: 'Turns fields of nested objects into top-level columns (`customer.address.city` → `customer_address_city`). Off: each nested object is one STRUCT column. Arrays stay lists either way.',
      widget: 'boolean',
      group: 'Structure',
    }),
    flatten_separator: z.string().min(1).default('_').meta({
      label: 'Name separator',
      help: 'Joins the parts of a flattened column name.',
      widget: 'text',
      group: 'Structure',
      placeholder: '_',
    }),
    records_path: z.string().min(1).optional().meta({
      label: 'Records path',
      help: 'When each file is one object that holds the records in a list, the key of that list: `data` for {"data": [{...}, {...}], "meta": {...}}, with dots for a deeper one (`result.items`). Each object of the list becomes a row (null entries are skipped). Empty: the records are the top-level objects.',
      widget: 'text',
      group: 'Structure',
      placeholder: 'data',
    }),
    columns: z
      .array(
        z
          .object({
            name: z.string().min(1).meta({ label: 'Key', help: 'The JSON key at the top level of each record.' }),
            type: duckDbType().meta({ label: 'Type', help: 'A DuckDB type, e.g. VARCHAR, BIGINT, DATE, STRUCT(city VARCHAR), VARCHAR[].', placeholder: 'VARCHAR' }),
          })
          .strict(),
      )
      .default([])
      .meta({
        label: 'Columns and types',
        help: 'Read exactly these keys with these types instead of detecting them; other keys are ignored, missing keys are NULL. Leave empty to detect.',
        widget: 'list',
        group: 'Structure',
      }),
    filename_column: z.string().min(1).optional().meta({
      label: 'File name column',
      help: 'Adds a column with this name holding the path of the file each row came from.',
      widget: 'text',
      group: 'Files',
      placeholder: 'source_file',
    }),
    hive_partitioning: hivePartitioningParam,
    maximum_depth: z.number().int().min(1).optional().meta({
      label: 'Detect types down to depth',
      help: 'Nesting levels whose types are detected; deeper values are kept as JSON text. Unlimited when empty.',
      widget: 'number',
      group: 'Detection',
      placeholder: 'unlimited',
    }),
    sample_size: z
      .number()
      .int()
      .refine((n) => n === -1 || n >= 1, 'use a positive number of records, or -1 for all of them')
      .optional()
      .meta({
        label: 'Records sampled',
        help: 'How many records are read to detect columns and types (DuckDB default: 20480). A key or type first seen after the sample fails the run; -1 reads every record first: slower, but nothing is missed.',
        widget: 'number',
        group: 'Detection',
        placeholder: '20480',
      }),
  })
  .strict();

export const jsonSourceNode = defineNode({
  type: 'source.json',
  version: 1,
  spark: jsonSourceSpark,
  category: 'source',
  title: 'JSON file',
  description: 'Reads a JSON array or newline-delimited JSON, keeping nested objects as structs or flattening them.',
  aliases: ['json', 'ndjson', 'json lines', 'jsonl', 'read json'],
  inputs: [],
  outputs: [{ name: 'out' }],
  params,
  docs: `Reads JSON with DuckDB's \`read_json\`: each object is a row and each key a column. Both layouts
are understood, one array of objects (\`[{...}, {...}]\`) and one object per line (NDJSON, JSON
Lines); \`auto\` tells them apart. A glob reads every matching file. A file saved with a UTF-8
byte-order mark (PowerShell, .NET, Notepad) is read as well: behind the mark DuckDB's detection would
take an array for one value (one row, one column \`json\` holding every record), so with \`auto\` a first
file whose mark is followed by \`[\` is read as an array. With \`newline_delimited\` stated, DuckDB
refuses a mark (\`byte order mark (BOM) is not supported\`): leave the layout on \`auto\`.

**Types.** Columns and their types are detected from a sample of the records (*Records sampled*,
20480 by default). Data past the sample must fit: a key seen there for the first time
(\`has unknown key "extra"\`) or a value of another type (text in a number column) stops the run
with the file and line, and says which param to change. Some values past the sample do not stop
it but are converted by DuckDB's JSON reader: a number with a fraction (\`12.5\`) in a key detected
as an integer is rounded (to 12), \`true\`/\`false\` there become 1/0, any number in a key detected as
\`BOOLEAN\` is true unless 0, a \`TIME\` key reads \`01:45:00 PM\` as 01:45 and cuts nanoseconds, and a
number beyond a double's range (\`1e400\`) reads as \`inf\` (\`1e-400\` as 0). So where the sample may
not show every kind of value, set *Records sampled* to \`-1\` or list the keys under *Columns and
types*, which refuses all of these but the out-of-range number naming the value. (Reading such keys as text to check them would need the column list,
and a column list ignores the keys it does not name: a key first seen past the sample would be dropped
without a word instead.) Nor does a second one: a key detected as \`DOUBLE\` (its sampled values
include fractions, in one file or across the files of a pattern) holds whole numbers exactly only up
to 2^53, so 9007199254740993 in it arrives as 9007199254740992.0; where such numbers occur, list the
key as \`DECIMAL(p,s)\` (converted from the number's text, and checked) or send them as strings.
Planning warns when the first file's sample has such a number in a detected \`DOUBLE\` key (also one
that a whole number beyond 64 bits made \`DOUBLE\`, and a key of the records a *Records path* names),
naming the key and the number. It also warns, naming the key path (\`s.h\`, \`l[]\`), an example and
what to do, where the first file's sample (its first 8 MB) has a number a detected \`DOUBLE\` changes
at any depth: one with more significant digits than a double keeps (\`1234567890123456.78\` arrives as
1234567890123456.8; send it as a string and list the key as \`DECIMAL(p,s)\`), or a whole number beyond
2^53 inside a struct or list (list the key with its type spelled out, the field as \`HUGEINT\`). DuckDB's
JSON reader reads \`"infinity"\` and \`"-infinity"\` in a key it detects as \`DATE\` or \`TIMESTAMP\` as
1900-01-01: planning warns where the sample has one, naming the key; read such a key as \`VARCHAR\` and
convert it with a Cast node, which keeps infinity. Values past the sample are not looked at.
A record with 200 or more keys of one type is read as that many columns (DuckDB would otherwise make
them one \`MAP\` column \`json\`). A file with no records (empty, or \`[]\`) has no keys to detect: it
reads as one column \`json\` with no rows, and planning warns naming the path; list the keys under
*Columns and types* to give it its columns. Keys that differ only in letter case (\`"A"\` and \`"a"\`) cannot be
two columns of those names: all but the first get a suffix (\`a_1\`), and planning warns naming them.
**Listed** columns are checked: a value that the listed type would change
stops the run naming the column and the value (a fraction in an integer column, \`12.0\` being fine;
a time or text after the date in a \`DATE\`; a non-zero UTC offset in a \`TIMESTAMP\`, use
\`TIMESTAMPTZ\`; more fractional digits of a second than a \`TIMESTAMP\` or \`TIME\` keeps (6; list
\`TIMESTAMP_NS\` for nanoseconds); a date, offset or AM/PM around a \`TIME\`; a number other than 0 or 1 in a
\`BOOLEAN\`; more decimal places than a \`DECIMAL(p,s)\` keeps, e.g. \`12.345\` in \`DECIMAL(10,2)\`), also inside \`STRUCT\` types (not inside lists). Raise the sample (\`-1\` reads every record first), or skip detection by
listing the keys and their DuckDB types under *Columns and types*: then only those keys are read,
other keys are ignored and missing ones are \`NULL\`. A key whose sampled values have mixed types
(\`1\`, \`"x"\`, \`true\`) or are all \`null\` is read as text: \`"x"\` as \`x\`, whole numbers, \`true\`,
\`false\`, lists and objects as written, and a number with a point or an exponent as the double it
reads as (\`1.50\` as \`1.5\`, \`1E+2\` as \`100.0\`, 17 significant digits at most). The same goes for a
key listed as \`VARCHAR\`: only quoted text, whole numbers and the rest keep their spelling, since
DuckDB's JSON reader parses a number with a fraction as a double before anything sees its digits;
send numbers whose spelling matters as strings (\`"1.50"\`).
A key listed as \`BLOB\` (also a struct field or a list element: \`STRUCT(x BLOB)\`, \`BLOB[]\`) is read
from a JSON string holding DuckDB's text form of bytes, the form \`CAST(… AS BLOB)\` reads, source.csv
reads and sink.json writes: printable ASCII as itself, any other byte and a backslash as \`\\xNN\`, so
\`"\\\\x00\\\\xFF"\` in the file (the text \`\\x00\\xFF\`) is the two bytes 00 FF and a BLOB written by
sink.json reads back byte for byte. A string that is not such text (\`\\xZZ\`, a lone \`\\\`, a
character beyond ASCII) or a value that is not a string stops the run naming the column and the value.
Base64 is not decoded: list such a key as \`VARCHAR\` and use \`from_base64(col)\` after this node.
A BLOB inside a \`MAP\`, \`UNION\` or fixed-size array (\`BLOB[2]\`) is refused: list it as \`VARCHAR\` and
\`CAST\` the values later.
Integers declared as HUGEINT keep every digit (a number written with a point or an exponent is read as
a double, so in an integer column one of 2^53 or more is refused rather than guessed); detected, a value beyond 64 bits makes the column DOUBLE;
DuckDB's JSON reader reads a number with a fraction as a double, which keeps 15 significant digits
for certain: into a \`DECIMAL\` column, one that comes back with more is refused rather than read as
the double made it (\`12345678901234567.89\` came back as 12345678901234568.0); send such values as
strings (\`"12345678901234567.89"\`), which are converted from their text.

**Nested objects** become \`STRUCT\` columns: \`{"customer": {"name": "Zoë"}}\` gives a column
\`customer\` of type \`STRUCT(name VARCHAR)\`, read in later SQL as \`customer.name\`. With
*Flatten nested objects* every field becomes a top-level column instead, at any depth, its name
joined with the separator: \`customer.address.city\` → \`customer_address_city\`. Arrays stay
\`LIST\` columns (\`VARCHAR[]\`, \`STRUCT(...)[]\`) either way. If two fields would get the same name
after flattening (say a key \`customer_id\` next to \`customer: {"id": ...}\`; case does not
count), the node reports both paths and asks for another separator. A file nesting objects or lists
more than 1000 levels deep is refused, naming the file and the line (DuckDB's reader would crash on
it): a run scans every file before reading it, planning the first 8 MB of the files it samples
(\`.gz\` and \`.zst\` files as their text).

**Records inside an object.** API dumps often hold their records in a list inside one object:
\`{"meta": {...}, "data": [{...}, {...}]}\`. Read as it is, such a file is one row with a list column;
set *Records path* to \`data\` (dots for deeper lists: \`result.items\`) and each object of the list
becomes a row, its keys the columns (detected across all its objects), with the file name and
partition columns on every row. A wrong path names the keys that are there. Without the path,
planning warns when the first file (up to 64 MB) is one object that holds lists of objects. Types are detected,
not listed: set them with a Cast node after this one. Each file is read whole (it is one JSON value),
so memory grows with the largest file. Not available on Spark.

**Partitioned folders.** With \`hive_partitioning\` (\`auto\` by default, \`true\` or \`false\`) a path
such as \`orders/year=2024/region=eu/part-0.json\` adds the columns \`year\` and \`region\`, also when the path
names one file. A file that holds a column of such a name itself is refused, whichever file of a pattern it is (DuckDB would replace its
values with the folder's in every row, without a word); set \`hive_partitioning: false\` to read the
file's own column. A partition column's type is inferred from its values (\`DATE\`, \`TIMESTAMP\`, \`BIGINT\`,
else \`VARCHAR\`), but when that type would not give back a value as written (\`code=0x10\` read as 16, \`-0\`
as 0, \`d=2024-1-5\` as 2024-01-05) the column is read as \`VARCHAR\`, each value as the folder writes it;
values that come back the same (\`year=2024\`, \`d=2024-02-03\`) keep the inferred type. The folders of
every local file are looked at (of source.s3, every object's).

**Errors.** A path that matches no file is an \`io_error\` problem before the run. A file that is
not valid JSON stops the node with DuckDB's reason, naming the file, the record (its number in the
file) and its line; a record spanning lines (a pretty-printed array) names the line it starts on and
the line where reading it stopped. A record that
repeats a key (\`{"id": 1, "id": 2}\`) stops the run naming the key and the line: which value is meant
cannot be told. A key listed under *Columns and types* is matched as written, letter case included:
one the first file holds only in another case (\`id\` listed, \`Id\` in the file) would read \`NULL\` in
every row, and is refused before the run naming both spellings. A file name column whose name a key
holds in another letter case is refused too (DuckDB would rename the file name column \`_1\`).

**Records that are not objects.** Planning warns, naming the record, when the first file's sample
holds a \`null\` record among objects (DuckDB reads it as a row whose every column is \`NULL\`) or an
array, string or number among objects (then every record is read as JSON text into one column
\`json\`). Past the sample such a record stops the run. A file nested more than 1000 levels deep
(within its first 8 MB) is refused before DuckDB reads it: DuckDB's reader would crash on it.`,
  example: {
    description: 'Read newline-delimited order events, flattening the nested customer object',
    params: {
      path: 'events/orders-*.ndjson',
      format: 'newline_delimited',
      flatten: true,
      filename_column: 'source_file',
    },
  },
  check(p) {
    const out: Array<{ path: string; message: string; hint?: string }> = [];
    if (p.records_path !== undefined && p.columns.length > 0)
      out.push({ path: 'columns', message: 'columns name top-level keys, and with records_path the rows are the objects of a list', hint: 'leave columns empty to detect the records\' keys, and set their types with a Cast node after this one' });
    const seen = new Set<string>();
    p.columns.forEach((c, i) => {
      if (seen.has(foldName(c.name))) out.push({ path: `columns[${i}].name`, message: `key '${c.name}' is listed twice`, hint: 'remove one of them' });
      seen.add(foldName(c.name));
    });
    const typeProblems = columnTypeProblems('columns', p.columns);
    p.columns.forEach((c, i) => {
      const why = typeProblems.some((t) => t.path === `columns[${i}].type`) ? undefined : undecodedBlob(c.type);
      if (why) out.push({ path: `columns[${i}].type`, message: `column '${c.name}': ${why}`, hint: 'list those BLOBs as VARCHAR (MAP(VARCHAR, VARCHAR)) and turn the values into bytes in a later node: CAST(v AS BLOB) reads the escaped text' });
    });
    return [...out, ...typeProblems];
  },
  async compile(ctx) {
    const p = ctx.params;
    // A file whose name holds glob characters (data[1].json) is read as itself, not as a pattern.
    const resolved = ctx.path(p.path);
    const pattern = await exactFileOrPattern(resolved);
    await refuseNonRegularPath(ctx.nodeId, pattern);
    // One listing: every file for the partition check, the ones DuckDB's detection samples, the first
    // of them read by the checks below (undefined for a URL, whose listing is a request).
    const files = await localFiles(ctx, pattern);
    const sampled = (files ?? []).slice(0, SAMPLED_FILES);
    const first = sampled[0];
    await refuseDeepNesting(ctx.nodeId, sampled);
    // Planning scanned the first file's head; a run scans every file in full before reading it.
    const depthStep = ctx.mode === 'run' ? nestingCheck(ctx.nodeId, pattern) : undefined;
    const depthCheck = depthStep ? { setup: [depthStep] } : {};
    const format = p.format !== 'auto' ? p.format : (await arrayBehindByteOrderMark(first)) ? 'array' : undefined;
    if (first) await refuseListedKeysInOtherCase(ctx, first, p.columns, { format, sampleSize: p.sample_size });
    // Partition folders whose values the inferred type would change (0x10 → 16) are read as text.
    const hiveTypes = await hiveTextTypes(ctx, { hive: p.hive_partitioning, pattern, files });
    const argsWith = (hive: boolean | undefined) =>
      namedArgs({
        format,
        columns: p.columns.length > 0 ? Object.fromEntries(p.columns.map((c) => [c.name, listedReadType(c.type)])) : undefined,
        filename: p.filename_column,
        hive_partitioning: hive,
        hive_types: hive === false ? undefined : hiveTypes,
        maximum_depth: p.maximum_depth,
        sample_size: p.sample_size,
        // By default a record of 200 or more keys of one type is read as one MAP column `json`:
        // every key stays a column instead, however many there are.
        map_inference_threshold: p.columns.length > 0 ? undefined : -1,
      });
    const args = argsWith(hiveArg(p.hive_partitioning));
    // Each schema is described once: describing read_json runs its detection over the sample.
    const described = new Map<string, Promise<Column[]>>();
    const describe = (sql: string): Promise<Column[]> => {
      if (!described.has(sql))
        described.set(
          sql,
          ctx.describe(sql).catch(async (e: unknown) => Promise.reject(await locateMalformed(explainNotCompressed(explainCaseTwins(e, ctx.nodeId, first ?? resolved), ctx.nodeId), ctx.nodeId, format))),
        );
      return described.get(sql)!;
    };
    // Listed columns that read_json would fill with loss are read as JSON and converted (shared/json-values.ts),
    // BLOBs decoded from their escaped text (shared/json-blob-values.ts).
    let from = convertedListedRead(`read_json(${stringLiteral(pattern)}${args ? `, ${args}` : ''})`, p.columns, (name) => stringLiteral(`column "${name}": `));
    const read = from;
    const advice = async () =>
      jsonErrorAdvice({ pattern: resolved, sampleSize: p.sample_size, listed: p.columns.length > 0, hasStruct: (await describe(`SELECT * FROM ${read}`)).some((c) => c.type.startsWith('STRUCT(')), format });
    await checkJsonPartitionClashes(describe, { nodeId: ctx.nodeId, hive: p.hive_partitioning, pattern, files, args: argsWith(false) });
    refuseRenamedFilenameColumn(ctx.nodeId, p.filename_column, await describe(`SELECT * FROM ${read}`));
    if (p.records_path === undefined && first) await nonObjectRecordsWarning(ctx, first, { format, sampleSize: p.sample_size, listed: p.columns.length > 0 });
    if (p.records_path === undefined && !p.flatten && p.columns.length === 0 && first) await wrappedRecordsWarning(ctx, first, () => describe(`SELECT * FROM ${from}`));
    if (p.records_path === undefined && p.columns.length === 0 && p.maximum_depth === undefined && first)
      await longIntegerWarning(ctx, first, await describe(`SELECT * FROM ${from}`), { format, sampleSize: p.sample_size });
    if (p.records_path === undefined && p.columns.length === 0 && p.maximum_depth === undefined && first)
      await sampledValueWarnings(ctx, first, await describe(`SELECT * FROM ${from}`), p.sample_size);
    if (p.records_path === undefined && p.columns.length === 0) await noRecordsWarning(ctx, resolved, await describe(`SELECT * FROM ${from}`), from);
    if (p.records_path === undefined && p.columns.length === 0 && first) await caseRenamedKeysWarning(ctx, first, await describe(`SELECT * FROM ${from}`), { format, sampleSize: p.sample_size });
    if (p.records_path !== undefined) {
      // The read's own columns are the document's keys, plus the file name and partition columns,
      // which stay on every record.
      const top = await describe(`SELECT * FROM ${from}`);
      // (Without a local first file, e.g. a remote path, no partition columns are told apart.)
      const ownColumns = first ? await describe(`SELECT * FROM read_json(${fileLiteral(first)}, ${argsWith(false)})`) : top;
      const own = new Set(ownColumns.map((c) => c.name));
      const carried = top.map((c) => c.name).filter((n) => n === p.filename_column || !own.has(n));
      from = recordsSelect(ctx.nodeId, p.records_path, top, carried, from);
      if (first && p.maximum_depth === undefined) await longIntegerWarningInRecords(ctx, first, p.records_path, await describe(`SELECT * FROM ${from}`), p.sample_size);
    }
    if (!p.flatten) {
      // A key whose values have mixed types in the sample (1, "x", true), or only nulls, comes back
      // as DuckDB's JSON type, where a text keeps its quotes ('"x"', so `v = 'x'` never matches):
      // read it as text instead, a JSON text without its quotes and anything else as written.
      // Not with maximum_depth, which asks for JSON values on purpose.
      const declared = new Set(p.columns.map((c) => foldName(c.name)));
      const mixed = p.maximum_depth !== undefined ? [] : (await describe(`SELECT * FROM ${from}`)).filter((c) => c.type === 'JSON' && !declared.has(foldName(c.name)));
      const replace = mixed.map((c) => `(${ident(c.name)} ->> '$') AS ${ident(c.name)}`);
      return { outputs: { out: `SELECT *${replace.length > 0 ? ` REPLACE (${replace.join(', ')})` : ''}\nFROM ${from}` }, explainError: await advice(), ...depthCheck };
    }

    return { outputs: { out: flattenedSelect(ctx.nodeId, await describe(`SELECT * FROM ${from}`), p.flatten_separator, from) }, explainError: await advice(), ...depthCheck };
  },
});
