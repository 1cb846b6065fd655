import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { stringLiteral } from '../../compiler/sql.js';
import type { CompileContext, HookIo, SetupStep } from '../define.js';
import { CaudalError, errorMessage } from '../../util/errors.js';
import { transcodeFile, type ConvertedEncoding } from '../../util/transcode.js';
import { argsSql, type Detected, PLAN_PREFIX_BYTES } from './detect.js';
import type { CsvFile } from './files.js';
import type { CsvSourceParams } from './params.js';
import { isGlob } from '../../util/glob.js';
import { fileLiteral } from '../shared/exact-file.js';
import { foldName } from '../shared/columns.js';

/** Header lines already compared, by file version and expected names. */
const checked = new Set<string>();

/**
 * Files of one pattern are read with the first file's format and columns, by position: a later
 * file whose header names other columns, or the same ones in another order, would put its values
 * under the wrong names (and one without a header would lose its first row). Each file's header
 * line is read and compared with the first file's, so that such a file stops the plan instead.
 */
export async function checkSameHeaders(ctx: CompileContext<CsvSourceParams>, files: CsvFile[], detected: Detected): Promise<void> {
  const d = detected.dialect;
  if (files.length < 2 || !d.header) return;
  const expected = detected.headerNames;
  for (const file of files.slice(1)) {
    // A file that exists only once the run fetches it (an object store's) is compared then (laterHeadersStep).
    const st = await stat(file.original).catch(() => undefined);
    if (!st) continue;
    const key = `${file.original}|${st.size}|${st.mtimeMs}|${JSON.stringify(d)}|${expected.join('\u0000')}`;
    if (checked.has(key)) continue;
    let readPath = file.read;
    if (file.read !== file.original) {
      // Converted copies exist only once the run makes them: compare the header of a converted head.
      readPath = ctx.tempPath(`header-${path.basename(file.original)}`);
      await transcodeFile(file.original, readPath, file.encoding as ConvertedEncoding, { maxBytes: Math.min(PLAN_PREFIX_BYTES, 1 << 20), nodeId: ctx.nodeId, planning: true });
    }
    let found: string[];
    try {
      found = await firstLineFields(ctx.rows, readPath, detected);
    } catch (e) {
      throw mismatch(ctx, file, files[0]!, expected, `its first line does not read as ${expected.length} fields (${errorMessage(e).split('\n')[0]})`);
    }
    // An empty file (or one of blank lines only) has no header to compare: say that, not "its header is , , ".
    if (found.length === 0) throw emptyFile(ctx, file, st.size, d.skip, { file: files[0]!, expected });
    if (!sameHeader(expected, found)) {
      const skipped = detected.separatorLine === undefined ? '' : ` (its first line is skipped: every file is read as the first, which starts with Excel's separator line "sep=${detected.separatorLine}")`;
      throw mismatch(ctx, file, files[0]!, expected, `its header is ${found.join(', ') || '(empty)'}${skipped}`);
    }
    checked.add(key);
  }
}

/**
 * The fields of a file's first line (after the lines the dialect skips), read with the first file's
 * dialect: as many as the header has, plus one more when the line holds more. A blank or missing
 * field reads as ''. None when there is no such line (an empty file, or blank lines only). Throws
 * when the line does not read in that dialect.
 */
export async function firstLineFields(rows: (sql: string) => Promise<Record<string, unknown>[]>, readPath: string, detected: Detected): Promise<string[]> {
  const d = detected.dialect;
  const expected = detected.headerNames;
  const width = expected.length + 1; // one more: a header with an extra field shows in it
  // Not in parallel: DuckDB's parallel reader refuses null_padding in a file with a quoted line break
  // anywhere ("Parameter Not Allowed Error"), which refused such a file as not having the header.
  const named = { auto_detect: false, header: false, all_varchar: true, null_padding: true, parallel: false, delim: d.delim, quote: d.quote, escape: d.escape, new_line: d.newLine, comment: d.comment, skip: d.skip };
  const columns = Array.from({ length: width }, (_, i) => ({ name: `f${i}`, type: 'VARCHAR' }));
  const [row] = await rows(`SELECT * FROM read_csv(${fileLiteral(readPath)}, ${argsSql({ named, columns })}) LIMIT 1`);
  if (row === undefined) return [];
  // A blank or missing field reads as NULL (shown as ''); the extra field must be empty.
  const fields = columns.map((c) => row?.[c.name]);
  const found = fields.slice(0, expected.length).map((v) => (typeof v === 'string' ? v : ''));
  if (typeof fields[expected.length] === 'string') found.push(fields[expected.length] as string);
  return found;
}

/**
 * A run-time step for the files the plan could not see: when the pattern matches more files once the
 * run begins (a file added since, or an object store's objects, which source.s3 fetches in its own
 * step before this one), their headers are compared with the first file's before anything is read.
 * Only for files read in place (a converted file's copy is listed when planning).
 */
export function laterHeadersStep(ctx: CompileContext<CsvSourceParams>, pattern: string, files: CsvFile[], detected: Detected): SetupStep | undefined {
  // A path without wildcards names one file: nothing can be added to it.
  if (!isGlob(pattern) || !detected.dialect.header || files.some((f) => f.read !== f.original)) return undefined;
  const seen = new Set(files.map((f) => f.original));
  return {
    kind: 'hook',
    description: 'compare the header of every file with the first one',
    async run(io: HookIo) {
      const now = (await io.db.rows(`SELECT file FROM glob(${stringLiteral(pattern)}) ORDER BY file`)).map((r) => String(r.file));
      const added = now.filter((f) => !seen.has(f));
      if (added.length === 0) return 0;
      const inPlace = (original: string): CsvFile => ({ original, read: original, encoding: 'utf-8', compressed: false });
      await checkSameHeaders({ ...ctx, rows: (sql) => io.db.rows(sql) }, [files[0]!, ...added.map(inPlace)], detected);
      return 0;
    },
    async dry() {},
  };
}

/** Names as DuckDB's detection shows them: blank ones become column<i>, repeated ones get a _<n> suffix. */
export function sameHeader(expected: string[], found: string[]): boolean {
  if (found.length !== expected.length) return false;
  return expected.every((name, i) => {
    const f = foldName(found[i]!.trim());
    const e = foldName(name);
    return e === f || (f === '' && /^column\d+$/.test(e)) || (e.startsWith(`${f}_`) && /^\d+$/.test(e.slice(f.length + 1)));
  });
}

/**
 * A file of the pattern with no header line. DuckDB would read it as no rows (or, when it comes
 * first, detect one nameless column from it and refuse every other file), but it is refused as the
 * others that do not match: a file still being written is empty at first, and one without its header
 * cannot be checked against the first.
 */
function emptyFile(ctx: CompileContext<CsvSourceParams>, file: CsvFile, bytes: number, skip: number, first?: { file: CsvFile; expected: string[] }): CaudalError {
  const what =
    bytes === 0
      ? 'is empty (0 bytes: no header line, no rows)'
      : skip > 0
        ? `has no line after the ${skip === 1 ? 'line' : `${skip} lines`} skipped above the header`
        : 'holds only blank lines (no header line, no rows)';
  const rule = first
    ? `every file of ${ctx.params.path} must start with the same header line as ${first.file.original} does (${first.expected.join(', ')})`
    : `it is the first file of ${ctx.params.path}, whose format and columns are detected on the first file`;
  const message = `node '${ctx.nodeId}': ${file.original} ${what}; ${rule}, and an empty file in a pattern is refused, as it may still be being written`;
  const hint = 'remove the empty file or move it out of the folder, or change the path so that the pattern does not match it; run again once it is written';
  return new CaudalError('validation', message, { nodeId: ctx.nodeId, hint, problems: [{ code: 'bind_error', path: 'params.path', message, hint }] });
}

/**
 * The format and columns of a pattern's files are detected on the first one: when it is empty (or
 * blank lines only), detection would find one nameless column and every other file would fail to
 * read. Refused as an empty file further down is (checkSameHeaders).
 */
export async function refuseEmptyFirstFile(ctx: CompileContext<CsvSourceParams>, files: CsvFile[]): Promise<void> {
  const first = files[0];
  if (files.length < 2 || !first || first.compressed) return;
  const st = await stat(first.original).catch(() => undefined);
  if (!st || st.size > BLANK_CHECK_BYTES) return;
  const text = st.size === 0 ? '' : (await readFile(first.original)).toString('latin1');
  // Only line breaks, spaces and a UTF-8 byte-order mark (read as Latin-1 here: ï»¿).
  if (/^(\xef\xbb\xbf)?[ \t\r\n]*$/.test(text)) throw emptyFile(ctx, first, st.size, 0);
}

/** Only files up to this size are read to see whether they hold blank lines only (it is for empty files). */
const BLANK_CHECK_BYTES = 1 << 16;

function mismatch(ctx: CompileContext<CsvSourceParams>, file: CsvFile, first: CsvFile, expected: string[], what: string): CaudalError {
  const message = `node '${ctx.nodeId}': ${file.original} does not have the columns of ${first.original} (${expected.join(', ')}): ${what}. Files of one pattern are read by position with the first file's columns, so its values would land under the wrong names`;
  const hint = 'set "Combine files by column name" (union_by_name) to match columns by name, or read the files separately and combine them with a union node';
  return new CaudalError('validation', message, { nodeId: ctx.nodeId, hint, problems: [{ code: 'bind_error', path: 'params.path', message, hint }] });
}
