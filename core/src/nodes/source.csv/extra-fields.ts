import { open } from 'node:fs/promises';
import type { Dialect } from './detect.js';

/**
 * DuckDB's CSV reader takes a line with more fields than the header when every field beyond them is
 * empty or a NULL string: `99,a,1,,` under `id,name,x` is read as 99, a, 1 without a word, while
 * `99,a,1,x` and `99,a,1,""` are reported as malformed. No option of read_csv (strict_mode,
 * null_padding, nullstr) changes that. This scan counts the fields of the records the reader would
 * take so (those whose last field is empty or a NULL string), to report them like the others. One
 * trailing delimiter is allowed (`1,a,1,`): some programs end every line with one, and the reader
 * reads it as the end of the line.
 *
 * One pass over the bytes, in blocks. Quoted fields may hold delimiters and line breaks; a quote
 * opens a quoted field only at the start of a field, as in the reader (`5'2"` is a value). A block
 * without quote and comment characters (most blocks of most files) is read by lines: only lines
 * whose last field is empty or a NULL string have their fields counted.
 */

export interface ExtraFieldsLine {
  /** The line an editor shows the record starting on (1-based; every line break counted). */
  line: number;
  /** The reader's line number for it (its rejects' `line`): a line break inside quotes is not counted. */
  record: number;
  /** Its position (0-based) among the file's data records: skipped lines, the header, blank and comment lines left out. */
  ordinal: number;
  /** Its number of fields. */
  fields: number;
  /** Byte offsets of the record (its line break excluded) and of the delimiter that starts its first extra field. */
  start: number;
  end: number;
  extraAt: number;
}

export interface ExtraFieldsScan {
  lines: ExtraFieldsLine[];
  /** Data records in the file (each becomes a row or a reject of the reader), when the scan went to its end. */
  records: number;
  /** The scan was cancelled before the end. */
  partial: boolean;
  /** The scan stopped once `limit` lines were found (`lines` holds them, and maybe a few more). */
  limited: boolean;
}

export interface ExtraFieldsDialect extends Pick<Dialect, 'delim' | 'quote' | 'escape' | 'comment' | 'skip' | 'header'> {
  /** Unquoted field texts the reader takes for NULL (undefined: the empty field only). */
  nullStrings?: string[];
}

const BLOCK = 1 << 20;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;

/** What is counted across records (kept in one object, so that the byte loop's state stays in locals). */
interface Tally {
  width: number;
  toSkip: number;
  records: number;
  /** The reader's line number of the record being read. */
  record: number;
  lines: ExtraFieldsLine[];
}

/**
 * A record ends at `end`. `lastEmpty`/`lastNull`: its last field is empty or a NULL string; `blank`:
 * nothing in it (no row, unless the file has a single column, where it is a NULL).
 */
function finish(t: Tally, start: number, end: number, line: number, fields: number, lastEmpty: boolean, lastNull: boolean, blank: boolean, extraAt: number): void {
  if (t.toSkip > 0) t.toSkip--;
  else if (!blank || t.width === 1) {
    if (fields > t.width && (lastNull || (lastEmpty && fields > t.width + 1))) t.lines.push({ line, record: t.record, ordinal: t.records, fields, start, end, extraAt });
    t.records++;
  }
  t.record++;
}

/** Whether the field `buf[from, to)` is one of `nulls`. */
function isNull(buf: Buffer, from: number, to: number, nulls: Buffer[]): boolean {
  for (const n of nulls) if (n.length === to - from && buf.compare(n, 0, n.length, from, to) === 0) return true;
  return false;
}

/** The dialect as bytes, for the loops below. */
interface Bytes {
  delim: Buffer;
  quote: number;
  escape: number;
  comment: number;
  nulls: Buffer[];
  /** What a line whose fields are counted ends with: the delimiter (an empty last field), or the delimiter and a NULL string. */
  endings: Buffer[];
  /** The last bytes of `endings`. */
  lastBytes: Uint8Array;
}

/** Where the byte loop stands: the record being read (in a plain object between blocks, in locals within one). */
interface Cursor {
  editorLine: number;
  /** File offset of the record, and the editor line it starts on. */
  start: number;
  line: number;
  fields: number;
  /** File offset of the current field, its bytes so far, whether it is quoted. */
  fieldStart: number;
  fieldBytes: number;
  fieldQuoted: boolean;
  nonBlank: boolean;
  /** Nothing but spaces and tabs so far (a comment character then makes a comment line). */
  spacesOnly: boolean;
  extraAt: number;
  quoted: boolean;
  escaped: boolean;
  inComment: boolean;
  /** The previous byte was a carriage return. */
  afterCr: boolean;
}

/** Whether the cursor is between records. */
const atRecordStart = (c: Cursor) => c.fields === 1 && c.fieldBytes === 0 && !c.nonBlank && !c.inComment && !c.quoted && !c.afterCr;

/**
 * Reads `buf[from, to)` (at file offset `base`) byte by byte; returns where it stopped (a multi-byte
 * delimiter that ends past `to` is read whole). State in locals: this loop runs over every byte of
 * files with quotes.
 */
function byBytes(buf: Buffer, from: number, to: number, base: number, c: Cursor, t: Tally, d: Bytes): number {
  const { delim, quote, escape, comment, nulls } = d;
  const d0 = delim[0]!;
  const dLen = delim.length;
  const width = t.width;
  let { editorLine, start, line, fields, fieldStart, fieldBytes, fieldQuoted, nonBlank, spacesOnly, extraAt, quoted, escaped, inComment, afterCr } = c;
  let i = from;
  for (; i < to; i++) {
    const b = buf[i]!;
    if (afterCr) {
      afterCr = false;
      if (b === LF) {
        // The second byte of a CRLF: in a quoted value, or of the line break that ended the record.
        if (quoted) fieldBytes++;
        else start = fieldStart = base + i + 1;
        continue;
      }
    }
    if (b === LF || b === CR) {
      editorLine++;
      afterCr = b === CR;
      if (quoted) {
        fieldBytes++;
        continue;
      }
      // A NULL string that began in an earlier block is taken for one: the reader rejects the line itself if not.
      const lastNull = nulls.length > 0 && !fieldQuoted && (fieldStart < base || isNull(buf, fieldStart - base, i, nulls));
      finish(t, start, base + i, line, fields, fieldBytes === 0 && !fieldQuoted, lastNull, !nonBlank, extraAt);
      start = fieldStart = base + i + 1;
      line = editorLine;
      fields = 1;
      fieldBytes = 0;
      fieldQuoted = false;
      nonBlank = false;
      spacesOnly = true;
      extraAt = -1;
      inComment = false;
      continue;
    }
    if (quoted) {
      fieldBytes++;
      if (escaped) escaped = false;
      else if (b === escape) escaped = true;
      else if (b === quote) quoted = false;
      continue;
    }
    if (inComment) continue;
    if (b === d0 && (dLen === 1 || buf.compare(delim, 0, dLen, i, i + dLen) === 0)) {
      fields++;
      if (fields === width + 1) extraAt = base + i;
      i += dLen - 1;
      fieldStart = base + i + 1;
      fieldBytes = 0;
      fieldQuoted = false;
      nonBlank = true;
      spacesOnly = false;
      continue;
    }
    if (b === comment) {
      // The rest of the line is a comment; a line that starts with it (spaces aside) is no record.
      inComment = true;
      if (spacesOnly) nonBlank = false;
      continue;
    }
    if (b === quote && fieldBytes === 0) {
      quoted = true;
      fieldQuoted = true;
    }
    fieldBytes++;
    nonBlank = true;
    if (b !== SPACE && b !== TAB) spacesOnly = false;
  }
  Object.assign(c, { editorLine, start, line, fields, fieldStart, fieldBytes, fieldQuoted, nonBlank, spacesOnly, extraAt, quoted, escaped, inComment, afterCr });
  return i;
}

/**
 * Reads the whole lines of `buf[from, to)` (`to` just past a line feed; the cursor at a record's
 * start; no quote or comment character in them): each line is a record, and only those ending with
 * the delimiter or a NULL string have their fields counted.
 */
function byLines(buf: Buffer, from: number, to: number, base: number, c: Cursor, t: Tally, d: Bytes): void {
  const { delim, endings, lastBytes } = d;
  const dLen = delim.length;
  let { editorLine, line } = c;
  let at = from;
  for (let lf = buf.indexOf(LF, at); lf >= 0 && lf < to; lf = buf.indexOf(LF, at)) {
    let end = lf;
    if (end > at && buf[end - 1] === CR) end--;
    let fields = 1;
    let extraAt = -1;
    let ending = -1;
    if (end > at && lastBytes[buf[end - 1]!] === 1) ending = endings.findIndex((e) => end - at >= e.length && buf.compare(e, 0, e.length, end - e.length, end) === 0);
    if (ending >= 0) {
      for (let k = buf.indexOf(delim, at); k >= 0 && k < end; k = buf.indexOf(delim, k + dLen)) {
        fields++;
        if (fields === t.width + 1) extraAt = base + k;
      }
    }
    editorLine++;
    finish(t, base + at, base + end, line, fields, ending === 0, ending > 0, end === at, extraAt);
    line = editorLine;
    at = lf + 1;
  }
  c.editorLine = editorLine;
  c.line = line;
  c.start = c.fieldStart = base + to;
}

/** Records of `file` with more fields than `width` whose last field is empty or a NULL string (one empty trailing field aside). */
export async function extraFieldLines(file: string, dialect: ExtraFieldsDialect, width: number, opts: { limit?: number; isCancelled?: () => boolean } = {}): Promise<ExtraFieldsScan> {
  const delim = Buffer.from(dialect.delim);
  const nulls = (dialect.nullStrings ?? ['']).filter((s) => s !== '').map((s) => Buffer.from(s));
  const endings = [delim, ...nulls.map((n) => Buffer.concat([delim, n]))];
  const lastBytes = new Uint8Array(256);
  for (const e of endings) lastBytes[e[e.length - 1]!] = 1;
  const d: Bytes = {
    delim,
    quote: dialect.quote === '' ? -1 : dialect.quote.charCodeAt(0),
    escape: dialect.escape === '' || dialect.escape === dialect.quote ? -1 : dialect.escape.charCodeAt(0),
    comment: dialect.comment ? dialect.comment.charCodeAt(0) : -1,
    nulls,
    endings,
    lastBytes,
  };
  const t: Tally = { width, toSkip: dialect.skip + (dialect.header ? 1 : 0), records: 0, record: 1, lines: [] };
  const c: Cursor = { editorLine: 1, start: 0, line: 1, fields: 1, fieldStart: 0, fieldBytes: 0, fieldQuoted: false, nonBlank: false, spacesOnly: true, extraAt: -1, quoted: false, escaped: false, inComment: false, afterCr: false };
  let partial = false;
  let limited = false;
  const handle = await open(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(BLOCK + 8);
    let kept = 0; // bytes carried to the front of buf (a delimiter cut by the end of the block)
    let base = 0; // file offset of buf[0]
    for (;;) {
      if (opts.isCancelled?.()) {
        partial = true;
        break;
      }
      const { bytesRead } = await handle.read(buf, kept, BLOCK, base + kept);
      const eof = bytesRead === 0;
      const length = kept + bytesRead;
      // A multi-byte delimiter may be cut by the end of the block: its first bytes wait for the next one.
      const stop = eof ? length : length - (delim.length - 1);
      // Whole lines at a time where no quote or comment character can change what a line break means;
      // byte by byte before them (the end of a record cut by the block) and after. (indexOf may look
      // past `length` into an earlier block's bytes: a hit there is past `stop` too; lastIndexOf counts
      // a negative offset from the buffer's end.)
      let i = 0;
      const lastLf = stop > 0 ? buf.lastIndexOf(LF, stop - 1) : -1;
      const firstQuote = d.quote < 0 ? -1 : buf.indexOf(d.quote);
      const firstComment = d.comment < 0 ? -1 : buf.indexOf(d.comment);
      if (lastLf >= 0 && !c.quoted && !c.afterCr && (firstQuote < 0 || firstQuote >= stop) && (firstComment < 0 || firstComment >= stop)) {
        if (!atRecordStart(c)) i = byBytes(buf, 0, buf.indexOf(LF) + 1, base, c, t, d);
        if (i <= lastLf) {
          byLines(buf, i, lastLf + 1, base, c, t, d);
          i = lastLf + 1;
        }
      }
      i = byBytes(buf, i, stop, base, c, t, d);
      if (opts.limit !== undefined && t.lines.length >= opts.limit) {
        limited = true;
        break;
      }
      if (eof) {
        // A last line without a line break.
        const lastNull = d.nulls.length > 0 && !c.fieldQuoted && (c.fieldStart < base || isNull(buf, c.fieldStart - base, length, d.nulls));
        if (c.nonBlank) finish(t, c.start, base + length, c.line, c.fields, c.fieldBytes === 0 && !c.fieldQuoted, lastNull, false, c.extraAt);
        break;
      }
      // Carry the bytes not looked at (a cut delimiter) to the front of the buffer.
      buf.copy(buf, 0, i, length);
      kept = length - i;
      base += i;
    }
  } finally {
    await handle.close();
  }
  return { lines: t.lines, records: t.records, partial, limited };
}

/** The text of records found by `extraFieldLines` (their line breaks excluded), and the column where their extra fields start. */
export async function recordTexts(file: string, lines: ExtraFieldsLine[]): Promise<Array<{ rawLine: string; column: number }>> {
  const handle = await open(file, 'r');
  try {
    const out: Array<{ rawLine: string; column: number }> = [];
    for (const l of lines) {
      const bytes = Buffer.alloc(l.end - l.start);
      await handle.read(bytes, 0, bytes.length, l.start);
      // Characters, not bytes or UTF-16 units, from the start of the line the delimiter is on.
      const before = bytes.subarray(0, Math.max(0, l.extraAt - l.start)).toString('utf8').split(/\r\n|\n|\r/).pop() ?? '';
      out.push({ rawLine: bytes.toString('utf8'), column: [...before].length + 1 });
    }
    return out;
  } finally {
    await handle.close();
  }
}
