import path from 'node:path';
import { fileLiteral } from '../shared/exact-file.js';
import { exactFileOrPattern } from '../../util/exact-file.js';
import { partitionKeys } from '../shared/partitions.js';
import { stringLiteral } from '../../compiler/sql.js';
import type { CompileContext, SetupStep } from '../define.js';
import { CaudalError } from '../../util/errors.js';
import { firstInvalidUtf8, firstNonAscii, headIsUtf8, readHead, scanLines, type LineProblem } from './scan-lines.js';
import type { CsvSourceParams } from './params.js';
import { notWestern, WRITTEN_BY, type NotWestern } from './legacy-encoding.js';
import type { ConvertedEncoding } from '../../util/transcode.js';
import { utf16Of, type Utf16Found } from './utf16.js';
import { regularFileStats } from './unreadable-file.js';
import { refuseNonRegularPath } from '../shared/regular-files.js';

export const COMPRESSED = /\.(gz|gzip|zst|zstd|bz2|xz|zip)$/i;

/** Bytes of each file's start that planning and previews look at (encoding, long lines). */
const HEAD_BYTES = 4 << 20;

export type Encoding = 'utf-8' | ConvertedEncoding;

/** One file matched by the path: the user's file, and the UTF-8 file DuckDB reads for it. */
export interface CsvFile {
  original: string;
  /** The original, or a converted copy in the run's temp folder. */
  read: string;
  encoding: Encoding;
  compressed: boolean;
}

export interface CsvFiles {
  files: CsvFile[];
  /** The pattern the files were matched with: the path, or the file it names exactly with its glob characters escaped. */
  pattern: string;
  /** The path names an existing file exactly (even with glob characters in its name): no other file can match it. */
  exactFile: boolean;
  /** What read_csv gets: the pattern itself when every file is read in place, else the list. */
  from: string;
  setup: SetupStep[];
}

/** Decisions about a file version (path, size, modification time) that read its bytes. */
type Bytes = {
  utf8: boolean;
  utf16?: Utf16Found;
  longLine?: number;
  /** Not UTF-8 at `line`, but UTF-8 characters at `utf8Line` above it: two encodings in one file. */
  mixed?: { utf8Line: number; line: number };
  /** Not UTF-8, and not Western text either (`auto` would read it as Windows-1252). */
  notWestern?: NotWestern;
};
const headCache = new Map<string, Bytes>();
const HEAD_CACHE_SIZE = 256;

function remember<V>(cache: Map<string, V>, key: string, value: V): V {
  if (cache.size >= HEAD_CACHE_SIZE) cache.delete(cache.keys().next().value!);
  cache.set(key, value);
  return value;
}

/** While planning (also a run's), a problem on the param; in a run's setup, an execution error. */
export function lineTooLong(ctx: CompileContext<CsvSourceParams>, file: string, line: number, during: 'plan' | 'run'): CaudalError {
  const message = `node '${ctx.nodeId}': line ${line} of ${file} is longer than max_line_size (${ctx.params.max_line_size.toLocaleString('en-US')} bytes)`;
  const hint = 'raise max_line_size (in bytes) if such lines are expected; a line this long often means the file is not CSV or a quote is never closed';
  return during === 'plan'
    ? new CaudalError('validation', message, { nodeId: ctx.nodeId, hint, problems: [{ code: 'invalid_param', path: 'params.max_line_size', message, hint }] })
    : new CaudalError('execution', message, { nodeId: ctx.nodeId, hint });
}

function notUtf8(ctx: CompileContext<CsvSourceParams>, file: string, line?: number): CaudalError {
  const message = `node '${ctx.nodeId}': ${file} is not UTF-8 text${line ? ` (line ${line} has bytes that are not UTF-8)` : ''}`;
  const hint = 'set the encoding: "windows-1252" for files saved by Excel or other Windows programs in Western Europe and the Americas, "latin-1" for ISO-8859-1, the encoding of files from elsewhere (e.g. "windows-1251" for Cyrillic, "shift_jis" for Japanese), or "auto" to decide from the bytes';
  return new CaudalError('validation', message, { nodeId: ctx.nodeId, hint, problems: [{ code: 'invalid_param', path: 'params.encoding', message, hint }] });
}

/** `auto` would read the file as Windows-1252, and garble it: say which encodings read it, and how. */
function notWesternText(ctx: CompileContext<CsvSourceParams>, file: string, why: NotWestern): CaudalError {
  const readings = why.readings.map((r) => `as ${r.encoding}, line ${r.line} reads ${JSON.stringify(r.text)}`);
  const message =
    readings.length > 0
      ? `node '${ctx.nodeId}': ${file} is not UTF-8, and its text is not Western European (read as Windows-1252 it would be garbled): ${readings.join('; ')}`
      : `node '${ctx.nodeId}': ${file} is neither UTF-8 nor Windows-1252 text: line ${why.undefinedByteLine} holds bytes Windows-1252 does not define`;
  const who = why.readings.map((r) => (WRITTEN_BY[r.encoding] ? `"${r.encoding}" is what ${WRITTEN_BY[r.encoding]} saves` : undefined)).filter(Boolean);
  const hint =
    readings.length > 0
      ? `set encoding to the one that reads right (${why.readings.map((r) => `"${r.encoding}"`).join(', ')})${who.length > 0 ? `: ${who.join('; ')}` : ''}`
      : 'set encoding to the one the file was saved in (e.g. "macintosh" for CSV saved by Excel on a Mac, "windows-1250" for Central European Windows), "windows-1252" or "latin-1" to read it as Western text anyway, or save it as UTF-8';
  return new CaudalError('validation', message, { nodeId: ctx.nodeId, hint, problems: [{ code: 'invalid_param', path: 'params.encoding', message, hint }] });
}

/**
 * Looks at a file's bytes once per file version: the head when planning or previewing, the whole
 * file in a run when it is read as UTF-8 (so a Windows-1252 character far down still decides the
 * encoding, and a long line far down stops the run before DuckDB reads it). Converted files get
 * their whole-file check after the conversion (`copiesLineCheck`).
 */
async function inspectBytes(ctx: CompileContext<CsvSourceParams>, file: string, asUtf8: boolean): Promise<Bytes> {
  const st = await regularFileStats(ctx.nodeId, file);
  const whole = (ctx.mode === 'run' && asUtf8) || st.size <= HEAD_BYTES;
  const limit = ctx.params.max_line_size;
  const key = `${file}|${st.size}|${st.mtimeMs}|${limit}|${whole}|${asUtf8}`;
  const hit = headCache.get(key);
  if (hit) return hit;
  const head = await readHead(file, Math.min(HEAD_BYTES, st.size));
  const utf16 = utf16Of(head);
  // Converted to UTF-8 before anything reads its lines: the copy is checked (copiesLineCheck).
  if (utf16) return remember(headCache, key, { utf8: false, utf16 });
  let problem: LineProblem | undefined;
  let utf8 = true;
  let mixed: Bytes['mixed'];
  if (whole && st.size > HEAD_BYTES) {
    // Stops at the first problem: a long line after bytes that are not UTF-8 is found in the converted copy.
    problem = await scanLines(file, { maxLineBytes: limit, utf8: true });
    utf8 = problem?.kind !== 'not_utf8';
    if (problem?.kind === 'not_utf8' && problem.utf8Line !== undefined) mixed = { utf8Line: problem.utf8Line, line: problem.line };
  } else {
    problem = await scanLines(file, { maxLineBytes: limit, utf8: false, maxBytes: HEAD_BYTES });
    if (asUtf8) utf8 = headIsUtf8(head, st.size <= HEAD_BYTES);
    if (!utf8) mixed = mixedInHead(head);
  }
  const otherScript = !utf8 && !mixed ? notWestern(head, st.size <= HEAD_BYTES) : undefined;
  return remember(headCache, key, { utf8, longLine: problem?.kind === 'long_line' ? problem.line : undefined, mixed, ...(otherScript ? { notWestern: otherScript } : {}) });
}

/** In a head that is not UTF-8: UTF-8 characters above its first byte that is not (lines counted in the head). */
function mixedInHead(head: Buffer): Bytes['mixed'] {
  const invalidAt = firstInvalidUtf8(head);
  const utf8At = firstNonAscii(head.subarray(0, invalidAt));
  if (utf8At < 0) return undefined;
  const lineOf = (offset: number) => {
    const b = head.subarray(0, offset);
    const lf = b.reduce((n, x) => (x === 0x0a ? n + 1 : n), 0);
    return (lf > 0 ? lf : b.reduce((n, x) => (x === 0x0d ? n + 1 : n), 0)) + 1;
  };
  return { utf8Line: lineOf(utf8At), line: lineOf(invalidAt) };
}

/** A UTF-16 file read as another encoding would have a NUL between its letters; NULs in a file that is not UTF-16 are no text at all. */
function notUtf16As(ctx: CompileContext<CsvSourceParams>, file: string, found: Utf16Found, stated: CsvSourceParams['encoding']): CaudalError {
  const [message, hint] =
    found === 'nul-bytes'
      ? [`node '${ctx.nodeId}': ${file} is not text: it holds NUL bytes between its characters, and they do not read as UTF-16 either`, 'check that the path names a CSV file; a UTF-16 file with text in another script can be read by setting encoding to "utf-16le" or "utf-16be"']
      : [`node '${ctx.nodeId}': ${file} is ${found === 'utf-16le' ? 'UTF-16 (little-endian)' : 'UTF-16 (big-endian)'} text, not ${stated}: read as ${stated}, every other character would be a NUL`, `set encoding to "auto" or "${found}"`];
  return new CaudalError('validation', message, { nodeId: ctx.nodeId, hint, problems: [{ code: 'invalid_param', path: 'params.encoding', message, hint }] });
}

/** Converting a file that mixes encodings as Windows-1252 would garble its UTF-8 part (é as Ã©). */
function mixedEncodings(ctx: CompileContext<CsvSourceParams>, file: string, mixed: NonNullable<Bytes['mixed']>): CaudalError {
  const message = `node '${ctx.nodeId}': ${file} mixes two encodings: line ${mixed.utf8Line} holds UTF-8 characters, line ${mixed.line} bytes that are not UTF-8 (Windows-1252 or Latin-1, e.g. from rows appended by another program); read as either one, the other part would be garbled`;
  const hint = 'convert the file to one encoding first; or set encoding to "windows-1252" to read it all as Windows-1252 anyway (each UTF-8 character then reads as two or three)';
  return new CaudalError('validation', message, { nodeId: ctx.nodeId, hint, problems: [{ code: 'invalid_param', path: 'params.encoding', message, hint }] });
}

/**
 * The files the path matches and how each is read: UTF-8 files in place, others converted to a
 * UTF-8 copy in the run's temp folder (DuckDB's own latin-1 decoder rejects 0x80-0x9F, where
 * Windows-1252 has €). With encoding `auto`, a UTF-16 file is converted from UTF-16, and a file
 * that is not valid UTF-8 is Windows-1252.
 */
export async function csvFiles(ctx: CompileContext<CsvSourceParams>): Promise<CsvFiles> {
  const p = ctx.params;
  const resolved = ctx.path(p.path);
  const pattern = await exactFileOrPattern(resolved);
  await refuseNonRegularPath(ctx.nodeId, pattern);
  const matched = await ctx.glob(pattern);
  if (matched.length === 0) {
    const message = `node '${ctx.nodeId}': no file matches ${p.path}${resolved === p.path ? '' : ` (${resolved})`}`;
    const hint = 'relative paths start at the folder of the pipeline file; check the name and the pattern';
    throw new CaudalError('validation', message, { nodeId: ctx.nodeId, hint, problems: [{ code: 'io_error', path: 'params.path', message, hint }] });
  }
  const files: CsvFile[] = [];
  for (const [i, original] of matched.entries()) {
    const compressed = COMPRESSED.test(original);
    let encoding: Encoding = p.encoding === 'auto' ? 'utf-8' : p.encoding;
    if (!compressed) {
      const asUtf8 = p.encoding === 'auto' || p.encoding === 'utf-8';
      const bytes = await inspectBytes(ctx, original, asUtf8);
      if (bytes.utf16) {
        // Stated UTF-16 wins over a guess from NULs (text in another script can look like noise).
        const stated16 = p.encoding === 'utf-16le' || p.encoding === 'utf-16be' ? p.encoding : undefined;
        if (stated16 && bytes.utf16 === 'nul-bytes') encoding = stated16;
        else if (bytes.utf16 === 'nul-bytes' || (p.encoding !== 'auto' && p.encoding !== bytes.utf16)) throw notUtf16As(ctx, original, bytes.utf16, p.encoding);
        else encoding = bytes.utf16;
      } else {
        if (bytes.longLine !== undefined) throw lineTooLong(ctx, original, bytes.longLine, 'plan');
        if (!bytes.utf8) {
          if (p.encoding === 'utf-8') throw notUtf8(ctx, original);
          if (bytes.mixed) throw mixedEncodings(ctx, original, bytes.mixed);
          if (bytes.notWestern) throw notWesternText(ctx, original, bytes.notWestern);
          encoding = 'windows-1252';
        }
      }
    }
    // The original name stays in the copy's name, so a message that still quotes the copy says which
    // file; its partition folders (year=2024/) stay in its path, so the copy has the same columns.
    const folders = p.hive_partitioning === false ? [] : [...partitionKeys(original).values()];
    const read = encoding === 'utf-8' ? original : ctx.tempPath(folders.length > 0 ? path.join(String(i), ...folders, path.basename(original)) : `${i}-${path.basename(original)}`);
    files.push({ original, read, encoding, compressed });
  }
  const setup: SetupStep[] = files
    .filter((f) => f.encoding !== 'utf-8')
    .map((f) => ({ kind: 'transcode', from: f.original, to: f.read, encoding: f.encoding as Exclude<Encoding, 'utf-8'>, description: `convert ${f.original} from ${f.encoding} to UTF-8` }));
  const inPlace = setup.length === 0;
  return { files, pattern, exactFile: pattern !== resolved, from: inPlace ? stringLiteral(pattern) : `[${files.map((f) => fileLiteral(f.read)).join(', ')}]`, setup };
}

export const copiesOf = (files: CsvFile[]) => files.filter((f) => f.read !== f.original).map((f) => ({ temp: f.read, original: f.original }));

/** `CASE x WHEN copy THEN original … END`: the user's file paths instead of converted copies. */
export function originalPath(expr: string, files: CsvFile[]): string {
  const copies = copiesOf(files);
  if (copies.length === 0) return expr;
  return `CASE ${expr} ${copies.map((c) => `WHEN ${stringLiteral(c.temp)} THEN ${stringLiteral(c.original)}`).join(' ')} ELSE ${expr} END`;
}

/**
 * A run-time step after the conversions: converted copies can hold lines longer than the limit
 * (their bytes are not the original's), which DuckDB would fail on with an unrelated message or,
 * when setting malformed rows aside, drop without a word.
 */
export function copiesLineCheck(ctx: CompileContext<CsvSourceParams>, files: CsvFile[]): SetupStep | undefined {
  const copies = files.filter((f) => f.read !== f.original);
  if (copies.length === 0) return undefined;
  const limit = ctx.params.max_line_size;
  return {
    kind: 'hook',
    description: `check the line lengths of ${copies.length === 1 ? 'the converted file' : `${copies.length} converted files`}`,
    async run(io) {
      for (const f of copies) {
        const problem = await scanLines(f.read, { maxLineBytes: limit, utf8: false, isCancelled: io.isCancelled });
        if (problem) throw lineTooLong(ctx, f.original, problem.line, 'run');
      }
      return 0;
    },
    async dry() {},
  };
}
