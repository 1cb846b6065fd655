import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { NOT_A_PIPELINE, parsePipelineText } from '../model/load.js';
import { CaudalError } from '../util/errors.js';

/** Larger than any real pipeline; bigger files are refused before they are read. */
export const MAX_PIPELINE_BYTES = 20 * 1024 * 1024;

/**
 * The studio reads and writes pipeline files only: it opens regular files (never a device or a
 * pipe, which could block or never end), and it does not replace a file that is something else
 * unless the user said so.
 */
export async function checkOpenable(file: string): Promise<void> {
  const info = await stat(file).catch((e: NodeJS.ErrnoException) => {
    throw new CaudalError('io', `cannot open ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : e.message}`);
  });
  if (info.isDirectory()) throw new CaudalError('usage', `${file} is a folder`, { hint: 'pick a pipeline file (.json) inside it' });
  if (!info.isFile()) throw new CaudalError('usage', `${file} is not a regular file`, { hint: 'pick a pipeline file (.json)' });
  if (info.size > MAX_PIPELINE_BYTES) throw new CaudalError('usage', `${file} is ${NOT_A_PIPELINE}: it is ${info.size} bytes, more than a pipeline file can be (20 MB)`);
}

/**
 * A pipe, socket or device is never replaced, not even with `overwrite`: the user confirmed
 * replacing a file, while the rename of a save would cut off whatever program reads or writes it
 * (a named pipe another tool feeds, a device) and leave a plain file in its place.
 */
function refuseSpecialFile(file: string, info: Stats): void {
  if (info.isFile()) return;
  const kind = info.isFIFO() ? 'a named pipe' : info.isSocket() ? 'a socket' : info.isCharacterDevice() || info.isBlockDevice() ? 'a device' : 'not a file';
  throw new CaudalError('usage', `${file} is not a regular file (${kind}): the studio writes only regular files`, { hint: 'choose another file name' });
}

/**
 * A fingerprint of a pipeline file's text. The studio keeps the one of the file as it opened or
 * last saved it, so a save can tell that someone else (a `git pull`, an editor, another studio
 * window) changed the file since, instead of silently discarding their work.
 */
export function fileHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The fingerprint of a pipeline file as it is now; null when it is gone (or is not a file a pipeline can be). */
export async function currentFileHash(file: string): Promise<string | null> {
  const info = await stat(file).catch(() => null);
  if (!info?.isFile() || info.size > MAX_PIPELINE_BYTES) return null;
  return readFile(file, 'utf8').then(fileHash, () => null);
}

/**
 * Refuses to replace an existing file unless `overwrite` is set (the studio asks the user first):
 * - a file that does not load as a Caudal pipeline (a `would_overwrite` problem);
 * - with `newName` (Save as to a typed path), any existing file, since it is another pipeline than
 *   the one being edited (`would_overwrite`);
 * - with `expectedHash`, the pipeline file changed since the document was opened or last saved
 *   from it (a `changed_on_disk` problem).
 * The problem codes let a client tell these from other failures.
 */
export async function checkOverwritable(file: string, opts: { overwrite: boolean; expectedHash?: string; newName?: boolean }): Promise<void> {
  const info = await stat(file).catch(() => null);
  if (!info) return;
  if (info.isDirectory()) throw new CaudalError('usage', `${file} is a folder`, { hint: 'save under a file name inside it' });
  refuseSpecialFile(file, info);
  if (opts.overwrite) return;
  const text = info.isFile() && info.size <= MAX_PIPELINE_BYTES ? await readFile(file, 'utf8') : undefined;
  const isPipeline = text !== undefined && parsePipelineText(text).pipeline !== undefined;
  if (!isPipeline || opts.newName) {
    const message = isPipeline ? `${file} exists: saving would replace the pipeline in it` : `${file} exists and is ${NOT_A_PIPELINE}: saving would replace it`;
    throw new CaudalError('usage', message, {
      hint: 'choose another file name, or confirm that it should be replaced (overwrite: true)',
      problems: [{ code: 'would_overwrite', path: '(document)', message }],
    });
  }
  if (opts.expectedHash !== undefined && fileHash(text) !== opts.expectedHash) {
    const message = `${file} was changed by another program since you opened or last saved it: saving would discard those changes`;
    throw new CaudalError('usage', message, {
      hint: 'save as another file and compare the two, or confirm that your version should replace it (overwrite: true)',
      problems: [{ code: 'changed_on_disk', path: '(document)', message }],
    });
  }
}

/**
 * Refuses to replace an existing file with an export unless `overwrite` is set: an export may be
 * aimed at any name, also at a data file or someone's notes.
 */
export async function checkExportTarget(file: string, overwrite: boolean): Promise<void> {
  const info = await stat(file).catch(() => null);
  if (!info) return;
  if (info.isDirectory()) throw new CaudalError('usage', `${file} is a folder`, { hint: 'export to a file name inside it' });
  refuseSpecialFile(file, info);
  if (overwrite) return;
  const message = `${file} exists: exporting would replace it`;
  throw new CaudalError('usage', message, {
    hint: 'choose another file name, or confirm that it should be replaced (overwrite: true)',
    problems: [{ code: 'would_overwrite', path: '(document)', message }],
  });
}
