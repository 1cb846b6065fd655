import { stat } from 'node:fs/promises';
import { checkSameHeaders, laterHeadersStep, refuseEmptyFirstFile } from './headers.js';
import { replacingList } from '../shared/select-list.js';
import { checkCombinedDates } from './union-dates.js';
import { refuseCombinedSeparatorLines } from './separator-line.js';
import { combinedReadArgs } from './union-types.js';
import { defineNode, type CompileContext, type CompiledNode } from '../define.js';
import { describeMixedEndings, firstMixedEnding } from './line-endings.js';
import { ident, namedArgs, stringLiteral } from '../../compiler/sql.js';
import { csvSourceSpark } from './source.csv.spark.js';
import { CaudalError, errorMessage } from '../../util/errors.js';
import { numberConversion, separatorProblems } from '../shared/locale-numbers.js';
import { decimalDigitsOnly } from '../shared/number-text.js';
import { dateConversion, isDateType, isPlainTimestampType, isTimeType, timeConversion, timestampConversion } from '../shared/temporal-text.js';
import { checkPartitionClash, hiveArg } from '../shared/partitions.js';
import { checkCombinedPartitionClash, laterCombinedPartitionsStep } from './combined-partitions.js';
import { hiveTextTypes, readsFetchedCopies } from '../shared/hive-values.js';
import { typeProblem } from '../../util/duckdb-type.js';
import { csvSourceParams, type CsvSourceParams } from './params.js';
import { COMPRESSED, copiesLineCheck, copiesOf, csvFiles, originalPath, type CsvFile } from './files.js';
import { argsSql, detect, dialectArgs, givenArgs, type Detected, type Dialect } from './detect.js';
import { extraFieldsCheck, extraFieldsReject, extraFieldsScanner } from './extra-fields-step.js';
import { combinedConversionLocator, conversionErrorLocator, conversionLinesStep, rejectedConversions } from './conversion-lines.js';
import { fileLiteral } from '../shared/exact-file.js';
import { changedFileError, explainChangedFile, plannedFiles, type PlannedFile, unchangedFilesStep } from './changed-files.js';
import { foldName, sameName } from '../shared/columns.js';

/** Rows a preview scans when the source sets malformed rows aside (a full scan is a run's job). */
const PREVIEW_SCAN_ROWS = 20_000;
/** Files up to this size (together, uncompressed) a preview of a source keeping rejects scans whole, so its rejects port shows them all. */
const PREVIEW_WHOLE_SCAN_BYTES = 32 * 1024 * 1024;

async function wholeScanFits(files: Array<{ original: string; compressed: boolean }>): Promise<boolean> {
  if (files.some((f) => f.compressed)) return false;
  let total = 0;
  for (const f of files) {
    const size = await stat(f.original).then((st) => st.size).catch(() => undefined);
    if (size === undefined) return false;
    total += size;
    if (total > PREVIEW_WHOLE_SCAN_BYTES) return false;
  }
  return true;
}

/** The columns the `rejects` port always has, also when nothing can be rejected. */
const REJECT_COLUMNS: Array<[name: string, type: string]> = [
  ['file', 'VARCHAR'],
  ['line', 'BIGINT'],
  ['raw_line', 'VARCHAR'],
  ['error', 'VARCHAR'],
  ['column', 'VARCHAR'],
];

/** The file a row came from, kept beside the rows set aside for number checks. */
const ROW_FILE = ident('_caudal_file');

/** The unquoted form of a name from `ctx.auxName` (rejects_table/rejects_scan take it as a string). */
function unquote(quoted: string): string {
  return quoted.slice(1, -1).replaceAll('""', '"');
}

/**
 * With files combined by name nothing is detected ahead (each file has its own header), so
 * DuckDB's text for a file it cannot make sense of would list its internal options
 * (strict_mode, ignore_errors, …). Say it in the node's terms instead.
 */
async function explainDetectionFailure(ctx: CompileContext<CsvSourceParams>, select: string): Promise<void> {
  try {
    await ctx.describe(select);
  } catch (e) {
    const sniff = /Error when sniffing file "([^"]*)"/.exec(errorMessage(e));
    if (!sniff) throw e;
    const message = `node '${ctx.nodeId}': cannot tell the CSV format of ${sniff[1]}: its first rows do not fit one format (the same number of fields on every line, balanced quotes) with the options given`;
    const hint = 'set the delimiter, quote and header to what the files use';
    throw new CaudalError('validation', message, { nodeId: ctx.nodeId, hint, cause: e, problems: [{ code: 'bind_error', path: 'params', message, hint }] });
  }
}

/**
 * A run's failure explained: a value that did not convert, with its line (`conversions`); or, when
 * DuckDB's reader gave up on a file ("state machine reached an invalid state"), the line where the
 * file's line endings change or a carriage return stands alone, the usual causes; or a file that
 * changed since the run was planned. `dialect`: the files' quoting, when detected (a quoted line
 * break is data).
 */
function explainRunError(conversions: NonNullable<CompiledNode['explainError']> | undefined, files: CsvFile[], planned: PlannedFile[], dialect: Dialect | undefined): NonNullable<CompiledNode['explainError']> {
  return async (message, io) => {
    const found = (await conversions?.(message, io)) ?? (await explainChangedFile(planned));
    if (found || !/state machine reached an invalid state/i.test(message)) return found;
    const quoting = dialect ? { quote: dialect.quote, escape: dialect.escape } : undefined;
    for (const f of files) {
      if (f.compressed) continue;
      const mixed = await firstMixedEnding(f.read, { isCancelled: () => io.isCancelled(), deadline: io.deadline, quoting }).catch(() => undefined);
      if (mixed) return describeMixedEndings(f.original, mixed);
    }
    return undefined;
  };
}

/** The expression naming a row's file for messages: the file name column, DuckDB's `filename`, or nothing. */
function fileExpression(p: CsvSourceParams, detected: Detected | undefined, files: CsvFile[]): string | undefined {
  if (p.filename_column) return originalPath(ident(p.filename_column), files);
  if (detected?.columns.some((c) => sameName(c.name, 'filename'))) return undefined;
  return originalPath('filename', files);
}

export const csvSourceNode = defineNode({
  type: 'source.csv',
  version: 1,
  spark: csvSourceSpark,
  category: 'source',
  title: 'CSV file',
  description: 'Reads one CSV file or every file matching a pattern, detecting the format or as configured.',
  aliases: ['csv', 'read csv', 'text file', 'tsv', 'delimited file', 'excel export'],
  inputs: [],
  outputs: [
    { name: 'out', description: 'The rows that parsed.' },
    {
      name: 'rejects',
      label: 'Rejected rows',
      description: 'Rows that did not parse when `on_error` is `reject`: file, line, raw_line, error, column. Always empty with `fail`.',
    },
  ],
  params: csvSourceParams,
  docs: `Reads delimited text with DuckDB's \`read_csv\`. Anything you leave unset (encoding, delimiter,
quote, escape, header, rows to skip, column types, date formats) is detected from a sample of the
first rows (\`sample_size\`, 20480 by default). Set a value when detection guesses wrong; the preview
shows what was detected.

**Read faithfully or refused.** Detection never silently misreads the rest of the file:

- A file whose lines do not all have the same number of fields is not read as one column of whole
  lines: when the header line clearly splits into fields (on \`,\` \`;\` tab or \`|\`), the node
  refuses it, says what it saw and which line does not fit, and asks for the \`delimiter\`.
- With the \`delimiter\` (or the \`columns\`) set, nothing has to be guessed from clean lines: the file
  is read with that format and every line that does not fit is reported (\`fail\`: the file, the line
  number and why; \`reject\`: each one on the \`rejects\` port).
- A line whose extra fields are empty (\`99,a,1,,\` under \`id,name,x\`), which DuckDB's reader would
  read as \`99,a,1\` without a word, is reported too: a run counts the fields of every line while
  DuckDB reads the rows (about 0.1 s of CPU per million short lines, 0.25 s with quoted values) and
  then stops (\`fail\`) or sets such lines aside (\`reject\`; previews too, when they read every
  row). One delimiter at the end of a line (\`1,a,1,\`, which some programs write after every line)
  is read as its end. Compressed files and files combined by column name are not counted.
- Quotes are \`"\` (RFC 4180) unless only another quote fits (\`'\` is not taken for one when \`"\` fits as
  well: apostrophes in values may pair up), also when the sampled rows hold none,
  so a quoted value further down keeps its commas and loses its quotes. Likewise a quote inside a
  value is a doubled \`""\` unless only another escape fits (a value \`"'"\` does not make \`'\` the
  escape). A file whose quoted values
  do not read with one quote and escape character (quotes inside values escaped both as \`""\` and
  \`\\"\`) is refused, naming its first quoted line, rather than read with the quotes left in the values.
- Dates that read two ways in every sampled row (\`01/02/2025\`: 1 February or 2 January; two-digit
  years at either end) are refused until \`date_format\` (or \`timestamp_format\`) says which.
- A first line is taken as the header when its values are typed otherwise than the rows below
  (\`name,visits\` above \`alice,3\`). When every column holds text nothing tells a header from a row:
  detection takes the first line as the header and says so in a warning that quotes it; set
  \`header\` (\`false\` for a file without one) and the warning goes. The same warning comes when
  the only cells of the first line that are not values of their columns' types read like missing
  values (\`alice,N/A\` above \`bob,3\`: a row, perhaps), and when every column holds numbers, dates
  or the like and so does the first line (\`2022,2023,2024\` above numbers: read as data, perhaps
  names).
- Lines that detection skips above the header as a title are named in a warning (shown by
  \`caudal validate\`, emitted when a run starts), and refused when they split into fields like rows
  (a header and rows above a longer row, which detection would drop); set \`skip_rows\` to decide.
- Excel's separator line (\`sep=;\` alone on the first line, which exports meant for Excel often
  start with) states the delimiter and is skipped, as Excel does; DuckDB alone would read it as the
  header and the real header as a row. It counts as that line only when the rows bear it out: the
  line after it splits on that delimiter into more than one field, and so does every record of the
  file's first 64 KB (up to 100), into as many. Otherwise it is a one-column file's header (a column
  named \`sep=;\`, as *Write CSV* writes it). A one-column file whose values all split on that
  character into as many fields (a column \`sep=|\` holding \`a|b\`, \`c|d\`) cannot be told from an
  Excel export and is read as one: set \`skip_rows\` to 0 and \`delimiter\` to the file's (\`,\`) to
  read the line as the header. A stated \`delimiter\` wins over it; with \`skip_rows\` stated
  the line is not treated specially (you counted it). Files of a pattern are read as the first one:
  a later file without the line is refused. Files combined by column name that start with it are
  refused until \`skip_rows\` is 1 and the \`delimiter\` set. On Spark such a file is refused (its
  reader cannot skip a line).
- Header names a table cannot use as written are changed by DuckDB, and each change is named in a
  warning: a repeated name gets a suffix (\`id\`, \`id\` → \`id\`, \`id_1\`; names compare without case),
  an empty one a number (\`column3\`; lines that end with the delimiter give such an empty last
  column), spaces around a name go. Rename them in the file, or name the columns with a column list.

**Empty fields and NULL** follow RFC 4180 usage: an unquoted empty field is NULL, a quoted empty field
(\`""\`) is an empty text, and a quoted field is never NULL (\`"NA"\` is the text NA). \`null_strings\` lists
the unquoted texts that are NULL instead of the empty field (\`["", "NA"]\` keeps both); an empty list
means nothing is NULL and every empty field is an empty text. So what *Write CSV* writes (an empty text
as \`""\`, NULL as nothing) reads back exactly. In a number or date column, \`""\` is not a value: such a
column is detected as text, and with a listed type the line is malformed.

**Numbers written the local way.** \`decimal_separator: ","\` reads \`1234,56\`; add
\`thousands_separator\` (\`.\`, \`,\`, \`'\`, a space or a no-break space) for \`1.234,56\` or \`1 234,56\`.
Grouping is checked: with \`.\` between thousands, \`12.34\` is not a number (it would otherwise become
1234). A detected column becomes a number only when every sampled value is one (BIGINT, or DOUBLE when
some have decimals); list the column as \`DECIMAL(12,2)\` for exact amounts. A value further down that
is not a number in that format stops the run naming the column, the value and the file (\`fail\`), or
goes to \`rejects\` with its file, line and the reason (\`reject\`). A typical Spanish export (\`;\`, \`1.234,56\`,
\`31/12/2025\`, Windows-1252) reads with \`decimal_separator: ","\`, \`thousands_separator: "."\`,
\`date_format: "%d/%m/%Y"\` and nothing else.

**Several files.** A glob (\`*\` within a folder, \`**\` across folders) reads all matching files as one
table. Every file is expected to have the same columns in the same order, unless *Combine files by
column name* is on (then nothing is detected ahead, and \`thousands_separator\` and \`on_error: "reject"\`
are not available: DuckDB keeps no rejects for such a read). The
format is detected on the first file. Unless the files are combined by column name, a matched file
that is empty (or holds only blank lines) is refused, naming it, as it may still be being written:
remove it, or change the path so that the pattern does not match it. Add a *File name column* to
know where each row came from: it holds the original path of the file, also when the file had to be
converted from another encoding.

**Files rewritten during a run.** The columns are planned from the files when the run starts, and
the rows are read by position. A file rewritten before the run reads it (a lookup read again in each
batch of a \`--watch\` run, whose streams wait for messages in between) is checked first: a header
that changed (columns renamed, added, removed or reordered) or an empty file stops the run before
anything is written (\`lookup.csv changed since the run was planned (header k, label): its header is
now label, k\`), and so does such a change found again just before the commit. New rows under the
same header are read as they are.

**Partitioned folders.** With \`hive_partitioning\` (\`auto\` by default, \`true\` or \`false\`) a path
such as \`orders/year=2024/region=eu/part-0.csv\` adds the columns \`year\` and \`region\`, also when the path
names one file. A file that holds a column of such a name itself is refused (DuckDB would replace its
values with the folder's in every row, without a word); with *Combine files by column name* every
file's columns are compared, also those of files the pattern matches only when the run begins. Set
\`hive_partitioning: false\` to read the file's own column. A partition column's type is inferred from its values (\`DATE\`, \`TIMESTAMP\`, \`BIGINT\`,
else \`VARCHAR\`), but when that type would not give back a value as written (\`code=0x10\` read as 16, \`-0\`
as 0, \`d=2024-1-5\` as 2024-01-05) the column is read as \`VARCHAR\`, each value as the folder writes it;
values that come back the same (\`year=2024\`, \`d=2024-02-03\`) keep the inferred type. The folders of
every local file are looked at (of source.s3's objects, the first one's).

**Column types.** By default, names come from the header and types are detected. List *Columns*
(name and DuckDB type for every column, in file order; with *Combine files by column name*, by
name, and only the columns whose types you want to state) to fix both, or turn on *Read everything as
text* to get only VARCHAR columns. Type names are checked before the run (\`BIGINT\`, \`DOUBLE\`,
\`DECIMAL(12,2)\`, \`DATE\`, \`TIMESTAMP\`, \`BOOLEAN\`, \`VARCHAR\`, \`INTEGER[]\`, …); a \`UNION\` is refused, as DuckDB
reads text into its text member whatever member the text names (read it as VARCHAR). Integers too long for
64 bits (account numbers, 20+ digits), which DuckDB's detection reads as DOUBLE (about 17 digits kept), are
detected as \`HUGEINT\` (38 digits, and its lowest and highest 39-digit values) or, longer still, as
text, so no digit is lost. A column that also holds fractions stays \`DOUBLE\`, where a whole number
beyond 2^53 arrives rounded (9007199254740993 as 9007199254740992), and so does a number with more
significant digits than a \`DOUBLE\` keeps (15 to 17: \`1234567890123456.78\`, what *Write CSV* writes
for a \`DECIMAL(18,2)\`, arrives as 1234567890123456.8): planning warns when the first file's sample has
one, naming the column, the number and what it arrives as, and, for fractions, the \`DECIMAL(p,s)\` that
holds every sampled value (none when a value has an exponent or more than 38 digits). Such a column
stays \`DOUBLE\` rather than becoming \`DECIMAL\` unasked: a value past the sample with more decimal
places would then stop the run. Rows past the sample and the other files of a pattern are not
looked at: where such numbers may occur, list the column as \`DECIMAL(p,s)\` or \`VARCHAR\`. For the same reason a number
beyond a DOUBLE's range (\`1e400\`) in a \`DOUBLE\` column reads as \`inf\` (\`1e-400\` as 0).
A column of numbers with \`inf\`, \`-inf\`, \`Infinity\` or \`NaN\` among them (as pandas and numpy write
them), which DuckDB's detection reads as text, is detected as \`DOUBLE\` (as text still when a sampled
value has more digits than a \`DOUBLE\` keeps); one whose sampled values are all infinite, which DuckDB
would take for dates (it reads \`inf\` as the infinite date), is \`DOUBLE\` too.

**Encodings.** With \`encoding: "auto"\` (the default) a file that is valid UTF-8 (with or without a
byte-order mark) is read as it is, and any other file as Windows-1252, which Excel and most Windows
programs in Western Europe and the Americas write (a superset of Latin-1 with €, curly quotes and
dashes). Each matched file is decided on its own: on its first 4 MB while planning and previewing,
on all of it in a run. A file that holds both (UTF-8 rows, then rows appended by a Windows program) is
refused with a line of each, since read either way one part would be garbled; set \`encoding\` to read it
as one of them anyway.

UTF-16 text (what Excel saves as "Unicode Text", tab-separated, and what many Windows tools export)
is recognized by its byte-order mark, or without one by its two-byte characters, and converted to
UTF-8 before it is read, like the encodings below; \`utf-16le\` and \`utf-16be\` state it. A UTF-16
file is refused when \`encoding\` names another one (it would read as text with a NUL between
letters), and a surrogate without its pair stops the run naming its line.

Outside Western Europe and the Americas, Windows (and Excel there) save CSV in other encodings:
set \`encoding\` to the Windows code page (\`windows-1250\` Central European, \`windows-1251\` Cyrillic,
\`windows-1253\` Greek, \`windows-1254\` Turkish, \`windows-1255\` Hebrew, \`windows-1256\` Arabic,
\`windows-1257\` Baltic, \`windows-1258\` Vietnamese, \`windows-874\` Thai), \`macintosh\` (Mac OS Roman: what
Excel on a Mac saves as "Comma Separated Values"), an ISO or KOI8 one
(\`iso-8859-2\`, \`iso-8859-5\`, \`iso-8859-7\`, \`iso-8859-15\`, \`koi8-r\`, \`koi8-u\`), or an East Asian one:
\`shift_jis\` (Excel on Japanese Windows; read as Windows-31J, with its ～ and ①), \`euc-jp\`, \`gbk\`
(Simplified Chinese; read as GB18030), \`big5\` (Traditional Chinese, with HKSCS) or \`euc-kr\` (Korean;
read as Windows-949). Files are decoded as browsers do (the WHATWG Encoding Standard).

Read as Windows-1252, such a file would turn every name into other letters or symbols without an
error (Москва → Ìîñêâà, 山田太郎 → ŽR“c‘¾˜Y). So with \`auto\` a file that is not UTF-8 and reads as
text of another script (Cyrillic, Greek, Hebrew, Arabic, Thai: whole words of bytes beyond ASCII,
which Western text never has; Japanese, Chinese, Korean) in one of these encodings is refused, the
message showing a line as each fitting encoding reads it (\`as windows-1251, line 2 reads
"1,Иванов Пётр,Москва"; as koi8-r, line 2 reads "1,хБЮМНБ о╦РП,лНЯЙБЮ"\`): pick the one that reads
right. A file holding bytes Windows-1252 does not define (0x81, 0x8D, 0x8F, 0x90, 0x9D) is refused
the same way: Mac OS Roman files with ç, è, ê or ù hold them (others, such as Spanish ones, cannot be
told from Windows-1252 by their bytes: set \`macintosh\` for files from Excel on a Mac). Central European and Turkish text is Latin, like Western text, and cannot be told from
it by its bytes: set \`windows-1250\` or \`windows-1254\` for such files (read as Windows-1252, č and
ş would arrive as è and þ). In a file whose encoding is stated, bytes that do not form a character
stop the run naming the line, rather than becoming U+FFFD in the values.

Files in any encoding other than UTF-8 are converted to UTF-8 in the run's temp folder first (one copy
per file, removed after the run), so names such as "José Muñoz", "Москва", "山田太郎" and the euro sign survive;
messages still name your file and its line numbers. Previews and validation convert only the first
4 MB of each such file and say the preview is sampled. Compressed files (\`.gz\`, \`.zst\`) are read as
UTF-8.

**Long lines.** A line longer than \`max_line_size\` bytes (2,000,000 by default, as DuckDB) stops
validation, a preview or a run at once with the file and the line number, also with \`reject\`: such a
line usually means the file is not CSV, or a quote is never closed. Raise the limit for files with
very long values. Previews and validation look at the first 4 MB of each file; a run at all of it
(compressed files excepted) before anything is read.

**Malformed rows.** With \`on_error: "fail"\` (the default) a row that does not fit (wrong number of
fields, a value that does not convert to its column's type) stops the run; the message names the
node, the file, the line number and the line's text. With \`on_error: "reject"\` the good rows continue
on \`out\` and every problem becomes a row on the \`rejects\` output.

| column | type | meaning |
| --- | --- | --- |
| \`file\` | VARCHAR | the file the line is in |
| \`line\` | BIGINT | line number in the file: its first line is 1, header and skipped lines included (DuckDB's own reasons count a quoted value spanning lines as one line; the lines the node finds, of values it converts and of lines with extra empty fields, are the lines an editor shows) |
| \`raw_line\` | VARCHAR | the line's text as read |
| \`error\` | VARCHAR | what was wrong |
| \`column\` | VARCHAR | the column that failed to convert, if any |

Connect \`rejects\` to a sink to keep them. A run that sets rows aside says so with a warning
("3 malformed rows of data/orders.csv were set aside on the 'rejects' port"), and adds that they are
dropped when nothing is connected to \`rejects\`. Rejecting reads the files completely into a temporary table
when the run starts (so does a preview of this node or of anything after it), and the node's row
count is the number of good rows.

**Integers are checked, not rounded.** DuckDB's reader turns a fraction in an integer column into
the nearest integer (\`4.5\` → 5) without a word, and a detected column is typed from the first
20,480 rows only, so \`12.5\` on line 30,002 of a column of whole numbers would arrive as 13. Every
integer column (detected or listed: \`TINYINT\` … \`HUGEINT\`) is therefore read as text and converted
by the node: a value with a decimal point or a negative exponent (\`15e-1\`), or one that is not an integer of the column's type
(\`abc\`, \`99999999999\` for \`INTEGER\`), stops the run with the column, the value, the file, the line
number and the line's text (\`'12.5' is not a whole number of type BIGINT (line 30002 of
data/orders.csv: 30001,12.5)\`), or goes to \`rejects\` with the same. Such lines are found by reading
the file again after the failure (for \`fail\` up to 30 seconds, 5 for a preview; for \`reject\` the
first 10,000 rows set aside per column, later ones keep an empty \`line\`);
in a compressed file the line is not looked up. Notations DuckDB reads as the same integer (\` 7 \`,
\`+5\`, \`1e3\`) are accepted; hexadecimal (\`0x1F\`), binary (\`0b11\`) and digits grouped with \`_\`
(\`1_000\`, also in DECIMAL columns), which DuckDB would read as 31, 3 and 1000, are refused the same
way (a code such as \`0x1F\` is text: list the column as \`VARCHAR\`). In a *detected* integer column a value with a
leading zero (\`01234\`) is refused the same way: detection keeps such values as text (zip codes,
account codes), so one past the sample means the sample was misleading; list the column as
\`VARCHAR\` to keep them, or as an integer type to read them as numbers. The check costs about half a
second per 10 million rows and 4 integer columns. Declare a column \`DOUBLE\` or \`DECIMAL(p,s)\` when fractions are
expected there. Files combined by column name get the same check; the message names the file, and
the line once the file's own format is sniffed again after the failure.

**Decimals are checked, not rounded.** A column listed as \`DECIMAL(p,s)\` is read as text too: a
value with more decimal places than *s* (\`12.345\` in \`DECIMAL(10,2)\`, \`1e-3\`), which DuckDB's
reader would round (12.35, 0.00), stops the run with the column, the value and the line
(\`'12.345' has more than 2 decimal places, which DECIMAL(10,2) would round away\`), or goes to
\`rejects\`. Trailing zeros are not decimals lost (\`12.300\` reads as 12.30). Give the type the
scale the data has, or list the column as \`DOUBLE\`.

**Dates and timestamps are read as written.** DuckDB's date reading stops at the date and ignores
what follows, so \`2024-03-04 13:45:00\` in a \`DATE\` column (a detected one past the sample, or a
listed one) arrived as 2024-03-04, and \`2024-03-1x\` as March 1st. ISO \`DATE\` columns are read as
text and converted by the node, strictly: such a value stops the run with its line (\`'2024-03-04
13:45:00' is not a DATE: it has a time; list the column as TIMESTAMP to keep it (line 30002 of
data/orders.csv: …)\`), or goes to \`rejects\`; so does \`2024-03-04 00:00:00\` (set \`date_format\` to
\`%Y-%m-%d %H:%M:%S\` to read such values' dates on purpose). One-digit months and days and spaces
around the date are still read. **Infinite dates** \`infinity\` and \`-infinity\` (which \`DATE\` and
\`TIMESTAMP\` hold, and *Write CSV* writes so) read as themselves in ISO \`DATE\` columns and in
\`TIMESTAMP\` columns read without a \`timestamp_format\` (DuckDB's reader, given a format, read them
as 1900-01-01; a timestamp column whose sample holds them is detected as text: list it as
\`TIMESTAMP\`); \`epoch\` is not a date and is refused. With another \`date_format\` or
\`timestamp_format\` they are still read as 1900-01-01: read such a column as \`VARCHAR\` and convert it
with *Parse dates*. In a \`TIMESTAMP\`
column DuckDB reads a UTC offset and drops it (\`2024-03-04 10:00:00+05\` arrived as 10:00, an instant
five hours off); such columns are read as text and converted by the node, which refuses an offset
other than zero (\`Z\`, \`+00\` and \`+00:00\` lose nothing): \`'2024-03-04 10:00:00+05' is not a
TIMESTAMP without losing its UTC offset +05: list the column as TIMESTAMPTZ to keep the instant\`, with
the line as for integers. A column whose sample already shows offsets is detected as \`TIMESTAMPTZ\`
and keeps them; one without an offset in the sample that DuckDB's detection takes for \`TIMESTAMPTZ\`
anyway (it does when \`infinity\` follows other values) is read as a timestamp without a time zone, as
text when it holds \`infinity\` (as above). **Fractions of a second** are kept whole or refused: DuckDB's \`TIMESTAMP\` and \`TIME\`
keep microseconds and cut the rest (\`10:00:00.123456789\` arrived as 10:00:00.123456). A timestamp
column whose sample holds such digits is detected as \`TIMESTAMP_NS\`, which keeps them; one past the
sample stops the run with its line (\`has more fractional digits of a second than TIMESTAMP keeps (6):
list the column as TIMESTAMP_NS to keep them\`); listed \`TIMESTAMP_MS\`, \`TIMESTAMP_S\` and \`TIME\`
columns refuse digits they would cut the same way (\`10:00:00.500\` is fine in \`TIMESTAMP_MS\`). With \`date_format\` / \`timestamp_format\` set (or a day-first layout detected), the
format is applied strictly by DuckDB. A \`TIME\` column takes a time of day alone (\`13:45\`,
\`13:45:00.250\`): DuckDB read \`01:45:00 PM\` as 01:45 and dropped a date or an offset written with the
time; such values are refused the same way. Files combined by column name get the same checks
(dates read as ISO unless \`date_format\` is set), naming the file and the line.

**Durations are not told from times of day.** DuckDB writes an \`INTERVAL\` under a day as
\`01:30:00\` (and \`0.000001 seconds\` as \`00:00:00.000001\`), which is exactly how it writes a \`TIME\`:
nothing in the text tells them apart, so such a column (an \`INTERVAL\` written by *Write CSV*) is
detected as \`TIME\`, and one that also holds a day or more (\`1 day 02:00:00\`, \`36:00:00\`) as
\`VARCHAR\`. List the column as \`INTERVAL\` to read it as a duration.

**Line endings.** Windows (\`\\r\\n\`) and Unix (\`\\n\`) line endings are both read, but one file must use
one kind: DuckDB's reader cannot split a file whose endings change (files concatenated from both
systems). Such a file is refused naming the line where the endings change, before the run when it
is near the top, or when the run reaches it; convert it to one kind (\`dos2unix\`). A carriage return
alone (\`\\r\` not followed by \`\\n\`) outside quotes stops the reader the same way (also with
\`reject\`): it is named with its line and column, to remove it or quote the field that holds it. Inside
a quoted value it is data, and read.

If no file matches the path, the node reports an \`io_error\` problem before anything runs.`,
  example: {
    description: 'Monthly Spanish exports (Windows-1252, semicolons, 1.234,56, day-first dates), keeping bad rows aside',
    params: {
      path: 'exports/orders_${month}_*.csv',
      delimiter: ';',
      header: true,
      null_strings: ['', 'NA'],
      decimal_separator: ',',
      thousands_separator: '.',
      date_format: '%d/%m/%Y',
      columns: [
        { name: 'order_id', type: 'BIGINT' },
        { name: 'customer', type: 'VARCHAR' },
        { name: 'amount', type: 'DECIMAL(12,2)' },
        { name: 'ordered_at', type: 'DATE' },
      ],
      filename_column: 'source_file',
      on_error: 'reject',
    },
  },
  check(p) {
    const out: Array<{ path: string; message: string; hint?: string }> = [];
    if (p.columns && p.all_varchar)
      out.push({ path: 'all_varchar', message: 'set either a column list or "read everything as text", not both', hint: 'use VARCHAR as the type in the column list instead' });
    const seen = new Set<string>();
    p.columns?.forEach((c, i) => {
      const why = typeProblem(c.type);
      if (why) out.push({ path: `columns[${i}].type`, message: `column '${c.name}': ${why}` });
      // DuckDB reads text into a UNION as its first text member whatever the text says: a union
      // written as {"i":1} came back as the text member '{"i":1}'. (Quoted field names aside.)
      else if (/\bUNION\s*\(/i.test(c.type.replace(/"(?:[^"]|"")*"/g, '""')))
        out.push({
          path: `columns[${i}].type`,
          message: `column '${c.name}': a UNION cannot be read from text (DuckDB would take every value for its text member, whatever member it names)`,
          hint: 'read the column as VARCHAR and build the union on purpose with a Derive (union_value, json_extract)',
        });
      if (seen.has(foldName(c.name))) out.push({ path: `columns[${i}].name`, message: `column '${c.name}' is listed twice`, hint: 'column names are compared without regard to the case of the letters A–Z' });
      seen.add(foldName(c.name));
    });
    if (p.filename_column && seen.has(foldName(p.filename_column)))
      out.push({ path: 'filename_column', message: `'${p.filename_column}' is also in the column list`, hint: 'pick another name for the file name column' });
    if (p.encoding !== 'utf-8' && p.encoding !== 'auto' && COMPRESSED.test(p.path))
      out.push({ path: 'encoding', message: `compressed files can only be read as UTF-8, not ${p.encoding}`, hint: 'decompress the file first, or convert it to UTF-8' });
    if (p.delimiter !== undefined && p.delimiter === p.quote) out.push({ path: 'quote', message: 'the quote must differ from the delimiter' });
    out.push(...separatorProblems({ decimal: p.decimal_separator, thousands: p.thousands_separator }, p.delimiter));
    if (p.on_error === 'reject' && p.union_by_name)
      out.push({ path: 'on_error', message: 'rows cannot be set aside from files combined by name (DuckDB keeps no rejects for them)', hint: 'set on_error to "fail", or read the files separately and combine them with a union node' });
    if (p.thousands_separator !== undefined && p.union_by_name)
      out.push({ path: 'thousands_separator', message: 'a thousands separator needs the columns known before the run, which combining files by name does not allow', hint: 'list the files with the same columns, or read the numbers as text and convert them with Change column types' });
    return out;
  },
  async compile(ctx) {
    const p = ctx.params;
    const { files, from, setup, pattern, exactFile } = await csvFiles(ctx);
    const lineCheck = copiesLineCheck(ctx, files);
    if (lineCheck) setup.push(lineCheck);
    // Files combined by name each have their own header: detection stays with DuckDB, per file.
    if (p.union_by_name) {
      await refuseCombinedSeparatorLines(ctx, files);
      await checkCombinedPartitionClash(ctx, files);
      const later = exactFile ? undefined : laterCombinedPartitionsStep(ctx, pattern, files);
      if (later) setup.push(later);
    }
    // Files combined by name are matched by name, not by the planned positions. Copies source.s3
    // fetches are replaced by their objects after planning on purpose (each held to its ETag).
    const planned = ctx.mode === 'run' && !p.union_by_name && !readsFetchedCopies(ctx) ? await plannedFiles(files) : [];
    // Detection looks at the first file only: an empty one would give one nameless column.
    if (!p.union_by_name) await refuseEmptyFirstFile(ctx, files);
    const detected = p.union_by_name ? undefined : await detect(ctx, files[0]!);
    const combined = detected ? undefined : await combinedReadArgs(ctx, from);
    for (const w of detected?.warnings ?? []) ctx.warn(w);
    if (detected) {
      await checkSameHeaders(ctx, files, detected);
      // A path naming one file exactly matches no file added later.
      const later = exactFile ? undefined : laterHeadersStep(ctx, pattern, files, detected);
      if (later) setup.push(later);
      if (planned.length > 0) setup.push(unchangedFilesStep(ctx.nodeId, planned, detected));
    } else await checkCombinedDates(ctx, files);
    await checkPartitionClash({
      nodeId: ctx.nodeId,
      hive: p.hive_partitioning,
      file: files[0]!.original,
      // The names read_csv gives (a column list renames the header's); combined files: the first file's header.
      ownColumns: async () => detected?.columns.map((c) => c.name) ?? (await ctx.describe(`SELECT * FROM read_csv(${fileLiteral(files[0]!.read)}, hive_partitioning := false)`)).map((c) => c.name),
    });
    /** The files did not change while the run read them (after the step before the read); then `more`, if given. */
    const unchangedUntilCommit = (more?: NonNullable<CompiledNode['beforeCommit']>): CompiledNode['beforeCommit'] =>
      detected && planned.length > 0
        ? async (io) => {
            const e = await changedFileError((sql) => io.db.rows(sql), ctx.nodeId, planned, detected, 'while the run read it');
            if (e) throw e;
            await more?.(io);
          }
        : more;
    const rejecting = p.on_error === 'reject';
    const errorsTable = ctx.auxName('reject_errors');
    const scansTable = ctx.auxName('reject_scans');
    const tail = namedArgs({
      union_by_name: p.union_by_name || undefined,
      hive_partitioning: hiveArg(p.hive_partitioning),
      // Partition folders whose values the inferred type would change (0x10 → 16) are read as text.
      hive_types: await hiveTextTypes(ctx, { hive: p.hive_partitioning, pattern, files: files.map((f) => f.original) }),
      filename: p.filename_column,
      store_rejects: rejecting || undefined,
      rejects_table: rejecting ? unquote(errorsTable) : undefined,
      rejects_scan: rejecting ? unquote(scansTable) : undefined,
    });
    // Planning and previews bind with the detected format and types stated and detection off, so
    // each view downstream binds in a millisecond. The run states them too but leaves detection on:
    // with everything given the sniffer only estimates the file's rows (which DuckDB's join order
    // needs; without it a 10M-row file counts as a few rows), at a third of a full detection's cost.
    // Not when lines did not fit: detection would fail in the run as it did here.
    const readArgs = (run: boolean) => {
      if (!detected) return [argsSql(combined!.args), tail];
      const d = dialectArgs(detected.dialect, p, detected.columns);
      return [argsSql({ named: { auto_detect: run && !detected.tolerant ? undefined : false, ...d.named }, columns: d.columns }), tail];
    };
    const converted = detected?.converted ?? combined?.converted ?? [];
    const format = { decimal: p.decimal_separator, thousands: p.thousands_separator };
    const fileExpr = fileExpression(p, detected, files);
    const fileCol = p.filename_column && copiesOf(files).length > 0 ? ident(p.filename_column) : undefined;
    const convert = ({ name, type, detected }: Detected['converted'][number]) => {
      const prefix = fileExpr ? `${stringLiteral(`column "${name}" of `)} || ${fileExpr} || ': '` : stringLiteral(`column "${name}": `);
      if (isPlainTimestampType(type)) return timestampConversion(ident(name), type, prefix);
      if (isTimeType(type)) return timeConversion(ident(name), prefix);
      if (isDateType(type)) return dateConversion(ident(name), prefix, 'list the column as TIMESTAMP to keep it');
      const conv = numberConversion(ident(name), type, format, prefix, { refuseLeadingZero: detected });
      // DuckDB reads 0x1F as 31 and 1_000 as 1000 (a thousands separator's pattern refuses those already).
      return format.thousands === undefined ? decimalDigitsOnly(conv, ident(name), type, prefix) : conv;
    };
    // The columns read_csv gives (partition and file name columns included), for SELECT lists
    // spelled out (shared/select-list.ts): with converted columns, `* REPLACE` binds slowly. Files
    // converted from another encoding exist only once the run converts them: `* REPLACE` then.
    const names = detected && converted.length > 0 && copiesOf(files).length === 0 ? (await ctx.describe(`SELECT * FROM read_csv(${[from, ...readArgs(false)].filter(Boolean).join(', ')})`)).map((c) => c.name) : [];
    /** SELECT over read_csv: the file name column mapped back to the user's files; checked columns converted (strictly) or kept as text. */
    /** The read's columns with `replace` in place: spelled out when known, else `* REPLACE` (without `exclude`, which the read's own columns never hold). */
    const starReplacing = (replace: Array<{ name: string; sql: string }>, exclude?: string) =>
      replace.length === 0
        ? '*'
        : names.length > 0
          ? replacingList(names, replace)
          : `*${exclude ? ` EXCLUDE (${exclude})` : ''} REPLACE (${replace.map((r) => `${r.sql} AS ${ident(r.name)}`).join(', ')})`;
    const selectWith = (run: boolean, checkedAs: 'converted' | 'text') => {
      const replace = [
        ...(fileCol ? [{ name: p.filename_column!, sql: originalPath(fileCol, files) }] : []),
        ...(checkedAs === 'converted' ? converted.map((n) => ({ name: n.name, sql: convert(n).strict })) : []),
      ];
      const extra = checkedAs === 'text' && converted.length > 0 ? `, ${fileExpr ?? 'NULL'} AS ${ROW_FILE}` : '';
      return `SELECT ${starReplacing(replace)}${extra}\nFROM read_csv(${[from, ...readArgs(run)].filter(Boolean).join(', ')})`;
    };

    /** Finds the line of a value that did not convert (files combined by name: sniffed again, file by file). */
    const conversionLocator = () => {
      if (converted.length === 0) return undefined;
      if (detected) return conversionErrorLocator(detected, files, converted);
      return combinedConversionLocator(files, converted, argsSql(givenArgs({ ...p, columns: undefined }, false)));
    };

    // Lines with extra empty fields, which the reader takes without a word (extra-fields.ts): their
    // fields are counted while DuckDB reads the rows, and the lines reported once it has.
    // (Only runs start it: planning and previews read no file whole; a preview of every row scans when it needs to.)
    const scanner = detected && extraFieldsScanner(ctx, files, detected);
    if (scanner && ctx.mode === 'run') setup.push(scanner.startStep());

    if (!rejecting) {
      const select = selectWith(false, 'converted');
      if (!detected && copiesOf(files).length === 0) await explainDetectionFailure(ctx, select);
      return {
        outputs: {
          out: select,
          rejects: `SELECT ${REJECT_COLUMNS.map(([name, type]) => `CAST(NULL AS ${type}) AS ${ident(name)}`).join(', ')}\nWHERE false`,
        },
        runOutputs: { out: selectWith(true, 'converted') },
        setup,
        explainError: explainRunError(conversionLocator(), files, planned, detected?.dialect),
        beforeCommit: unchangedUntilCommit(scanner && extraFieldsCheck(ctx, files, detected!, scanner)),
        onAborted: async () => scanner?.stop(),
      };
    }

    // DuckDB creates the rejects tables itself and refuses names that exist but are not its own,
    // so both forms drop them first. Only a full scan fills them: the dry form creates them empty.
    const rows = ctx.auxName('rows');
    const drop = `DROP TABLE IF EXISTS ${errorsTable};\nDROP TABLE IF EXISTS ${scansTable};`;
    const scan = (query: string) => `CREATE OR REPLACE TEMP TABLE ${rows} AS\n${query}`;
    const previewWhole = await wholeScanFits(files);
    setup.push({
      kind: 'sql',
      description: `read ${p.path}, keeping malformed rows aside`,
      sql: `${drop}\n${scan(selectWith(true, 'text'))}`,
      dry: [
        drop,
        `${scan(selectWith(false, 'text'))}\nLIMIT 0;`,
        `CREATE TEMP TABLE IF NOT EXISTS ${errorsTable} (scan_id UBIGINT, file_id UBIGINT, line UBIGINT, column_idx UBIGINT, column_name VARCHAR, csv_line VARCHAR, error_message VARCHAR);`,
        `CREATE TEMP TABLE IF NOT EXISTS ${scansTable} (scan_id UBIGINT, file_id UBIGINT, file_path VARCHAR);`,
      ].join('\n'),
      countsRows: converted.length === 0,
      // DuckDB fills the rejects tables only when a scan finishes: a scan cut by LIMIT keeps none. So a
      // preview scans small files whole (every reject shown, up to PREVIEW_WHOLE_SCAN_BYTES of
      // uncompressed files); larger ones only their head, where rejects are not kept: the preview
      // then says it is sampled, and its rejects port shows none (a run finds them).
      preview: previewWhole
        ? { sql: `${drop}\n${scan(selectWith(false, 'text'))}`, rows: Number.MAX_SAFE_INTEGER }
        : { sql: `${drop}\n${scan(selectWith(false, 'text'))}\nLIMIT ${PREVIEW_SCAN_ROWS}`, rows: PREVIEW_SCAN_ROWS },
    });
    const parsed = [
      `SELECT 0 AS _k, e.file_id AS _f, e.line AS _l, e.column_idx AS _c,`,
      `  CAST(${originalPath('s.file_path', files)} AS VARCHAR) AS ${ident('file')},`,
      `  CAST(e.line AS BIGINT) AS ${ident('line')},`,
      `  CAST(e.csv_line AS VARCHAR) AS ${ident('raw_line')},`,
      `  CAST(e.error_message AS VARCHAR) AS ${ident('error')},`,
      `  CAST(e.column_name AS VARCHAR) AS ${ident('column')}`,
      `FROM ${errorsTable} AS e JOIN ${scansTable} AS s ON e.scan_id = s.scan_id AND e.file_id = s.file_id`,
    ].join('\n');
    // Lines with extra empty fields, which the reader takes without a word: set aside after the read.
    // (Files combined by name have no rejects (check), so the file was detected.)
    const extra = extraFieldsReject({ ctx, files, detected: detected!, scanner, rows, errorsTable, scansTable, table: ctx.auxName('reject_extra'), countsRows: converted.length === 0, previewWhole });
    setup.push(extra.step);
    const malformedLines = `SELECT (SELECT count(DISTINCT (scan_id, file_id, line)) FROM ${errorsTable}) + (${extra.countSql})`;
    const notice = { message: `{count} malformed row{s} of ${p.path} {were} set aside on the 'rejects' port`, port: 'rejects' };
    if (converted.length === 0) {
      return {
        outputs: { out: `SELECT * FROM ${rows} WHERE ${extra.keep}`, rejects: `SELECT * EXCLUDE (_k, _f, _l, _c) FROM (\n${parsed}\nUNION ALL\n${extra.rejects}\n)\nORDER BY _f, _l, _c` },
        setup,
        notices: [{ countSql: malformedLines, ...notice }],
        // DuckDB's reader gives up on some files also when rejecting (a carriage return alone): say why.
        explainError: explainRunError(undefined, files, planned, detected?.dialect),
        beforeCommit: unchangedUntilCommit(),
        onAborted: async () => scanner?.stop(),
      };
    }
    // Integers, timestamps, times and numbers with a thousands separator were read as text: rows where one does not
    // convert go to rejects (one row per value), the others on, converted. Their lines are found
    // again in the files (conversion-lines.ts).
    const checks = converted.map((n) => ({ n, c: convert(n) }));
    const anyFailed = checks.map(({ c }) => c.failed).join(' OR ');
    // Files combined by name have no rejects (check), so the file was detected.
    const lines = { rows, rowFile: ROW_FILE, linesTable: ctx.auxName('reject_lines'), converted: checks.map(({ n, c }) => ({ column: n, failed: c.failed, reason: c.reason })), detected: detected! };
    setup.push(conversionLinesStep({ ...lines, files }));
    const unconverted = rejectedConversions({ ...lines, files });
    return {
      outputs: {
        out: `SELECT ${starReplacing(
          checks.map(({ n, c }) => ({ name: n.name, sql: c.safe })),
          ROW_FILE,
        )}\nFROM ${rows}\nWHERE NOT (${anyFailed}) AND ${extra.keep}`,
        rejects: `SELECT * EXCLUDE (_k, _f, _l, _c) FROM (\n${[parsed, extra.rejects, ...unconverted].join('\nUNION ALL\n')}\n)\nORDER BY _k, _f, _l NULLS LAST, _c`,
      },
      setup,
      notices: [{ countSql: `SELECT (${malformedLines}) + (SELECT count(*) FROM ${rows} WHERE ${anyFailed})`, ...notice }],
      explainError: explainRunError(undefined, files, planned, detected?.dialect),
      beforeCommit: unchangedUntilCommit(),
      onAborted: async () => scanner?.stop(),
    };
  },
});
