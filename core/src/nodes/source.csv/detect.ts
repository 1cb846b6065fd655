import path from 'node:path';
import { namedArgs, stringLiteral, type SqlValue } from '../../compiler/sql.js';
import type { Column, CompileContext } from '../define.js';
import { CaudalError, errorMessage } from '../../util/errors.js';
import { transcodeFile, type ConvertedEncoding } from '../../util/transcode.js';
import { describeMixedEndings, firstMixedEnding, mixedEndingsHint } from './line-endings.js';
import { decimalScale, isIntegerType, isNumericType } from '../shared/locale-numbers.js';
import { isDateType, isPlainTimestampType, isTimeType } from '../shared/temporal-text.js';
import type { CsvFile } from './files.js';
import { DEFAULT_MAX_LINE_SIZE, type CsvSourceParams } from './params.js';
import { decompressedHead } from '../../util/decompressed-head.js';
import { checkSample, type SampleChecks } from './sample.js';
import { separatorLine } from './separator-line.js';
import { fileLiteral } from '../shared/exact-file.js';
import { failpoint } from '../../util/failpoint.js';
import { regularFileStats, tempFolderFailure, unreadableFile } from './unreadable-file.js';
import { foldName, sameName } from '../shared/columns.js';

/** The format of a file, stated in full so every read binds without detecting again. */
export interface Dialect {
  delim: string;
  quote: string;
  escape: string;
  newLine?: string;
  comment?: string;
  skip: number;
  header: boolean;
  dateFormat?: string;
  timestampFormat?: string;
}

export interface Detected {
  dialect: Dialect;
  /** Columns as read_csv returns them: text where a conversion follows. */
  columns: Column[];
  /**
   * Columns read as text, then checked and converted: numbers with a thousands separator, integers
   * and ISO timestamps and times (see below). `detected`: typed from the sample, not listed.
   */
  converted: Array<Column & { detected: boolean }>;
  /**
   * Some sampled lines did not fit any format, so detection ran with them left out: a run must not
   * detect again (it would fail the same way) and reports or rejects each such line instead.
   */
  tolerant: boolean;
  /** What detection decided that drops or reinterprets text, to warn about (e.g. lines skipped as a title). */
  warnings: string[];
  /** The first file's header names as detected (before a column list renames them). */
  headerNames: string[];
  /** The delimiter of the first file's Excel separator line (`sep=;`), skipped in every file. */
  separatorLine?: string;
}

/** A row of DuckDB's `sniff_csv`. */
export type Sniffed = {
  Delimiter: string;
  Quote: string;
  Escape: string;
  NewLineDelimiter: string;
  Comment: string;
  SkipRows: number;
  HasHeader: boolean;
  Columns: Column[];
  DateFormat: string | null;
  TimestampFormat: string | null;
};

const NEWLINES = new Set(['\\n', '\\r\\n', '\\r']);
export const PLAN_PREFIX_BYTES = 4 << 20;
/** Field separators a header line "clearly" holds when detection saw one column. */
const LIKELY_DELIMITERS = [',', ';', '\t', '|'];
const SNIFF_CACHE_SIZE = 64;
/** Detection results by file version and params (warm workers plan the same files for every preview). */
const cache = new Map<string, Detected>();

/**
 * A sentinel for `nullstr` that no unquoted field can equal (it holds a line break), so that an
 * empty `null_strings` list means "nothing is NULL": DuckDB wants at least one null string.
 */
export const NOTHING_IS_NULL = '\n\r';

export function nullArg(list: string[] | undefined): SqlValue | undefined {
  if (list === undefined) return undefined;
  return list.length === 0 ? NOTHING_IS_NULL : list;
}

const text = (v: unknown) => (v === '(empty)' || v === null || v === undefined ? '' : String(v));

/** Named arguments of read_csv / sniff_csv, and the column list (kept apart: its order matters). */
export interface ReadArgs {
  named: Record<string, SqlValue | undefined>;
  columns?: Column[];
}

/** `name := value, …, columns := {…}`; the struct is built by hand because a JS object would move keys like "2024" to the front. */
export function argsSql(a: ReadArgs): string {
  const out = [namedArgs(a.named)];
  if (a.columns) out.push(`columns := {${a.columns.map((c) => `${stringLiteral(c.name)}: ${stringLiteral(c.type)}`).join(', ')}}`);
  return out.filter(Boolean).join(', ');
}

/** What the user stated (never the path). With `numbersAsText`, listed number columns are read as text, to be converted after. */
export function givenArgs(p: CsvSourceParams, numbersAsText: boolean): ReadArgs {
  return {
    named: {
      delim: p.delimiter,
      quote: p.quote,
      escape: p.escape,
      header: p.header,
      skip: p.skip_rows,
      // No comment lines unless stated: detection would otherwise take `#` as one when that makes
      // a column numeric, and drop the rows that start with `#N/A`.
      comment: p.comment ?? '',
      nullstr: nullArg(p.null_strings),
      // RFC 4180 usage: a quoted field is a value, "" an empty text; only unquoted fields are NULL.
      allow_quoted_nulls: false,
      all_varchar: p.all_varchar || undefined,
      sample_size: p.sample_size,
      dateformat: p.date_format,
      timestampformat: p.timestamp_format,
      decimal_separator: p.decimal_separator === '.' ? undefined : p.decimal_separator,
      max_line_size: p.max_line_size === DEFAULT_MAX_LINE_SIZE ? undefined : p.max_line_size,
    },
    columns: p.columns?.map((c) => ({ name: c.name, type: numbersAsText && isNumericType(c.type) ? 'VARCHAR' : c.type.trim() })),
  };
}

/** The arguments that state a dialect completely (with `auto_detect := false` nothing is detected). */
export function dialectArgs(d: Dialect, p: CsvSourceParams, columns: Column[]): ReadArgs {
  return {
    named: {
      delim: d.delim,
      quote: d.quote,
      escape: d.escape,
      new_line: d.newLine,
      comment: d.comment,
      skip: d.skip,
      header: d.header,
      nullstr: nullArg(p.null_strings),
      allow_quoted_nulls: false,
      dateformat: d.dateFormat ?? (columns.some((c) => isDateType(c.type)) ? STRICT_ISO_DATE : undefined),
      timestampformat: d.timestampFormat,
      decimal_separator: p.decimal_separator === '.' ? undefined : p.decimal_separator,
      max_line_size: p.max_line_size === DEFAULT_MAX_LINE_SIZE ? undefined : p.max_line_size,
    },
    columns,
  };
}

/**
 * Stated for ISO dates although DuckDB reads them unasked: its own date cast stops at the date and
 * ignores what follows (`2024-03-04 13:45`, `2024-03-1x` → 2024-03-01), so a timestamp past the
 * detection sample, or typed into a listed DATE column, would lose its time without a word. The
 * strptime parser refuses it. Cost measured on the 10M-row orders file: 0.95 → 1.15 s for its read.
 */
const STRICT_ISO_DATE = '%Y-%m-%d';

// Formats DuckDB's own date and timestamp casts read without being told (detection reports them;
// they are not stated again, except the date format above).
export const ISO_DATE = /^%Y-%m-%d$/;

/**
 * Whether DATE columns in this format are read as text and converted by dateConversion
 * (shared/temporal-text.ts) rather than by read_csv with the format stated: strptime, which the
 * reader uses with a format, reads `infinity` and `-infinity` as 1900-01-01 without a word, where
 * DATE holds (and every Caudal sink writes) the infinite dates. dateConversion is as strict about
 * what follows a date and keeps them. Custom formats (`%d/%m/%Y`) stay with the reader.
 */
export const isIsoDateFormat = (format: string | undefined) => format === undefined || ISO_DATE.test(format);
export const ISO_TIMESTAMP = /^%Y-%m-%d[ T]%H:%M:%S(\.%[fgn])?$/;
const custom = (format: string, iso: RegExp) => (format && !iso.test(format) ? format : undefined);

/** The same names (as DuckDB compares them) in another order: a column list that would swap values. */
function isReordering(listed: string[], header: string[]): boolean {
  const a = listed.map(foldName);
  const b = header.map(foldName);
  if (a.length !== b.length || a.every((n, i) => n === b[i])) return false;
  return [...a].sort().every((n, i) => n === [...b].sort()[i]);
}

export function dialectOf(s: Sniffed): Dialect {
  const newLine = text(s.NewLineDelimiter);
  return {
    delim: text(s.Delimiter),
    quote: text(s.Quote),
    escape: text(s.Escape),
    newLine: NEWLINES.has(newLine) ? newLine : undefined,
    comment: text(s.Comment) || undefined,
    skip: Number(s.SkipRows ?? 0),
    header: s.HasHeader === true,
    dateFormat: custom(text(s.DateFormat), ISO_DATE),
    timestampFormat: custom(text(s.TimestampFormat), ISO_TIMESTAMP),
  };
}

/** The lines of a file's first 64 KB (the last one may be cut), without a byte-order mark. */
/** The first 64 KB of the file's text (decompressed), in lines. */
async function headText(file: string): Promise<string> {
  return (await decompressedHead(file, 1 << 16)).toString('utf8').replace(/^\uFEFF/, '');
}

async function headLines(file: string): Promise<string[]> {
  return (await headText(file)).split(/\r\n|\n|\r/);
}

/**
 * The record after the first `skip` lines: the header, its quoted fields whole even when they hold
 * a line break (split by lines, ` amount,"line⏎break"` was taken for a two-field line and its
 * renamed name went unreported). Undefined when the head ends inside it.
 */
async function headerRecord(file: string, dialect: Dialect): Promise<string | undefined> {
  const text = await headText(file).catch(() => '');
  let at = 0;
  for (let line = 0; line < dialect.skip; line++) {
    const end = /\r\n|\n|\r/.exec(text.slice(at));
    if (!end) return undefined;
    at += end.index + end[0].length;
  }
  let quoted = false;
  for (let i = at; i < text.length; i++) {
    const c = text[i]!;
    if (dialect.quote !== '' && c === dialect.quote) {
      // A doubled quote (or the escape before a quote) inside quotes is a quote character.
      if (quoted && dialect.escape === dialect.quote && text[i + 1] === dialect.quote) i++;
      else quoted = !quoted;
    } else if (quoted && dialect.escape !== '' && dialect.escape !== dialect.quote && c === dialect.escape) i++;
    else if (!quoted && (c === '\n' || c === '\r')) return text.slice(at, i);
  }
  return undefined;
}

/**
 * Detects the format of the first file once and states it in full (DuckDB's `sniff_csv`), so that
 * every view built on the source binds without detecting again and the run reads exactly what
 * planning showed. Refuses what would be silently misread: a header with delimiters read as one
 * column, dates that read two ways.
 */
export async function detect(ctx: CompileContext<CsvSourceParams>, file: CsvFile): Promise<Detected> {
  const p = ctx.params;
  const st = await regularFileStats(ctx.nodeId, file.original);
  const { path: _path, on_error: _e, filename_column: _f, union_by_name: _u, ...relevant } = p as CsvSourceParams & Record<string, unknown>;
  const key = `${file.original}|${file.encoding}|${st.size}|${st.mtimeMs}|${JSON.stringify(relevant)}`;
  const hit = cache.get(key);
  if (hit) return hit;

  // DuckDB reads converted files from a copy that exists only once the run converts it: sniff a converted head.
  let sniffPath = file.read;
  if (file.read !== file.original) {
    sniffPath = ctx.tempPath(`sniff-${path.basename(file.original)}`);
    await transcodeFile(file.original, sniffPath, file.encoding as ConvertedEncoding, { maxBytes: PLAN_PREFIX_BYTES, nodeId: ctx.nodeId, planning: true }).catch((e: unknown) =>
      Promise.reject(tempFolderFailure(ctx.nodeId, file.original, e) ?? unreadableFile(ctx.nodeId, file.original, e) ?? e),
    );
  }
  const shown = (s: string) => s.replaceAll(sniffPath, file.original);
  const fail = (code: 'bind_error' | 'invalid_param', at: string, message: string, hint: string, cause?: unknown) =>
    new CaudalError('validation', message, { nodeId: ctx.nodeId, hint, cause, problems: [{ code, path: at, message, hint }] });

  const thousands = p.thousands_separator !== undefined && !p.all_varchar;
  const given = givenArgs(p, thousands);
  // Excel's `sep=;` line states the delimiter and is skipped as Excel does, unless the rows to skip
  // are stated (then the user counted it); a delimiter given wins over the one it states.
  const sepLine = p.skip_rows === undefined ? await separatorLine(sniffPath, p.quote, p.escape ?? p.quote) : undefined;
  if (sepLine !== undefined) given.named = { ...given.named, skip: 1, delim: p.delimiter ?? sepLine };
  const sniff = async (extra: Record<string, SqlValue | undefined> = {}): Promise<Sniffed> => {
    // Without the column list: sniff_csv compares it with the header's names and the sampled
    // values, and fails where read_csv just reads (and reports each line that does not convert).
    const a = argsSql({ named: { ...given.named, ...extra } });
    const [row] = await ctx.rows(`SELECT * FROM sniff_csv(${[fileLiteral(sniffPath), a].filter(Boolean).join(', ')})`);
    return row as unknown as Sniffed;
  };
  /**
   * RFC 4180: `"` quotes fields and a doubled `""` is a quote inside one. Detection says "no quote"
   * when the sample has none, and later quotes would stay in the values; it says `'` when values hold
   * apostrophes that pair up, even across lines (`0,,'` and `1,,'` read as one value spanning two
   * lines). It also takes `'` or `\` as the escape when one stands before a quote (`"'"` then reads
   * on past its closing quote, joining the lines after it). The RFC form wins whenever it fits as well.
   */
  const withQuotes = async (s: Sniffed, extra: Record<string, SqlValue | undefined> = {}): Promise<Sniffed> => {
    const quote = p.quote ?? '"';
    const escape = p.escape ?? quote;
    if (quote === '' || (text(s.Quote) === quote && text(s.Escape) === escape)) return s;
    const quoted = await sniff({ ...extra, quote, escape }).catch(() => undefined);
    const same = quoted && quoted.Columns.length === s.Columns.length && quoted.Columns.every((c, i) => c.name === s.Columns[i]?.name);
    return same ? quoted : s;
  };
  /** "line 3: Expected Number of Columns: 3 Found: 2", the first line that does not fit `s`. */
  const firstBadLine = async (s: Sniffed): Promise<string | undefined> => {
    const d = dialectArgs(dialectOf(s), p, s.Columns);
    const read = argsSql({ named: { auto_detect: false, ...d.named }, columns: d.columns });
    try {
      await ctx.rows(`SELECT count(*) FROM (SELECT * FROM read_csv(${fileLiteral(sniffPath)}, ${read}) LIMIT 20000)`);
      return undefined;
    } catch (e) {
      const m = /CSV Error on Line: (\d+)\n(?:Original Line: [^\n]*\n)?([^\n]+)/.exec(errorMessage(e));
      return m ? `line ${m[1]}: ${m[2]}` : undefined;
    }
  };

  let sniffed: Sniffed;
  let tolerant = false;
  // pause:csv-sniff lets a spec move the file away between planning's first look and DuckDB's.
  failpoint('csv-sniff');
  try {
    sniffed = await withQuotes(await sniff());
  } catch (e) {
    // The file could not be read at all: that is no fault of its format, and no option fixes it.
    const unreadable = unreadableFile(ctx.nodeId, file.original, e, shown);
    if (unreadable) throw unreadable;
    const message = shown(errorMessage(e));
    // With `auto`, only the file's first 4 MB decided it was UTF-8 (when planning); the sample went further.
    if (/not utf-8 encoded/i.test(message))
      throw fail(
        'invalid_param',
        'params.encoding',
        `node '${ctx.nodeId}': ${file.original} is not UTF-8 text${p.encoding === 'auto' ? ' (its first 4 MB are, the rows sampled for detection further down are not)' : ''}`,
        'set the encoding: "windows-1252" for files saved by Excel or other Windows programs in Western Europe and the Americas, "latin-1" for ISO-8859-1',
        e,
      );
    // A file whose line endings change (or with a carriage return alone outside quotes) cannot be
    // sniffed at all: say so rather than blame the format.
    const quote = p.quote ?? '"';
    const mixed = await firstMixedEnding(sniffPath, { maxBytes: PLAN_PREFIX_BYTES, quoting: { quote, escape: p.escape ?? quote } }).catch(() => undefined);
    if (mixed) throw fail('bind_error', 'params.path', `node '${ctx.nodeId}': ${describeMixedEndings(file.original, mixed)}`, mixedEndingsHint(mixed), e);
    // Lines that do not fit: detect with them left out, then read strictly so each is reported.
    const loose = await sniff({ ignore_errors: true })
      .then((s) => withQuotes(s, { ignore_errors: true }))
      .catch(() => undefined);
    const explicit = p.delimiter !== undefined || p.columns !== undefined;
    if (loose && explicit) {
      sniffed = loose;
      tolerant = true;
    } else if (loose && loose.Columns.length > 1) {
      const bad = await firstBadLine(loose);
      const delim = JSON.stringify(text(loose.Delimiter));
      throw fail(
        'bind_error',
        'params.delimiter',
        `node '${ctx.nodeId}': cannot tell the format of ${file.original}: its first rows do not all fit one format; leaving out those that do not, it reads as ${loose.Columns.length} columns separated by ${delim}${bad ? ` (${bad})` : ''}`,
        `set delimiter to ${delim} (and header, quote if needed): ${unfitLines(p)}`,
        e,
      );
    } else {
      // With the delimiter given, read the lines with what was given to say which one does not fit.
      const stated = p.delimiter !== undefined ? await statedDialect(sniffPath, sepLine === undefined ? p : { ...p, skip_rows: 1 }) : undefined;
      const bad = stated && (await firstBadLine(stated));
      throw fail(
        'bind_error',
        'params',
        `node '${ctx.nodeId}': cannot tell the CSV format of ${file.original}: its first rows do not fit one format (the same number of fields on every line, balanced quotes) with the options given${bad ? ` (${bad})` : ''}`,
        // With on_error "reject" already set, rejecting is no way out: the file could not be read at all.
        `set the delimiter, quote and header to what the file uses${p.on_error === 'reject' ? '' : '; with on_error "reject" the rows that do not fit are listed, with their line numbers, on the rejects output'}`,
        e,
      );
    }
  }

  if (!tolerant && p.columns && p.columns.length !== sniffed.Columns.length) {
    // Detection split the lines otherwise than the column list says: maybe lines that do not fit
    // made it give up (one column of whole lines). Detect without them, as when it fails outright.
    const loose = await sniff({ ignore_errors: true })
      .then((s) => withQuotes(s, { ignore_errors: true }))
      .catch(() => undefined);
    if (loose && loose.Columns.length === p.columns.length) {
      sniffed = loose;
      tolerant = true;
    }
  }
  if (!tolerant && sniffed.Columns.length === 1 && p.delimiter === undefined && p.columns === undefined) {
    await refuseOneColumnGuess(ctx, sniffPath, file.original, sniffed, sniff, firstBadLine, fail);
  }

  if (p.quote === undefined && text(sniffed.Quote) === '') await refuseUnreadQuotes(ctx, sniffPath, file.original, sniffed, fail);

  const dialect = dialectOf(sniffed);
  if (p.date_format !== undefined) dialect.dateFormat = p.date_format;
  if (p.timestamp_format !== undefined) dialect.timestampFormat = p.timestamp_format;
  if (p.columns && p.columns.length !== sniffed.Columns.length && !tolerant)
    throw fail(
      'bind_error',
      'params.columns',
      `node '${ctx.nodeId}': ${file.original} has ${sniffed.Columns.length} columns (${sniffed.Columns.map((c) => c.name).join(', ')}), the column list ${p.columns.length}`,
      'list every column of the file, in file order; if the file was split wrongly, set the delimiter',
    );
  if (p.columns && dialect.header && isReordering(p.columns.map((c) => c.name), sniffed.Columns.map((c) => c.name)))
    // The list replaces the header's names by position (a rename is fine); the same names in
    // another order would silently swap the columns' values.
    throw fail(
      'bind_error',
      'params.columns',
      `node '${ctx.nodeId}': the column list names the header's columns in another order (${p.columns.map((c) => c.name).join(', ')}); ${file.original} has them as ${sniffed.Columns.map((c) => c.name).join(', ')}, and the list is matched by position`,
      'list the columns in the order of the file; to reorder them, add a select node after the source',
    );
  const columns = p.columns ? given.columns! : sniffed.Columns.map((c) => ({ name: c.name, type: c.type }));
  const userTypes = new Map(p.columns?.map((c) => [c.name, c.type.trim()]));
  const dates: SampleChecks['dates'] = [];
  for (const c of p.all_varchar ? [] : columns) {
    if (c.type === 'DATE' && p.date_format === undefined && dialect.dateFormat) dates.push({ column: c.name, format: dialect.dateFormat, param: 'date_format' });
    if (c.type === 'TIMESTAMP' && p.timestamp_format === undefined && dialect.timestampFormat) dates.push({ column: c.name, format: dialect.timestampFormat, param: 'timestamp_format' });
  }
  const checks: SampleChecks = {
    dates,
    // With a thousands separator DuckDB's detection sees such numbers as text; the sample decides.
    numberCandidates: thousands && !p.columns ? columns.filter((c) => c.type === 'VARCHAR').map((c) => c.name) : [],
    wideCandidates: p.columns ? [] : columns.filter((c) => c.type === 'DOUBLE').map((c) => c.name),
    timestampCandidates: p.columns || p.timestamp_format !== undefined || dialect.timestampFormat ? [] : columns.filter((c) => c.type === 'TIMESTAMP').map((c) => c.name),
    zonedCandidates: p.columns || p.all_varchar || p.timestamp_format !== undefined || dialect.timestampFormat ? [] : columns.filter((c) => c.type === 'TIMESTAMP WITH TIME ZONE').map((c) => c.name),
    dateCandidates: p.columns || p.all_varchar ? [] : columns.filter((c) => c.type === 'DATE' || c.type === 'TIMESTAMP').map((c) => c.name),
    textCandidates: p.columns || p.all_varchar || thousands || p.decimal_separator !== '.' ? [] : columns.filter((c) => c.type === 'VARCHAR').map((c) => c.name),
    format: { decimal: p.decimal_separator, thousands: p.thousands_separator },
  };
  const asText = dialectArgs(dialect, p, columns.map((c) => ({ name: c.name, type: 'VARCHAR' })));
  const sampleRead = `${fileLiteral(sniffPath)}, ${argsSql({ named: { auto_detect: false, ...asText.named, ignore_errors: true }, columns: asText.columns })}`;
  const facts = await checkSample(ctx, sampleRead, checks, p.sample_size ?? 20_480);
  if (facts.ambiguous) {
    const a = facts.ambiguous;
    throw fail(
      'bind_error',
      `params.${a.param}`,
      `node '${ctx.nodeId}': the dates in column '${a.column}' of ${file.original} read as ${a.format} and as ${a.other}: '${a.example}' is ${a.asFormat} or ${a.asOther}`,
      `set ${a.param} to the one the file uses, e.g. "${a.format}" or "${a.other}"`,
    );
  }
  for (const c of columns) {
    const wide = facts.wideTypes.get(c.name);
    if (wide) c.type = wide;
  }
  // Read as text and converted after, because DuckDB's reader changes such values without a word
  // and a detected column was typed from a sample only: numbers with a thousands separator; every
  // integer column (DuckDB rounds a fraction, `4.5` → 5) and every DECIMAL column (`12.345` → 12.35
  // in DECIMAL(10,2)); every timestamp column read without a
  // format (DuckDB drops a UTC offset, `10:00:00+05` → 10:00); every TIME column (`01:45:00 PM` →
  // 01:45); every ISO DATE column (with its format stated, DuckDB reads `infinity` as 1900-01-01;
  // see isIsoDateFormat). DATE columns in another format are read strictly by DuckDB itself once
  // their format is stated (dialectArgs).
  const converted: Detected['converted'] = [];
  for (const c of p.all_varchar ? [] : columns) {
    const type = userTypes.get(c.name) ?? facts.numberTypes.get(c.name) ?? (isNumericType(c.type) || isPlainTimestampType(c.type) || isTimeType(c.type) || isDateType(c.type) ? c.type : undefined);
    const checked = thousands ? isNumericType(type ?? '') : isIntegerType(type ?? '') || decimalScale(type ?? '') !== undefined;
    const isoDate = isDateType(type ?? '') && isIsoDateFormat(dialect.dateFormat);
    if (type && (checked || (isPlainTimestampType(type) && !dialect.timestampFormat) || isTimeType(type) || isoDate)) converted.push({ name: c.name, type, detected: !userTypes.has(c.name) });
  }
  const warnings: string[] = [];
  for (const [column, example] of facts.roundedWholes)
    warnings.push(
      `node '${ctx.nodeId}': column '${column}' of ${file.original} holds whole numbers beyond 2^53 (${example}), which its detected type DOUBLE does not keep exactly: they arrive rounded; to keep every digit, list the column under columns as DECIMAL(38,s) (it also holds fractions) or VARCHAR`,
    );
  for (const [column, r] of facts.roundedFractions)
    warnings.push(
      `node '${ctx.nodeId}': column '${column}' of ${file.original} holds numbers with more significant digits than its detected type DOUBLE keeps (${r.example} arrives as ${r.becomes}): they arrive rounded; to keep every digit, list the column under columns as ${r.decimal ?? 'DECIMAL(p,s)'}${r.decimal ? ' (it holds every sampled value)' : ''} or VARCHAR`,
    );
  if (p.skip_rows === undefined && dialect.skip > (sepLine === undefined ? 0 : 1)) {
    // Title lines above the header are common. But detection also skips rows that do not fit
    // (a header and data above a longer row): lines that split into fields are refused, not dropped.
    const skipped = (await headLines(sniffPath)).slice(0, dialect.skip);
    const shownLines = skipped.map((l) => JSON.stringify(l.length > 80 ? `${l.slice(0, 80)}…` : l)).join(', ');
    const lines = dialect.skip === 1 ? 'line' : `${dialect.skip} lines`;
    if (skipped.some((l) => dialect.delim !== '' && l.split(dialect.delim).length >= 2))
      throw fail(
        'bind_error',
        'params.skip_rows',
        `node '${ctx.nodeId}': detection would skip the first ${lines} of ${file.original} as a title, but they split into fields like rows: ${shownLines}`,
        'set skip_rows to the number of lines above the header (0 when the first line is the header); with the delimiter set too, every line that does not fit is then reported with its number',
      );
    warnings.push(`node '${ctx.nodeId}': the first ${lines} of ${file.original} ${dialect.skip === 1 ? 'is' : 'are'} skipped as a title, not read as data: ${shownLines}; set skip_rows to say how many lines to skip`);
  }
  if (p.header === undefined && dialect.header && sniffed.Columns.every((c) => c.type === 'VARCHAR')) {
    // Detection tells a header by its types differing from the rows'; when every column is text it
    // cannot, and a file without a header would lose its first row as names: say which line it took.
    const names = sniffed.Columns.map((c) => JSON.stringify(c.name)).join(', ');
    warnings.push(`node '${ctx.nodeId}': the first line of ${file.original} is read as the header (${names.length > 120 ? `${names.slice(0, 120)}…` : names}), not as data: every column holds text, so detection cannot tell; set header to true to confirm, or to false if that line is a row`);
  }
  if (p.header === undefined && !p.columns) {
    const doubt = await headerDoubt(sniffPath, dialect, sniffed.Columns);
    if (doubt) warnings.push(`node '${ctx.nodeId}': ${doubt.replace('{file}', () => file.original)}`);
  }
  if (dialect.header && !p.columns) {
    const renamed = await renamedHeaderNames(sniffPath, dialect, sniffed.Columns.map((c) => c.name));
    if (renamed.length > 0)
      warnings.push(
        `node '${ctx.nodeId}': the header of ${file.original} has ${renamed.length === 1 ? 'a name' : 'names'} a table cannot use as ${renamed.length === 1 ? 'it is' : 'they are'}: ${renamed.join('; ')}; rename ${renamed.length === 1 ? 'it' : 'them'} in the file, or list the columns to name them`,
      );
  }
  const convertedNames = new Set(converted.map((n) => n.name));
  const detected: Detected = {
    dialect,
    columns: columns.map((c) => (convertedNames.has(c.name) ? { name: c.name, type: 'VARCHAR' } : c)),
    converted,
    tolerant,
    warnings,
    headerNames: sniffed.Columns.map((c) => c.name),
    ...(sepLine === undefined ? {} : { separatorLine: sepLine }),
  };
  if (cache.size >= SNIFF_CACHE_SIZE) cache.delete(cache.keys().next().value!);
  cache.set(key, detected);
  return detected;
}

/**
 * Detection read every line as one column. That is right for a one-column file, and wrong when
 * the header line clearly splits into fields: then some lines have another number of fields
 * and detection gave up on them. Say so instead of passing whole lines on as values.
 */
async function refuseOneColumnGuess(
  ctx: CompileContext<CsvSourceParams>,
  sniffPath: string,
  original: string,
  sniffed: Sniffed,
  sniff: (extra?: Record<string, SqlValue | undefined>) => Promise<Sniffed>,
  firstBadLine: (s: Sniffed) => Promise<string | undefined>,
  fail: (code: 'bind_error', at: string, message: string, hint: string) => CaudalError,
): Promise<void> {
  const lines = (await headLines(sniffPath)).slice(Number(sniffed.SkipRows ?? 0));
  const line = lines[0] ?? '';
  // A one-column file named like Excel's separator line whose rows did not bear it out (separator-line.ts).
  if (/^sep=[^\r\n"]$/i.test(line)) return;
  const best = LIKELY_DELIMITERS.map((d) => ({ d, fields: line.split(d).length })).sort((a, b) => b.fields - a.fields)[0]!;
  if (best.fields < 2) return;
  // A one-column file may have a header such as "Last, First": then its values do not split.
  const data = lines.slice(1, 101).filter((l) => l !== '');
  if (data.filter((l) => l.includes(best.d)).length * 2 < data.length) return;
  // Detection may fail even with that delimiter (quotes escaped two ways): still not one column.
  const loose = await sniff({ delim: best.d, ignore_errors: true }).catch(() => undefined);
  if (loose && loose.Columns.length < 2) return;
  const bad = loose && (await firstBadLine(loose));
  const delim = JSON.stringify(best.d);
  throw fail(
    'bind_error',
    'params.delimiter',
    `node '${ctx.nodeId}': cannot tell the format of ${original}: detection would read every line as one column named ${JSON.stringify(sniffed.Columns[0]?.name ?? '')}, but its header line has ${best.fields} fields separated by ${delim}; lines with another number of fields keep the format from being detected${bad ? `, e.g. ${bad}` : ''}`,
    `set delimiter to ${delim} (and header, quote if needed): ${unfitLines(ctx.params)}`,
  );
}

/**
 * Detection settled on "no quote" although `"` is the default (see withQuotes): reading with `"`
 * did not fit, e.g. because the file escapes quotes inside values in two ways (`""` and `\"`).
 * Read without quotes, every quoted value would keep its quotes and split at its commas. When a
 * field in the head starts with `"`, refuse and name the line instead.
 */
async function refuseUnreadQuotes(
  ctx: CompileContext<CsvSourceParams>,
  sniffPath: string,
  original: string,
  sniffed: Sniffed,
  fail: (code: 'bind_error', at: string, message: string, hint: string) => CaudalError,
): Promise<void> {
  const delim = text(sniffed.Delimiter);
  const lines = (await headLines(sniffPath)).slice(0, -1);
  const index = lines.findIndex((l) => l.startsWith('"') || (delim !== '' && l.includes(`${delim}"`)));
  if (index < 0) return;
  const line = lines[index]!;
  throw fail(
    'bind_error',
    'params.quote',
    `node '${ctx.nodeId}': ${original} has quoted values (line ${index + 1}: ${JSON.stringify(line.length > 80 ? `${line.slice(0, 80)}…` : line)}) that do not read with one quote and escape character, so detection would keep the quotes in the values`,
    'set quote (usually ") and escape: " when a quote inside a value is doubled (""), \\ when it is written \\"; a file that mixes both must be fixed first. Set quote to "" to read the quotes as part of the values',
  );
}

/** What becomes of lines that do not fit once the format is stated, for a hint (on_error "reject" offered only when not set). */
function unfitLines(p: CsvSourceParams): string {
  return p.on_error === 'reject'
    ? 'every line that does not fit is then set aside on the rejects port with its number'
    : 'every line that does not fit is then reported with its number, or set aside on the rejects port with on_error "reject"';
}

/** The dialect the params state (delimiter set), with the header line's fields as text columns: to find the first line that does not fit. */
async function statedDialect(sniffPath: string, p: CsvSourceParams): Promise<Sniffed | undefined> {
  const first = (await headLines(sniffPath))[p.skip_rows ?? 0];
  if (first === undefined || p.delimiter === undefined) return undefined;
  const header = p.header !== false;
  const fields = first.split(p.delimiter);
  return {
    Delimiter: p.delimiter,
    Quote: p.quote ?? '"',
    Escape: p.escape ?? p.quote ?? '"',
    NewLineDelimiter: '',
    Comment: p.comment ?? '',
    SkipRows: p.skip_rows ?? 0,
    HasHeader: header,
    Columns: fields.map((f, i) => ({ name: header ? f.replace(/^"|"$/g, '') || `column${i}` : `column${i}`, type: 'VARCHAR' })),
    DateFormat: null,
    TimestampFormat: null,
  };
}


/**
 * Header names DuckDB changed while detecting: an empty name becomes `column2`, a repeated one
 * `id_1` (a line ending with the delimiter gives such an empty last name). Read from the header
 * line itself; each as `column 3 has no name and is read as "column2"`.
 */
async function renamedHeaderNames(file: string, dialect: Dialect, names: string[]): Promise<string[]> {
  const line = await headerRecord(file, dialect);
  if (line === undefined) return [];
  const fields = splitFields(line, dialect);
  if (fields.length !== names.length) return [];
  return names.flatMap((name, i) => {
    const written = fields[i]!;
    if (written === name) return [];
    return [written.trim() === '' ? `column ${i + 1} has no name and is read as "${name}"` : `"${written}" (column ${i + 1}) is read as "${name}"${names.slice(0, i).some((n) => sameName(n, written)) ? ' (the name is taken by an earlier column)' : ''}`];
  });
}

/** Header cells that are no evidence of a header: what files write for a missing value. */
const MISSING_LIKE = /^\s*(n\/?a|na|null|none|nil|nan|-+|\?|\.)?\s*$/i;

/**
 * Detection tells a header by its cells not being values of their columns' types. When the only
 * such cells are markers of a missing value (`alice,N/A` above `bob,3`), the first row may well be
 * data; when every column has a type other than text and no header was found (`2022,2023,2024` above
 * numbers), that line may well be the names. Either way the line is said, with `{file}` to fill in.
 * (Every column text with a header found is said by the caller.)
 */
async function headerDoubt(file: string, dialect: Dialect, columns: Array<{ name: string; type: string }>): Promise<string | undefined> {
  const typed = columns.map((c, i) => ({ ...c, i })).filter((c) => c.type !== 'VARCHAR');
  if (typed.length === 0) return undefined;
  const line = await headerRecord(file, dialect);
  if (line === undefined) return undefined;
  const fields = splitFields(line, dialect);
  if (fields.length !== columns.length) return undefined;
  const shown = fields.map((f) => JSON.stringify(f)).join(', ');
  const cut = shown.length > 120 ? `${shown.slice(0, 120)}…` : shown;
  if (dialect.header) {
    if (!typed.every((c) => MISSING_LIKE.test(fields[c.i]!))) return undefined;
    const markers = typed.map((c) => JSON.stringify(fields[c.i])).join(', ');
    return `the first line of {file} is read as the header (${cut}), not as data: its only cells that are not values of their columns' types (${markers}) read like missing values, so it may be a row; set header to true to confirm, or to false if that line is a row`;
  }
  if (typed.length !== columns.length) return undefined;
  return `the first line of {file} is read as data (${cut}), not as the header: every column holds values of one type and that line's cells are values of it too, so detection cannot tell; set header to false to confirm, or to true if that line holds the column names`;
}

/** The fields of one line in the dialect: quoted fields unquoted, doubled (or escaped) quotes undone. */
export function splitFields(line: string, d: Pick<Dialect, 'delim' | 'quote' | 'escape'>): string[] {
  if (d.delim === '') return [line];
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; ) {
    if (quoted) {
      if (d.escape && line.startsWith(d.escape + d.quote, i)) {
        field += d.quote;
        i += d.escape.length + d.quote.length;
      } else if (line.startsWith(d.quote, i)) {
        quoted = false;
        i += d.quote.length;
      } else field += line[i++];
    } else if (d.quote && line.startsWith(d.quote, i) && field === '') {
      quoted = true;
      i += d.quote.length;
    } else if (line.startsWith(d.delim, i)) {
      fields.push(field);
      field = '';
      i += d.delim.length;
    } else field += line[i++];
  }
  fields.push(field);
  return fields;
}
