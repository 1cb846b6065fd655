import { stat } from 'node:fs/promises';
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
 * field reads as ''. Throws when the line does not read in that dialect.
 */
export async function firstLineFields(rows: (sql: string) => Promise<Record<string, unknown>[]>, readPath: string, detected: Detected): Promise<string[]> {
  const d = detected.dialect;
  const expected = detected.headerNames;
  const width = expected.length + 1; // one more: a header with an extra field shows in it
  const named = { auto_detect: false, header: false, all_varchar: true, null_padding: true, delim: d.delim, quote: d.quote, escape: d.escape, new_line: d.newLine, comment: d.comment, skip: d.skip };
  const columns = Array.from({ length: width }, (_, i) => ({ name: `f${i}`, type: 'VARCHAR' }));
  const [row] = await rows(`SELECT * FROM read_csv(${fileLiteral(readPath)}, ${argsSql({ named, columns })}) LIMIT 1`);
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

function mismatch(ctx: CompileContext<CsvSourceParams>, file: CsvFile, first: CsvFile, expected: string[], what: string): CaudalError {
  const message = `node '${ctx.nodeId}': ${file.original} does not have the columns of ${first.original} (${expected.join(', ')}): ${what}. Files of one pattern are read by position with the first file's columns, so its values would land under the wrong names`;
  const hint = 'set "Combine files by column name" (union_by_name) to match columns by name, or read the files separately and combine them with a union node';
  return new CaudalError('validation', message, { nodeId: ctx.nodeId, hint, problems: [{ code: 'bind_error', path: 'params.path', message, hint }] });
}
