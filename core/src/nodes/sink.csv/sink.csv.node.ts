import { z } from 'zod';
import { defineNode, type Column } from '../define.js';
import { csvSinkSpark } from './sink.csv.spark.js';
import { compressionFor, fileSinkPlan, ifExistsParam, pathParam } from '../shared/file-sink.js';
import { isNestedType } from '../shared/nested-types.js';
import { isFloatType } from '../shared/locale-numbers.js';
import { ident, stringLiteral } from '../../compiler/sql.js';
import { csvDialectProblems } from './dialect-checks.js';
import { patternWithoutSpecifier, unwritablePatterns } from './format-patterns.js';

/**
 * DuckDB writes a NaN whose sign bit is set as `-nan`, and `0.0 / 0.0` gives that one: one file
 * would hold two spellings of the same value, the second one few readers take for a number.
 * `abs` clears the sign of a NaN only, so `-0.0` stays `-0.0`. (Measured on 5M rows with two DOUBLE
 * columns: the COPY was no slower than with the bare columns.)
 */
const positiveNan = (col: string) => `CASE WHEN isnan(${col}) THEN abs(${col}) ELSE ${col} END`;

/** DuckDB's writer silently keeps only the first character of a longer delimiter. */
const oneChar = (s: string) => [...s].length === 1 || s === '\\t';

const params = z
  .object({
    path: pathParam('exports/orders.csv'),
    if_exists: ifExistsParam,
    delimiter: z
      .string()
      .refine(oneChar, { message: 'the delimiter must be one character (write \\t for a tab)' })
      .default(',')
      .meta({ label: 'Delimiter', help: 'One character between fields. Write \\t for a tab.', widget: 'text', group: 'Format', placeholder: ',' }),
    header: z.boolean().default(true).meta({ label: 'Header row', help: 'Write the column names as the first line.', widget: 'boolean', group: 'Format' }),
    quote: z
      .string()
      .refine((s) => [...s].length === 1, { message: 'the quote must be one character' })
      .default('"')
      .meta({
        label: 'Quote',
        help: 'Surrounds values that contain the delimiter, the quote or a line break; a quote inside a value is doubled.',
        widget: 'text',
        group: 'Format',
        placeholder: '"',
      }),
    null_string: z
      .string()
      .default('')
      .meta({ label: 'Write NULL as', help: 'Text written for missing values. Empty by default; some tools expect NULL or \\N.', widget: 'text', group: 'Format' }),
    date_format: z
      .string()
      .min(1)
      .optional()
      .meta({ label: 'Date format', help: 'strftime pattern for DATE columns, e.g. %d/%m/%Y. A pattern without a % specifier (dd/MM/yyyy) or with one DuckDB does not know is refused before the run. Default: ISO (2024-06-30).', widget: 'text', group: 'Format', placeholder: '%Y-%m-%d' }),
    timestamp_format: z
      .string()
      .min(1)
      .optional()
      .meta({
        label: 'Timestamp format',
        help: 'strftime pattern for timestamp columns (TIMESTAMP, TIMESTAMP_MS, TIMESTAMP_NS, TIMESTAMPTZ), e.g. %Y-%m-%dT%H:%M:%S (%f adds microseconds, %n nanoseconds, %z the offset, +00). Checked before the run like the date format. Default: ISO with a space (2024-06-30 14:05:00).',
        widget: 'text',
        group: 'Format',
        placeholder: '%Y-%m-%d %H:%M:%S',
      }),
  })
  .strict();

export const csvSinkNode = defineNode({
  type: 'sink.csv',
  wholeTarget: true,
  version: 1,
  spark: csvSinkSpark,
  category: 'sink',
  title: 'Write CSV',
  description: 'Writes the input to a CSV file, replacing it atomically.',
  aliases: ['csv', 'export', 'save', 'text file', 'tsv'],
  inputs: [{ name: 'in' }],
  outputs: [],
  params,
  docs: `The file is written in UTF-8 with \`\\n\` line endings. A value is quoted only when it contains the
delimiter, the quote character or a line break; quotes inside values are doubled (\`"a ""b"""\`).
A name ending in \`.gz\` or \`.zst\` is compressed with gzip or zstd.

**Empty text and NULL stay apart.** With the default \`null_string\` (empty), NULL is written as nothing
and an empty text as \`""\`, the RFC 4180 usage that *CSV file* (\`source.csv\`) reads back exactly. With
another \`null_string\` (\`NULL\`, \`\\N\`), a text equal to it is quoted (\`"NULL"\`), an empty text is written
as nothing, and in a file of a single column every value is quoted, because readers skip an empty
line. Read such a file back with \`null_strings: ["NULL"]\` on the source.

**Lists, structs and maps** are written as JSON text (\`["a, b","c"]\`, \`{"name":"x, y","n":2,"at":null}\`),
which any reader can take apart (\`json_extract\`, a JSON parser), rather than DuckDB's own notation,
which leaves strings unquoted.

**Dates and times.** \`date_format\` applies to DATE columns, \`timestamp_format\` to every kind of
timestamp (TIMESTAMP, TIMESTAMP_MS, TIMESTAMP_NS, TIMESTAMPTZ). A TIMESTAMPTZ is written as its UTC
time: with a pattern that has no \`%z\`, without an offset, which a reader then takes for a local
time; the run warns, naming the column (add \`%z\` to write \`+00\`).

**Dialect checks.** The delimiter and the quote cannot be a line break, and the text written for NULL
cannot hold a line break, the delimiter or the quote: a reader could not tell where rows and fields
end. Such settings are refused before the run.

**Spreadsheets.** Values are written exactly as they are, also text starting with \`=\`, \`+\`, \`-\`,
\`@\`, a tab or a carriage return. Excel, LibreOffice and Google Sheets take such a cell for a formula
when the file is opened in them (CSV formula injection: \`=HYPERLINK(…)\` in a customer's name). If
people will open the file in a spreadsheet and the text comes from outside, neutralize such values
before the sink, e.g. in a Derive:
\`CASE WHEN regexp_matches(name, '^[=+\\-@\\t\\r]') THEN '''' || name ELSE name END\`.
Numbers are not affected (\`-5\` stays a number). Doubles that are not finite are written \`nan\`,
\`inf\` and \`-inf\` (every NaN as \`nan\`, also the one \`0.0 / 0.0\` gives, which DuckDB would write
\`-nan\`), \`-0.0\` as \`-0.0\`; a BLOB as DuckDB's escaped text (\`\\x00\\xFF\`), which
\`CAST(… AS BLOB)\` turns back into the bytes.

**Atomic.** The data first goes to a hidden file next to the target
(\`.orders.csv.caudal-<run>-<owner>.tmp\`), which is renamed into place only when every sink of
the run has been written. A failed or cancelled run deletes the hidden file and leaves the old
file exactly as it was; readers never see half a file. A target that is a symbolic link, a named pipe or
a device is refused before the run (the rename would replace it): write to the link's target.

**Existing files.** With \`if_exists: "fail"\` (the default) a run whose target exists stops before
reading any data, and the studio shows the problem on this node while you edit. Use
\`"overwrite"\` for files that are refreshed on every run, or put a param in the name
(\`exports/orders_\${run_date}.csv\`) to keep one file per run.

**Folders.** Missing folders on the path are created when the run starts. If the run then fails,
the folders it created are removed again (when they are still empty).`,
  example: {
    description: 'A semicolon-separated export refreshed on every run, with European dates',
    params: { path: 'exports/orders_${run_date}.csv', if_exists: 'overwrite', delimiter: ';', date_format: '%d/%m/%Y' },
  },
  check(p) {
    const same = p.delimiter === p.quote ? [{ path: 'quote', message: 'the quote character cannot be the delimiter', hint: 'use " as the quote or pick another delimiter' }] : [];
    return [...same, ...csvDialectProblems(p), ...patternWithoutSpecifier(p)];
  },
  async sink(ctx) {
    const p = ctx.params;
    // DuckDB quotes an empty text ("") only while NULL is written as nothing. Otherwise a one-column
    // file would hold an empty line for it, which readers skip: quote every value there instead.
    const columns = ctx.input().columns;
    const quoteAll = p.null_string !== '' && columns.length === 1;
    // DuckDB would print lists, structs and maps in its own notation, strings unquoted
    // ([{'name': a, b}] for the name "a, b"), which no reader can take apart: JSON text instead.
    // The timestamp pattern is applied here, to every kind of timestamp: DuckDB's own TIMESTAMPFORMAT
    // left TIMESTAMP_NS and TIMESTAMP_MS columns in ISO (one file, two layouts), and wrote a
    // TIMESTAMPTZ's UTC time without its offset when the pattern has none, which a warning now says.
    const pattern = p.timestamp_format;
    const stamped = (type: string) => pattern !== undefined && /^TIMESTAMP/i.test(type.trim());
    if (pattern !== undefined && !/%[zZ]/.test(pattern))
      for (const c of columns.filter((x) => /^(TIMESTAMPTZ|TIMESTAMP WITH TIME ZONE)$/i.test(x.type.trim())))
        ctx.warn(`node '${ctx.nodeId}': column '${c.name}' is ${c.type} and the timestamp format ${JSON.stringify(pattern)} writes no offset: its values are written as UTC times without one; add %z to the format to keep it`);
    const rewritten = columns.some((c) => isNestedType(c.type) || stamped(c.type) || isFloatType(c.type));
    const written = (c: Column) => {
      if (isNestedType(c.type)) return `to_json(${ident(c.name)}) AS ${ident(c.name)}`;
      if (stamped(c.type)) return `strftime(${ident(c.name)}, ${stringLiteral(pattern!)}) AS ${ident(c.name)}`;
      if (isFloatType(c.type)) return `${positiveNan(ident(c.name))} AS ${ident(c.name)}`;
      return ident(c.name);
    };
    return fileSinkPlan(ctx, {
      noun: 'CSV file',
      problems: await unwritablePatterns(ctx, p),
      ...(rewritten ? { select: columns.map(written).join(', ') } : {}),
      options: {
        FORMAT: 'csv',
        DELIMITER: p.delimiter,
        HEADER: p.header,
        QUOTE: p.quote,
        // DuckDB escapes with " whatever the quote is; doubling the quote is what readers expect.
        ESCAPE: p.quote,
        NULLSTR: p.null_string,
        FORCE_QUOTE: quoteAll ? '*' : undefined,
        DATEFORMAT: p.date_format,
        COMPRESSION: compressionFor(ctx.text(p.path)),
      },
    });
  },
});
