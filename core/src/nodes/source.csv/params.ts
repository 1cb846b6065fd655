import { z } from 'zod';
import { decimalSeparatorParam, thousandsSeparatorParam } from '../shared/locale-numbers.js';
import { hivePartitioningParam } from '../shared/partitions.js';
import { LEGACY_ENCODINGS, UTF16_ENCODINGS } from '../../util/transcode.js';
import { duckDbType } from '../shared/type-param.js';

/** DuckDB's own default for the longest line it reads. */
export const DEFAULT_MAX_LINE_SIZE = 2_000_000;

export const csvSourceParams = z
  .object({
    path: z.string().min(1).meta({
      label: 'File or pattern',
      help: 'A CSV file or a glob such as `data/orders_*.csv`. Relative paths start at the pipeline file\'s folder; `${param}` references are filled in. A path that names an existing file is that file, even when its name holds `*`, `?` or `[`.',
      widget: 'path',
      group: 'File',
      placeholder: 'data/orders.csv',
    }),
    encoding: z.enum(['auto', 'utf-8', ...UTF16_ENCODINGS, ...LEGACY_ENCODINGS]).default('auto').meta({
      label: 'Encoding',
      help: '`auto`: UTF-16 when the file starts with its byte-order mark or its text is UTF-16 (Excel\'s "Unicode Text"), UTF-8 (with or without a byte-order mark) when the file is valid UTF-8, else Windows-1252 (Excel on Western Windows; a superset of Latin-1 with €); a file whose text reads as another script (Cyrillic, Greek, Hebrew, Arabic, Thai, Japanese, Chinese, Korean) is refused with the encodings that read it. Or say which: UTF-8, UTF-16 little- or big-endian (`utf-16le`, `utf-16be`), Latin-1 (ISO-8859-1), Windows-1252, the other Windows code pages (1250 Central European, 1251 Cyrillic, 1253 Greek, 1254 Turkish, 1255 Hebrew, 1256 Arabic, 1257 Baltic, 1258 Vietnamese, 874 Thai), Mac OS Roman (`macintosh`: CSV saved by Excel on a Mac), ISO-8859-2/5/7/15, KOI8-R/U, Shift_JIS (Excel on Japanese Windows), EUC-JP, GBK (Simplified Chinese, read as GB18030), Big5 (Traditional Chinese), EUC-KR (Korean, read as Windows-949).',
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
      help: 'The character around fields that contain the delimiter, usually `"`. An empty text means fields are never quoted. Leave unset to detect it (`"` unless the file shows otherwise).',
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
    comment: z.string().length(1).optional().meta({
      label: 'Comment character',
      help: 'Lines that start with it are skipped, e.g. `#`. Unset: no line is a comment (CSV has none), so a value such as `#N/A` at the start of a line is data.',
      widget: 'text',
      group: 'Format',
      placeholder: 'none',
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
      help: 'Unquoted field texts that mean "no value", e.g. `NA`, `NULL`, `-`. By default an unquoted empty field is NULL and a quoted one (`""`) is an empty text. Once you set a list, include an empty text to keep empty fields NULL; an empty list means nothing is NULL. A quoted field is never NULL.',
      widget: 'list',
      group: 'Format',
      placeholder: 'NA',
    }),
    decimal_separator: decimalSeparatorParam,
    thousands_separator: thousandsSeparatorParam,
    date_format: z.string().min(1).optional().meta({
      label: 'Date format',
      help: 'How dates are written, as a strptime format: `%d/%m/%Y` for 31/12/2025, `%m/%d/%Y` for 12/31/2025. Leave unset to detect it; dates that read two ways (01/02/2025) must be told.',
      widget: 'text',
      group: 'Dates',
      placeholder: 'detect',
    }),
    timestamp_format: z.string().min(1).optional().meta({
      label: 'Timestamp format',
      help: 'How date-times are written, e.g. `%d/%m/%Y %H:%M:%S`. Leave unset to detect it.',
      widget: 'text',
      group: 'Dates',
      placeholder: 'detect',
    }),
    columns: z
      .array(
        z
          .object({
            name: z.string().min(1).meta({ label: 'Column name' }),
            type: duckDbType().meta({ label: 'Type', help: 'A DuckDB type: VARCHAR, BIGINT, DOUBLE, DECIMAL(12,2), DATE, TIMESTAMP, BOOLEAN, …', placeholder: 'VARCHAR' }),
          })
          .strict(),
      )
      .min(1)
      .optional()
      .meta({
        label: 'Columns',
        help: 'Every column of the file, in file order, with its type. Replaces the header names (by position) and the detected types; the header\'s own names in another order are refused, as they would swap values. Leave empty to detect both.',
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
    hive_partitioning: hivePartitioningParam,
    union_by_name: z.boolean().default(false).meta({
      label: 'Combine files by column name',
      help: "For patterns matching files whose columns differ: line columns up by header name and fill missing ones with NULL (dates that are not ISO then need date_format / timestamp_format, since each file is detected on its own). A column list then states types by name (a listed name no file has is an error; other columns keep their detected types). Off: every file must have the first file's columns in order; each file's header is compared with the first one's before the run (a file that appears once the run starts, such as source.s3's objects, before it is read), and a file that differs stops it.",
      widget: 'boolean',
      group: 'Files',
    }),
    on_error: z.enum(['fail', 'reject']).default('fail').meta({
      label: 'Malformed rows',
      help: '`fail` stops the run, naming the file and line. `reject` keeps going: bad rows go to the `rejects` output with their line number and text.',
      widget: 'select',
      group: 'Errors',
    }),
    max_line_size: z.number().int().min(1024).max(1_000_000_000).default(DEFAULT_MAX_LINE_SIZE).meta({
      label: 'Longest line (bytes)',
      help: 'A line longer than this stops the run (also with `reject`), naming the file and the line, before the rest is read. Raise it for files with very long values, such as embedded documents.',
      widget: 'number',
      group: 'Errors',
      placeholder: '2000000',
    }),
  })
  .strict();

export type CsvSourceParams = z.output<typeof csvSourceParams>;
