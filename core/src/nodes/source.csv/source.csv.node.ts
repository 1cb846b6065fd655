import { stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { defineNode, type CompileContext, type SetupStep } from '../define.js';
import { csvSourceSpark } from './source.csv.spark.js';
import { ident, literal, namedArgs, stringLiteral } from '../../compiler/sql.js';
import { CaudalError, errorMessage } from '../../util/errors.js';
import { checkDuckDbType } from './duckdb-types.js';

const params = z
  .object({
    path: z.string().min(1).meta({
      label: 'File or pattern',
      help: 'A CSV file or a glob such as `data/orders_*.csv`. Relative paths start at the pipeline file\'s folder; `${param}` references are filled in.',
      widget: 'path',
      group: 'File',
      placeholder: 'data/orders.csv',
    }),
    encoding: z.enum(['utf-8', 'latin-1', 'windows-1252']).default('utf-8').meta({
      label: 'Encoding',
      help: 'UTF-8 (with or without a byte-order mark), Latin-1 (ISO-8859-1) or Windows-1252 (Excel on Western Windows; has € and curly quotes).',
      widget: 'select',
      group: 'File',
    }),
    delimiter: z.string().min(1).max(4).optional().meta({
      label: 'Delimiter',
      help: 'The character between fields, e.g. `,` `;` `|`; write `\\t` for a tab. Leave unset to detect it.',
      widget: 'text',
      group: 'Format',
      placeholder: 'detect',
    }),
    quote: z.string().max(1).optional().meta({
      label: 'Quote',
      help: 'The character around fields that contain the delimiter, usually `"`. An empty text means fields are never quoted. Leave unset to detect it.',
      widget: 'text',
      group: 'Format',
      placeholder: 'detect',
    }),
    escape: z.string().max(1).optional().meta({
      label: 'Escape',
      help: 'The character before a quote inside a quoted field: `"` (doubled quotes) or `\\`. Leave unset to detect it.',
      widget: 'text',
      group: 'Format',
      placeholder: 'detect',
    }),
    header: z.boolean().optional().meta({
      label: 'First row is a header',
      help: 'Leave unset to detect it. Without a header, columns are named column0, column1, … unless you list them under Columns.',
      widget: 'boolean',
      group: 'Format',
    }),
    skip_rows: z.number().int().min(0).optional().meta({
      label: 'Skip rows',
      help: 'Lines to ignore at the top of each file (titles, notes) before the header. Leave unset to detect it.',
      widget: 'number',
      group: 'Format',
      placeholder: 'detect',
    }),
    null_strings: z.array(z.string()).optional().meta({
      label: 'Null values',
      help: 'Field texts that mean "no value", e.g. `NA`, `NULL`, `-`. By default only an empty field is NULL; once you set a list, include an empty text to keep that.',
      widget: 'list',
      group: 'Format',
      placeholder: 'NA',
    }),
    columns: z
      .array(
        z
          .object({
            name: z.string().min(1).meta({ label: 'Column name' }),
            type: z.string().min(1).meta({ label: 'Type', help: 'A DuckDB type: VARCHAR, BIGINT, DOUBLE, DECIMAL(12,2), DATE, TIMESTAMP, BOOLEAN, …', placeholder: 'VARCHAR' }),
          })
          .strict(),
      )
      .min(1)
      .optional()
      .meta({
        label: 'Columns',
        help: 'Every column of the file, in file order, with its type. Replaces the header names and the detected types. Leave empty to detect both.',
        widget: 'list',
        group: 'Columns',
      }),
    all_varchar: z.boolean().default(false).meta({
      label: 'Read everything as text',
      help: 'Skip type detection: every column is VARCHAR. Useful for codes with leading zeros; convert later with Derive.',
      widget: 'boolean',
      group: 'Columns',
    }),
    sample_size: z
      .number()
      .int()
      .min(-1)
      .refine((n) => n !== 0, 'use -1 for the whole file or a positive number of rows')
      .optional()
      .meta({
        label: 'Rows sampled for detection',
        help: 'How many rows the detection looks at (DuckDB default 20480). -1 reads the whole file first: slower, but types fit rare values far down.',
        widget: 'number',
        group: 'Columns',
        placeholder: '20480',
      }),
    filename_column: z.string().min(1).optional().meta({
      label: 'File name column',
      help: 'Adds a column with this name holding the path of the file each row came from, handy with patterns.',
      widget: 'text',
      group: 'Files',
      placeholder: 'source_file',
    }),
    union_by_name: z.boolean().default(false).meta({
      label: 'Combine files by column name',
      help: "For patterns matching files whose columns differ: line columns up by header name and fill missing ones with NULL. Off: every file must have the first file's columns in order.",
      widget: 'boolean',
      group: 'Files',
    }),
    on_error: z.enum(['fail', 'reject']).default('fail').meta({
      label: 'Malformed rows',
      help: '`fail` stops the run, naming the file and line. `reject` keeps going: bad rows go to the `rejects` output with their line number and text.',
      widget: 'select',
      group: 'Errors',
    }),
  })
  .strict();

type Params = z.output<typeof params>;

const COMPRESSED = /\.(gz|gzip|zst|zstd|bz2|xz|zip)$/i;

/** Rows a preview scans when the source sets malformed rows aside (a full scan is a run's job). */
const PREVIEW_SCAN_ROWS = 20_000;

/** The columns the `rejects` port always has, also when nothing can be rejected. */
const REJECT_COLUMNS: Array<[name: string, type: string]> = [
  ['file', 'VARCHAR'],
  ['line', 'BIGINT'],
  ['raw_line', 'VARCHAR'],
  ['error', 'VARCHAR'],
  ['column', 'VARCHAR'],
];

/** The unquoted form of a name from `ctx.auxName` (rejects_table/rejects_scan take it as a string). */
function unquote(quoted: string): string {
  return quoted.slice(1, -1).replaceAll('""', '"');
}

/** `columns := {...}` built by hand: a JS object would move keys like "2024" to the front. */
function columnsArg(columns: Params['columns']): string | undefined {
  if (!columns) return undefined;
  return `columns := {${columns.map((c) => `${stringLiteral(c.name)}: ${stringLiteral(c.type.trim())}`).join(', ')}}`;
}

const NEWLINES = new Set(['\\n', '\\r\\n', '\\r']);

/**
 * Detects the dialect and column types once, with DuckDB's `sniff_csv`, and returns read_csv
 * arguments that state them all with `auto_detect := false`. Without this every view built on the
 * source re-runs detection when it is bound (about 0.1 s per bind on a large file); with it binding
 * is free and the run reads exactly the schema that planning showed. Returns undefined when
 * detection has to stay dynamic (files combined by name) or fails (the caller then explains why).
 */
const SNIFF_CACHE_SIZE = 64;
/** sniff_csv results by query, file size and modification time (a changed file is sniffed again). */
const sniffCache = new Map<string, Record<string, unknown>>();

async function pinnedReadArgs(ctx: CompileContext<Params>, file: string): Promise<string[] | undefined> {
  const p = ctx.params;
  if (p.union_by_name) return undefined;
  const userArgs = [
    namedArgs({
      delim: p.delimiter,
      quote: p.quote,
      escape: p.escape,
      header: p.header,
      skip: p.skip_rows,
      nullstr: p.null_strings?.length ? p.null_strings : undefined,
      all_varchar: p.all_varchar || undefined,
      sample_size: p.sample_size,
    }),
    columnsArg(p.columns),
  ].filter((a): a is string => !!a);
  let sniffed: Record<string, unknown> | undefined;
  const sql = `SELECT * FROM sniff_csv(${[stringLiteral(file), ...userArgs].join(', ')})`;
  // Warm engine workers plan the same files again and again (every preview): sniff each version once.
  const st = await stat(file).catch(() => undefined);
  const key = st ? `${sql}|${st.size}|${st.mtimeMs}` : undefined;
  sniffed = key ? sniffCache.get(key) : undefined;
  if (!sniffed) {
    try {
      [sniffed] = await ctx.rows(sql);
    } catch {
      return undefined;
    }
    if (key && sniffed) {
      if (sniffCache.size >= SNIFF_CACHE_SIZE) sniffCache.delete(sniffCache.keys().next().value!);
      sniffCache.set(key, sniffed);
    }
  }
  if (!sniffed) return undefined;
  const text = (v: unknown) => (v === '(empty)' || v === null || v === undefined ? '' : String(v));
  // Exactly what auto-detection would use in the run, so preview and run read the file the same way.
  const quote = text(sniffed.Quote);
  const escape = text(sniffed.Escape);
  const columns = (sniffed.Columns as Array<{ name: string; type: string }> | undefined) ?? [];
  if (columns.length === 0) return undefined;
  const newLine = text(sniffed.NewLineDelimiter);
  return [
    namedArgs({
      delim: text(sniffed.Delimiter),
      quote,
      escape,
      new_line: NEWLINES.has(newLine) ? newLine : undefined,
      comment: text(sniffed.Comment) || undefined,
      skip: Number(sniffed.SkipRows ?? 0),
      header: sniffed.HasHeader === true,
      nullstr: p.null_strings?.length ? p.null_strings : undefined,
      dateformat: customFormat(text(sniffed.DateFormat), ISO_DATE),
      timestampformat: customFormat(text(sniffed.TimestampFormat), ISO_TIMESTAMP),
    }),
    `columns := {${columns.map((c) => `${stringLiteral(c.name)}: ${stringLiteral(c.type)}`).join(', ')}}`,
  ];
}

// Formats DuckDB's own date and timestamp casts read without being told. Stating them anyway makes
// every value go through the strptime parser instead: about 5% more CPU on a date-heavy file.
const ISO_DATE = /^%Y-%m-%d$/;
const ISO_TIMESTAMP = /^%Y-%m-%d[ T]%H:%M:%S(\.%[fgn])?$/;

/** The detected format when it is one the default parser would not read, else undefined. */
function customFormat(format: string, iso: RegExp): string | undefined {
  return format && !iso.test(format) ? format : undefined;
}

/** `CASE x WHEN temp THEN original … END`: shows the user's file paths instead of transcoded copies. */
function originalPath(expr: string, copies: Array<{ temp: string; original: string }>): string {
  if (copies.length === 0) return expr;
  return `CASE ${expr} ${copies.map((c) => `WHEN ${stringLiteral(c.temp)} THEN ${stringLiteral(c.original)}`).join(' ')} ELSE ${expr} END`;
}

/**
 * The files DuckDB reads: the pattern itself for UTF-8, or one UTF-8 copy per matched file for
 * single-byte encodings (DuckDB's own latin-1 decoder rejects 0x80-0x9F, where Windows-1252 has €).
 */
async function sources(ctx: CompileContext<Params>): Promise<{ from: string; copies: Array<{ temp: string; original: string }>; setup: SetupStep[] }> {
  const p = ctx.params;
  const pattern = ctx.path(p.path);
  const files = await ctx.glob(pattern);
  if (files.length === 0) {
    const message = `node '${ctx.nodeId}': no file matches ${p.path}${pattern === p.path ? '' : ` (${pattern})`}`;
    const hint = 'relative paths start at the folder of the pipeline file; check the name and the pattern';
    throw new CaudalError('validation', message, { nodeId: ctx.nodeId, hint, problems: [{ code: 'io_error', path: 'params.path', message, hint }] });
  }
  if (p.encoding === 'utf-8') return { from: stringLiteral(pattern), copies: [], setup: [] };
  const encoding = p.encoding;
  // The original name stays in the copy's name, so DuckDB errors that quote the path still say which file.
  const copies = files.map((original, i) => ({ original, temp: ctx.tempPath(`${i}-${path.basename(original)}`) }));
  const setup: SetupStep[] = copies.map((c) => ({ kind: 'transcode', from: c.original, to: c.temp, encoding, description: `convert ${c.original} from ${encoding} to UTF-8` }));
  return { from: literal(copies.map((c) => c.temp)), copies, setup };
}

/**
 * DuckDB's text for a file it cannot make sense of lists its internal options (strict_mode,
 * ignore_errors, encoding='UTF-16', …). Say it in the node's terms instead; other errors (a missing
 * file, say) pass through for the planner to explain.
 */
async function explainDetectionFailure(ctx: CompileContext<Params>, select: string): Promise<void> {
  try {
    await ctx.describe(select);
  } catch (e) {
    const text = errorMessage(e);
    const sniff = /Error when sniffing file "([^"]*)"/.exec(text);
    const file = sniff?.[1] ?? /^\s*file = (.*)$/m.exec(text)?.[1];
    const fail = (code: 'bind_error' | 'invalid_param', at: string, message: string, hint: string) =>
      new CaudalError('validation', message, { nodeId: ctx.nodeId, hint, cause: e, problems: [{ code, path: at, message, hint }] });
    if (sniff)
      throw fail(
        'bind_error',
        'params',
        `node '${ctx.nodeId}': cannot tell the CSV format of ${file}: its first rows do not fit one format (the same number of fields on every line, balanced quotes) with the options given`,
        'set the delimiter, quote and header to what the file uses; with on_error "reject" the rows that do not fit are listed, with their line numbers, on the rejects output',
      );
    if (/not utf-8 encoded/i.test(text))
      throw fail(
        'invalid_param',
        'params.encoding',
        `node '${ctx.nodeId}': ${file ?? 'the file'} is not UTF-8 text`,
        'set the encoding: "windows-1252" for files saved by Excel or other Windows programs in Western Europe and the Americas, "latin-1" for ISO-8859-1',
      );
    throw e;
  }
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
  params,
  docs: `Reads delimited text with DuckDB's \`read_csv\`. Anything you leave unset (delimiter, quote,
escape, header, rows to skip, column types) is detected from a sample of the first rows
(\`sample_size\`, 20480 by default). Set a value when detection guesses wrong; the preview shows
what was detected. If the preview shows a single column holding whole lines, set the delimiter.

**Several files.** A glob (\`*\` within a folder, \`**\` across folders) reads all matching files as one
table. Every file is expected to have the same columns in the same order, unless *Combine files by
column name* is on. Add a *File name column* to know where each row came from: it holds the
original path of the file, also when the file had to be converted from another encoding.

**Column types.** By default, names come from the header and types are detected. List *Columns*
(name and DuckDB type for every column, in file order) to fix both, or turn on *Read everything as
text* to get only VARCHAR columns. Type names are checked before the run (\`BIGINT\`, \`DOUBLE\`,
\`DECIMAL(12,2)\`, \`DATE\`, \`TIMESTAMP\`, \`BOOLEAN\`, \`VARCHAR\`, \`INTEGER[]\`, …).

**Encodings.** UTF-8 files are read as they are, with or without a byte-order mark. Latin-1 and
Windows-1252 files are converted to UTF-8 in the run's temp folder first (one copy per file, removed
after the run), so names such as "José Muñoz" and the euro sign survive. Previews and validation
convert only the first 4 MB of each file and say the preview is sampled. Compressed files
(\`.gz\`, \`.zst\`) can only be read as UTF-8.

**Malformed rows.** With \`on_error: "fail"\` (the default) a row that does not fit (wrong number of
fields, a value that does not convert to its column's type) stops the run; the message names the
node, the file, the line number and the line's text. With \`on_error: "reject"\` the good rows continue
on \`out\` and every problem becomes a row on the \`rejects\` output:

| column | type | meaning |
| --- | --- | --- |
| \`file\` | VARCHAR | the file the line is in |
| \`line\` | BIGINT | line number in the file: its first line is 1, header and skipped lines included |
| \`raw_line\` | VARCHAR | the line's text as read |
| \`error\` | VARCHAR | what was wrong |
| \`column\` | VARCHAR | the column that failed to convert, if any |

Connect \`rejects\` to a sink to keep them. A run that sets rows aside says so with a warning
("3 malformed rows of data/orders.csv were set aside on the 'rejects' port"), and adds that they are
dropped when nothing is connected to \`rejects\`. Rejecting reads the files completely into a temporary table
when the run starts (so does a preview of this node or of anything after it), and the node's row
count is the number of good rows.

Malformed lines among the first rows can keep the format from being detected at all. With
\`fail\` that is reported before the run, naming the file; set the delimiter, quote and header to
what the file uses, or switch to \`reject\` to see the offending lines.

If no file matches the path, the node reports an \`io_error\` problem before anything runs.`,
  example: {
    description: 'Monthly Windows-1252 exports with a semicolon delimiter, keeping bad rows aside',
    params: {
      path: 'exports/orders_${month}_*.csv',
      encoding: 'windows-1252',
      delimiter: ';',
      header: true,
      null_strings: ['', 'NA'],
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
      const why = checkDuckDbType(c.type);
      if (why) out.push({ path: `columns[${i}].type`, message: `column '${c.name}': ${why}` });
      if (seen.has(c.name.toLowerCase())) out.push({ path: `columns[${i}].name`, message: `column '${c.name}' is listed twice`, hint: 'column names are compared without regard to case' });
      seen.add(c.name.toLowerCase());
    });
    if (p.filename_column && seen.has(p.filename_column.toLowerCase()))
      out.push({ path: 'filename_column', message: `'${p.filename_column}' is also in the column list`, hint: 'pick another name for the file name column' });
    if (p.encoding !== 'utf-8' && COMPRESSED.test(p.path))
      out.push({ path: 'encoding', message: `compressed files can only be read as UTF-8, not ${p.encoding}`, hint: 'decompress the file first, or convert it to UTF-8' });
    if (p.delimiter !== undefined && p.delimiter === p.quote) out.push({ path: 'quote', message: 'the quote must differ from the delimiter' });
    return out;
  },
  async compile(ctx) {
    const p = ctx.params;
    const { from, copies, setup } = await sources(ctx);
    const rejecting = p.on_error === 'reject';
    const errorsTable = ctx.auxName('reject_errors');
    const scansTable = ctx.auxName('reject_scans');
    const tail = namedArgs({
      union_by_name: p.union_by_name || undefined,
      filename: p.filename_column,
      store_rejects: rejecting || undefined,
      rejects_table: rejecting ? unquote(errorsTable) : undefined,
      rejects_scan: rejecting ? unquote(scansTable) : undefined,
    });
    const autoArgs = [
      namedArgs({
        delim: p.delimiter,
        quote: p.quote,
        escape: p.escape,
        header: p.header,
        skip: p.skip_rows,
        nullstr: p.null_strings?.length ? p.null_strings : undefined,
        all_varchar: p.all_varchar || undefined,
        sample_size: p.sample_size,
      }),
      columnsArg(p.columns),
      tail,
    ].filter((a): a is string => !!a);
    const pinned = copies.length === 0 ? await pinnedReadArgs(ctx, (await ctx.glob(ctx.path(p.path)))[0]!) : undefined;
    const fileCol = p.filename_column && copies.length > 0 ? ident(p.filename_column) : undefined;
    const selectWith = (args: string[]) =>
      `SELECT *${fileCol ? ` REPLACE (${originalPath(fileCol, copies)} AS ${fileCol})` : ''}\nFROM read_csv(${[from, ...args].join(', ')})`;
    // Planning and previews bind with the detected dialect and types stated and detection off, so
    // each view downstream binds in a millisecond. The run states them too but leaves detection on:
    // with everything given the sniffer only estimates the file's rows (which DuckDB's join order
    // needs; without it a 10M-row file counts as a few rows), at a third of a full detection's cost.
    const pinnedWith = (detect: boolean) => selectWith([...(detect ? [] : [namedArgs({ auto_detect: false })]), ...pinned!, tail].filter((a): a is string => !!a));
    const runSelect = pinned ? pinnedWith(true) : selectWith(autoArgs);
    const select = pinned ? pinnedWith(false) : runSelect;

    if (!rejecting) {
      if (copies.length === 0) await explainDetectionFailure(ctx, select);
      return {
        outputs: {
          out: select,
          rejects: `SELECT ${REJECT_COLUMNS.map(([name, type]) => `CAST(NULL AS ${type}) AS ${ident(name)}`).join(', ')}\nWHERE false`,
        },
        runOutputs: { out: runSelect },
        setup,
      };
    }

    // DuckDB creates the rejects tables itself and refuses names that exist but are not its own,
    // so both forms drop them first. Only a full scan fills them: the dry form creates them empty.
    const rows = ctx.auxName('rows');
    const drop = `DROP TABLE IF EXISTS ${errorsTable};\nDROP TABLE IF EXISTS ${scansTable};`;
    const scan = (query: string) => `CREATE OR REPLACE TEMP TABLE ${rows} AS\n${query}`;
    setup.push({
      kind: 'sql',
      description: `read ${p.path}, keeping malformed rows aside`,
      sql: `${drop}\n${scan(runSelect)}`,
      dry: [
        drop,
        `${scan(select)}\nLIMIT 0;`,
        `CREATE TEMP TABLE IF NOT EXISTS ${errorsTable} (scan_id UBIGINT, file_id UBIGINT, line UBIGINT, column_idx UBIGINT, column_name VARCHAR, csv_line VARCHAR, error_message VARCHAR);`,
        `CREATE TEMP TABLE IF NOT EXISTS ${scansTable} (scan_id UBIGINT, file_id UBIGINT, file_path VARCHAR);`,
      ].join('\n'),
      countsRows: true,
      // Previews read only the head of the file (rejects found there are shown; the preview says it is sampled).
      preview: { sql: `${drop}\n${scan(select)}\nLIMIT ${PREVIEW_SCAN_ROWS}`, rows: PREVIEW_SCAN_ROWS },
    });
    return {
      outputs: {
        out: `SELECT * FROM ${rows}`,
        rejects: [
          `SELECT CAST(${originalPath('s.file_path', copies)} AS VARCHAR) AS ${ident('file')},`,
          `  CAST(e.line AS BIGINT) AS ${ident('line')},`,
          `  CAST(e.csv_line AS VARCHAR) AS ${ident('raw_line')},`,
          `  CAST(e.error_message AS VARCHAR) AS ${ident('error')},`,
          `  CAST(e.column_name AS VARCHAR) AS ${ident('column')}`,
          `FROM ${errorsTable} AS e JOIN ${scansTable} AS s ON e.scan_id = s.scan_id AND e.file_id = s.file_id`,
          'ORDER BY e.file_id, e.line, e.column_idx',
        ].join('\n'),
      },
      setup,
      notices: [{ countSql: `SELECT count(DISTINCT (scan_id, file_id, line)) FROM ${errorsTable}`, message: `{count} malformed row{s} of ${p.path} {were} set aside on the 'rejects' port`, port: 'rejects' }],
    };
  },
});
