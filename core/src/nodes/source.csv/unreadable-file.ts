import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CaudalError, errorMessage } from '../../util/errors.js';
import { notAFile } from '../shared/regular-files.js';

/**
 * A CSV file that cannot be read at all (gone, a folder or a pipe in its place, compressed wrongly,
 * no permission, a full temp folder for its UTF-8 copy): errors that say which file, why and what to
 * do, rather than blaming its format and suggesting a delimiter.
 */

/** Why a file could not be read, from DuckDB's IO Error text or Node's errno code, and what to do about it. */
const UNREADABLE: Array<{ re: RegExp; codes: string[]; what: string; todo: string }> = [
  {
    re: /No files found that match|No such file or directory|Is a directory|Not a directory/i,
    codes: ['ENOENT', 'EISDIR', 'ENOTDIR'],
    what: 'it is no longer a file there (it was moved, deleted or replaced by a folder after the pipeline started)',
    todo: 'make sure nothing moves or deletes the file while the pipeline reads it (writers that publish by renaming a finished file avoid this), then run again',
  },
  {
    re: /not a GZIP stream|Unknown frame descriptor|ZSTD|unexpected end of (gzip|compressed)/i,
    codes: [],
    what: 'its name says it is compressed, but its bytes are not what that compression writes (or it is cut off)',
    todo: 'rename the file without the compression ending if it holds plain text, or replace it with the complete compressed file',
  },
  { re: /Permission denied/i, codes: ['EACCES', 'EPERM'], what: 'permission denied', todo: 'give the user that runs Caudal read access to the file' },
  { re: /Too many open files/i, codes: ['EMFILE', 'ENFILE'], what: 'too many files are open', todo: 'raise the limit of open files (ulimit -n) or read fewer files at once, then run again' },
  { re: /No space left on device/i, codes: ['ENOSPC'], what: 'the disk is full', todo: 'free space on the disk holding the temp folder (TMPDIR), then run again' },
];

/**
 * The file could not be read (DuckDB's IO Error or a Node errno): an error saying which file, why,
 * and what to do, rather than one blaming its format. Anything else is undefined.
 */
export function unreadableFile(nodeId: string, file: string, e: unknown, shown: (s: string) => string = (s) => s): CaudalError | undefined {
  const raw = errorMessage(e);
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const byCode = typeof code === 'string' ? UNREADABLE.find((u) => u.codes.includes(code)) : undefined;
  if (!byCode && !/^IO Error/.test(raw)) return undefined;
  const known = byCode ?? UNREADABLE.find((u) => u.re.test(raw));
  const detail = shown(raw.split('\n')[0]!);
  const message = `node '${nodeId}': cannot read ${file}: ${known?.what ?? 'the file could not be read'} (${detail})`;
  const hint = known?.todo ?? 'check that the file is readable and complete, then run again';
  return new CaudalError('validation', message, { nodeId, hint, cause: e, problems: [{ code: 'io_error', path: 'params.path', message, hint }] });
}

/**
 * The file's stats, once it is known to be a regular file. A named pipe (or a device) would block
 * every read for as long as nothing writes to it; a folder in its place (glob lists files only) was
 * put there since, as a file that vanished.
 */
export async function regularFileStats(nodeId: string, file: string): Promise<Stats> {
  const st = await stat(file).catch((e: unknown) => Promise.reject(unreadableFile(nodeId, file, e) ?? e));
  if (st.isDirectory()) throw unreadableFile(nodeId, file, Object.assign(new Error(`EISDIR: ${file} is a folder`), { code: 'EISDIR' }))!;
  if (!st.isFile()) throw notAFile(nodeId, file, st);
  return st;
}

/** A temp folder that cannot take the converted copy, by errno code: what it is, and what to do. */
const TEMP_TROUBLE: Record<string, string> = { ENOSPC: 'is full', EDQUOT: 'has no quota left', EROFS: 'is read-only', EACCES: 'is not writable', EPERM: 'is not writable' };

/**
 * Writing the UTF-8 copy of a file in the temp folder failed (Node's errno on the write, e.g.
 * ENOSPC): said with the file, the folder and what to do, not as a bare "ENOSPC … write". Undefined
 * for any other error (one reading the original goes to unreadableFile).
 */
export function tempFolderFailure(nodeId: string, file: string, e: unknown): CaudalError | undefined {
  const err = e as NodeJS.ErrnoException | undefined;
  const trouble = typeof err?.code === 'string' ? TEMP_TROUBLE[err.code] : undefined;
  // The errno of a read of the original names it (or no path, for a write to the copy).
  if (!trouble || e instanceof CaudalError || (err?.path !== undefined && path.resolve(err.path) === path.resolve(file))) return undefined;
  const folder = os.tmpdir();
  const message = `node '${nodeId}': cannot convert ${file} to UTF-8 to detect its format: the disk holding the temp folder ${folder} ${trouble} (${errorMessage(e)})`;
  const hint = `free space on the disk holding ${folder}, or set TMPDIR to a folder with space (files that are not UTF-8 are converted into a copy there, as large as the file), then run again`;
  return new CaudalError('validation', message, { nodeId, hint, cause: e, problems: [{ code: 'io_error', path: 'params.path', message, hint }] });
}
