import type { Column, SparkCompileContext, SparkForm } from '../define.js';
import { ident, namedArgs, stringLiteral } from '../../compiler/sql.js';
import { sparkPaths } from '../shared/spark-files.js';
import { mkdtemp, open, rm } from 'node:fs/promises';
import path from 'node:path';
import { transcodeFile, type ConvertedEncoding } from '../../util/transcode.js';
import { tempFolderPrefix } from '../../util/owner.js';
import type { CsvSourceParams } from './params.js';
import { separatorLine } from './separator-line.js';
import { utf16Of } from './utf16.js';
import { firstBlankLine } from './spark-blank-lines.js';
import { isPlainTimestampType, timestampConversion } from '../shared/temporal-text.js';
import { decimalScale, numberConversion } from '../shared/locale-numbers.js';

type Params = CsvSourceParams;

/** Java's names for the decoders the DuckDB engine uses (WHATWG: Shift_JIS is Windows-31J, GBK reads GB18030, Big5 has HKSCS, EUC-KR is Windows-949). */
const ENCODINGS = {
  'utf-8': 'UTF-8',
  'latin-1': 'ISO-8859-1',
  'windows-1252': 'windows-1252',
  'iso-8859-15': 'ISO-8859-15',
  'windows-1250': 'windows-1250',
  'iso-8859-2': 'ISO-8859-2',
  'windows-1251': 'windows-1251',
  'koi8-r': 'KOI8-R',
  'koi8-u': 'KOI8-U',
  'iso-8859-5': 'ISO-8859-5',
  'windows-1253': 'windows-1253',
  'iso-8859-7': 'ISO-8859-7',
  'windows-1254': 'windows-1254',
  'windows-1255': 'windows-1255',
  'windows-1256': 'windows-1256',
  'windows-1257': 'windows-1257',
  'windows-1258': 'windows-1258',
  'windows-874': 'x-windows-874',
  macintosh: 'x-MacRoman',
  shift_jis: 'windows-31j',
  'euc-jp': 'EUC-JP',
  gbk: 'GB18030',
  big5: 'Big5-HKSCS',
  'euc-kr': 'x-windows-949',
  // Refused below (Spark's line reader splits on bytes); named for the type's sake.
  'utf-16le': 'UTF-16LE',
  'utf-16be': 'UTF-16BE',
} as const satisfies Record<Exclude<CsvSourceParams['encoding'], 'auto'>, string>;
const ISO_DATE = /^%Y-%m-%d$/;
const ISO_TIMESTAMP = /^%Y-%m-%d[ T]%H:%M:%S(\.%[fgn])?$/;
/**
 * What Spark's CSV reader gives for a quoted empty field (`""`), converted back to '' in SQL: by
 * default Spark reads it as its null value, which is also what an unquoted empty field reads as, and
 * DuckDB tells the two apart (`""` is an empty text, an empty field NULL). Nothing in a file holds
 * these noncharacters.
 */
const QUOTED_EMPTY = '\ufdd0caudal:empty\ufdd0';

interface Dialect {
  delimiter: string;
  quote: string;
  escape: string;
  header: boolean;
  skip: number;
  comment: string;
  dateFormat?: string;
  timestampFormat?: string;
}

/**
 * The dialect DuckDB's sniffer detects (what the DuckDB engine reads with), for a local file. DuckDB
 * reads UTF-8 only: a file in another encoding is sniffed from a converted head, as the engine does.
 */
async function sniffed(ctx: SparkCompileContext<Params>, file: string, encoding: keyof typeof ENCODINGS): Promise<Dialect> {
  const p = ctx.params;
  // Excel's `sep=;` line, as the DuckDB engine reads it: skipped (which Spark's reader cannot do, see below).
  const sep = p.skip_rows === undefined ? await separatorLine(file, p.quote, p.escape ?? p.quote) : undefined;
  const skip = sep === undefined ? p.skip_rows : 1;
  const args = namedArgs({ delim: p.delimiter ?? sep, quote: p.quote, escape: p.escape, header: p.header, skip, sample_size: p.sample_size });
  const folder = encoding === 'utf-8' ? undefined : await mkdtemp(tempFolderPrefix());
  const row = await (async (): Promise<Record<string, unknown>> => {
    try {
      const read = folder ? path.join(folder, path.basename(file)) : file;
      if (folder) await transcodeFile(file, read, encoding as ConvertedEncoding, { maxBytes: HEAD_BYTES, nodeId: ctx.nodeId, planning: true });
      const [first] = await ctx.rows(`SELECT * FROM sniff_csv(${[stringLiteral(read), args].filter(Boolean).join(', ')})`);
      return first ?? {};
    } finally {
      if (folder) await rm(folder, { recursive: true, force: true });
    }
  })();
  const text = (v: unknown) => (v === '(empty)' || v === null || v === undefined ? '' : String(v));
  const dateFormat = text(row.DateFormat);
  const timestampFormat = text(row.TimestampFormat);
  return {
    delimiter: text(row.Delimiter) || ',',
    quote: text(row.Quote),
    escape: text(row.Escape),
    header: row.HasHeader === true,
    skip: Number(row.SkipRows ?? 0),
    comment: text(row.Comment),
    ...(dateFormat && !ISO_DATE.test(dateFormat) ? { dateFormat } : {}),
    ...(timestampFormat && !ISO_TIMESTAMP.test(timestampFormat) ? { timestampFormat } : {}),
  };
}

/** Bytes of a local file's start looked at when the encoding is `auto` (as the DuckDB engine's planning does). */
const HEAD_BYTES = 4 * 1024 * 1024;

/** `auto` as the DuckDB engine decides it: UTF-16 by its mark or characters, UTF-8 unless the file's start is not valid UTF-8 (then Windows-1252). */
async function autoEncoding(file: string): Promise<'utf-8' | 'windows-1252' | 'utf-16le' | 'utf-16be'> {
  const handle = await open(file, 'r');
  try {
    const buf = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await handle.read(buf, 0, HEAD_BYTES, 0);
    let head = buf.subarray(0, bytesRead);
    const utf16 = utf16Of(head);
    if (utf16 === 'utf-16le' || utf16 === 'utf-16be') return utf16;
    // A multi-byte character cut at the end of the window is not an error.
    if (bytesRead === HEAD_BYTES) for (let i = 0; i < 3 && head.length > 0 && (head[head.length - 1]! & 0xc0) === 0x80; i++) head = head.subarray(0, head.length - 1);
    if (bytesRead === HEAD_BYTES && head.length > 0 && head[head.length - 1]! >= 0xc0) head = head.subarray(0, head.length - 1);
    new TextDecoder('utf-8', { fatal: true }).decode(head);
    return 'utf-8';
  } catch {
    return 'windows-1252';
  } finally {
    await handle.close();
  }
}

/** A remote file cannot be sniffed here: the node's own settings, with CSV's usual defaults. */
function stated(p: Params): Dialect {
  return { delimiter: p.delimiter ?? ',', quote: p.quote ?? '"', escape: p.escape ?? p.quote ?? '"', header: p.header ?? true, skip: p.skip_rows ?? 0, comment: p.comment ?? '' };
}

/**
 * Text → the column's type, as DuckDB's reader converts it: a quoted empty field is '' (never NULL);
 * an unquoted empty field, which Spark always reads as NULL, is NULL unless NULL strings are listed
 * without ''; then the NULL strings, then the cast.
 */
function converted(c: Column, nulls: string[] | undefined, d: Dialect): string {
  const x = ident(c.name);
  // An empty list means nothing is NULL, as a list without ''.
  const empty = nulls && !nulls.includes('') ? stringLiteral('') : 'NULL';
  const others = (nulls ?? []).filter((n) => n !== '');
  const v = `CASE WHEN ${x} IS NULL THEN ${empty} WHEN ${x} = ${stringLiteral(QUOTED_EMPTY)} THEN ''${others.length ? ` WHEN ${x} IN (${others.map(stringLiteral).join(', ')}) THEN NULL` : ''} ELSE ${x} END`;
  const type = c.type.toUpperCase();
  if (type === 'VARCHAR') return `${v} AS ${x}`;
  // Without a format too: Spark's cast, like DuckDB's, ignores what follows a date (`2024-03-04 13:45`).
  if (type === 'DATE') return `CAST(strptime(${v}, ${stringLiteral(d.dateFormat ?? '%Y-%m-%d')}) AS DATE) AS ${x}`;
  if (type === 'TIMESTAMP' && d.timestampFormat) return `strptime(${v}, ${stringLiteral(d.timestampFormat)}) AS ${x}`;
  // Spark's cast to TIMESTAMP_NTZ drops a UTC offset as DuckDB's does: refused the same way.
  if (isPlainTimestampType(type)) return `${timestampConversion(v, type, stringLiteral(`column "${c.name}": `)).strict} AS ${x}`;
  // Spark's cast to DECIMAL rounds extra decimal places (HALF_UP) as DuckDB's does: refused the same way.
  if (decimalScale(type) !== undefined) return `${numberConversion(v, c.type, { decimal: '.' }, stringLiteral(`column "${c.name}": `)).strict} AS ${x}`;
  return `CAST(${v} AS ${c.type}) AS ${x}`;
}

/**
 * Spark: its CSV reader with the dialect the DuckDB engine uses (detected here by DuckDB's sniffer, or
 * as stated for remote files), every column read as text, then converted in SQL to the types the
 * DuckDB plan has: the same NULL strings, date formats and casts (a value that does not convert
 * fails the run in both). Lines are read one by one (multiLine off, so large files split across
 * tasks): a quoted field with a line break fails the run on Spark.
 */
export const csvSourceSpark: SparkForm<Params> = {
  kind: 'custom',
  notes: 'The dialect DuckDB detects is used by Spark\'s reader and every value is converted as DuckDB does. Not available: `on_error: reject`, `union_by_name`, `skip_rows`, `decimal_separator`/`thousands_separator`; `encoding: auto` decides from the first local file (remote files: UTF-8), and UTF-16 files are refused; `max_line_size` does not apply; a quoted field with a line break fails the run; a one-column local file with empty lines (rows of NULL on DuckDB, skipped by Spark) is refused, and in a remote one-column file they are skipped. A quoted field equal to a listed NULL string is NULL on Spark (DuckDB keeps the text). Remote paths (s3a://, hdfs://) need `columns` or `expect_schema`.',
  async compile(ctx) {
    const p = ctx.params;
    if (p.on_error === 'reject')
      ctx.unsupported('on_error', 'setting malformed rows aside with their line numbers has no Spark form (Spark reads a file in parallel pieces and knows no line numbers)', 'use on_error "fail" on Spark, and quality.check with severity quarantine for bad values');
    if (p.decimal_separator !== '.' || p.thousands_separator !== undefined)
      ctx.unsupported(p.thousands_separator !== undefined ? 'thousands_separator' : 'decimal_separator', 'numbers written the local way (decimal comma, thousands separators) have no Spark form yet', 'read those columns as text (columns: VARCHAR) and convert them with transform.cast, or keep this pipeline on the DuckDB engine');
    if (p.union_by_name) ctx.unsupported('union_by_name', 'combining files by column name has no Spark form for CSV', 'convert the files to Parquet, or give every file the same columns');
    const pattern = ctx.path(p.path);
    const remote = /^[a-z][a-z0-9+.-]*:\/\//i.test(pattern);
    let dialect = stated(p);
    let encoding: keyof typeof ENCODINGS = p.encoding === 'auto' ? 'utf-8' : p.encoding;
    if (!remote) {
      const [first] = await ctx.rows(`SELECT file FROM glob(${stringLiteral(pattern)}) ORDER BY file LIMIT 1`);
      if (first) {
        if (p.encoding === 'auto') encoding = await autoEncoding(String(first.file));
        dialect = await sniffed(ctx, String(first.file), encoding);
      }
    }
    if (encoding === 'utf-16le' || encoding === 'utf-16be')
      ctx.unsupported('encoding', "UTF-16 text has no Spark form yet (Spark's CSV reader splits lines on bytes)", 'convert the file to UTF-8 first (a DuckDB run of this source into sink.csv), or keep this pipeline on the DuckDB engine');
    // Formats stated in the node win over what the sniffer saw, as in the DuckDB engine.
    if (p.date_format) dialect.dateFormat = p.date_format;
    if (p.timestamp_format) dialect.timestampFormat = p.timestamp_format;
    if (dialect.skip > 0) ctx.unsupported('skip_rows', `the file starts with ${dialect.skip} line(s) before the data, which Spark's CSV reader cannot skip`, 'remove them from the file, or keep this pipeline on the DuckDB engine');
    const out = ctx.outputColumns();
    const fileColumn = p.filename_column;
    const fileCols = out.filter((c) => c.name !== fileColumn);
    const raw = ctx.auxName('raw');
    const nulls = p.null_strings;
    const { paths, options } = sparkPaths(ctx, pattern);
    // Spark's reader skips blank lines, which DuckDB reads as rows (NULL) in a one-column file.
    if (fileCols.length === 1 && !remote) {
      for (const r of await ctx.rows(`SELECT file FROM glob(${stringLiteral(pattern)}) ORDER BY file`)) {
        const line = await firstBlankLine(String(r.file));
        if (line !== undefined)
          ctx.unsupported('path', `${String(r.file)} has one column and an empty line (line ${line}), which DuckDB reads as a row with NULL and Spark's CSV reader skips`, 'remove the empty lines from the file (or write NULL as a quoted or listed null string), or keep this pipeline on the DuckDB engine');
      }
    }
    const list = out.map((c) => (c.name === fileColumn ? ident(c.name) : converted(c, nulls, dialect)));
    return {
      read: {
        name: raw,
        format: 'csv',
        paths,
        options: {
          ...options,
          sep: dialect.delimiter,
          quote: dialect.quote === '' ? '\u0000' : dialect.quote,
          escape: dialect.escape === '' ? (dialect.quote || '\\') : dialect.escape,
          header: String(dialect.header),
          encoding: ENCODINGS[encoding],
          mode: 'FAILFAST',
          multiLine: 'false',
          ...(dialect.comment ? { comment: dialect.comment } : {}),
          // An unquoted empty field is Spark's null value (''), a quoted one this (see converted).
          emptyValue: QUOTED_EMPTY,
        },
        schema: [...fileCols.map((c) => ({ name: c.name, type: 'VARCHAR' })), ...(fileColumn ? [{ name: fileColumn, type: 'VARCHAR' }] : [])],
        applySchema: true,
        ...(fileColumn ? { fileColumn } : {}),
      },
      outputs: { out: `SELECT ${list.join(', ')}\nFROM ${raw}`, rejects: `SELECT CAST(NULL AS VARCHAR) AS "file", CAST(NULL AS BIGINT) AS "line", CAST(NULL AS VARCHAR) AS "raw_line", CAST(NULL AS VARCHAR) AS "error", CAST(NULL AS VARCHAR) AS "column"\nWHERE false` },
    };
  },
};
