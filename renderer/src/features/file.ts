/** New, open, save, save as, export; the discard prompt when there are unsaved changes. */
import { host, errorText } from '../host-access.js';
import { isDirty, useDocument } from '../store/document.js';
import { useResults } from '../store/results.js';
import { useUi } from '../store/ui.js';
import { renameDoc } from '../store/doc-ops.js';
import { placeUnplaced } from '../canvas/actions.js';

/** Runs `action` now, or after the user agrees to drop unsaved changes. */
export function guardDirty(action: () => void): void {
  if (isDirty(useDocument.getState())) useUi.getState().openDialog('confirmDiscard', action);
  else action();
}

export async function newPipeline(): Promise<void> {
  try {
    const { document } = await host()['pipeline.new']({});
    useResults.getState().reset();
    useUi.getState().select([]);
    useDocument.getState().load(document, null);
  } catch (e) {
    useUi.getState().toast('error', errorText(e));
  }
}

export async function openPipeline(path?: string): Promise<boolean> {
  try {
    const opened = await host()['pipeline.open']({ path });
    if (!opened) return false;
    if (!opened.document) {
      const first = opened.problems[0];
      useUi.getState().toast('error', `${opened.path} could not be opened${first ? `: ${first.path ? `${first.path}: ` : ''}${first.message}` : ''}`);
      return false;
    }
    // Nodes the file gives no place get one as it opens, not as an edit: the document is not dirty
    // (nothing to save unless the user changes something), and the layout is written with the next save.
    const asOpened = opened.document;
    const placed = await placeUnplaced(asOpened).catch(() => asOpened);
    useResults.getState().reset();
    useUi.getState().select([]);
    useDocument.getState().load(placed, opened.path, opened.fileHash);
    if (opened.migrationsApplied.length) useUi.getState().toast('info', `Upgraded from an older format (${opened.migrationsApplied.join(', ')}); save to keep it.`);
    return true;
  } catch (e) {
    useUi.getState().toast('error', `Could not open ${path ?? 'the file'}: ${errorText(e)}`);
    return false;
  }
}

/**
 * The host refuses to replace a file that is not a pipeline, or any file with an export (a
 * `would_overwrite` problem), and a pipeline file someone else changed since it was opened or saved
 * here (`changed_on_disk`), until the user confirms; then the same call goes again with
 * `overwrite: true`.
 */
async function withOverwriteConfirmation<T>(write: (overwrite: boolean) => Promise<T>, what = 'this pipeline'): Promise<T | null> {
  try {
    return await write(false);
  } catch (e) {
    const err = (e as { error?: { message: string; problems?: Array<{ code: string }> } }).error;
    const code = err?.problems?.find((p) => p.code === 'would_overwrite' || p.code === 'changed_on_disk')?.code;
    if (!err || !code) throw e;
    const question =
      code === 'changed_on_disk'
        ? 'Replace it with your version? Cancel keeps the file as it is: use Save as to keep your version too, then compare.'
        : `Replace it with ${what}?`;
    if (!window.confirm(`${err.message}.\n\n${question}`)) return null;
    return write(true);
  }
}

/** "revenue_by_country.caudal.json" → "Revenue by country". */
export function nameFromFile(file: string): string {
  const base = file.slice(Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\')) + 1).replace(/(\.caudal)?\.json$/i, '');
  const words = base.replace(/[_-]+/g, ' ').trim();
  return words ? words.charAt(0).toUpperCase() + words.slice(1) : 'Untitled pipeline';
}

export const UNTITLED = 'Untitled pipeline';

export async function saveAs(path?: string): Promise<boolean> {
  // A pipeline still called "Untitled pipeline" takes its name from the file it is saved as.
  if (path && useDocument.getState().doc.name === UNTITLED) useDocument.getState().change((d) => renameDoc(d, nameFromFile(path)));
  const doc = useDocument.getState().doc;
  try {
    const saved = await withOverwriteConfirmation((overwrite) => host()['pipeline.saveAs']({ document: doc, path, suggestedName: `${doc.name}.caudal.json`, overwrite }));
    if (!saved) return false;
    if (!path && doc.name === UNTITLED) {
      // Native dialog: the file name is known only now; rename and write again.
      useDocument.getState().markSaved(saved.path, doc, saved.fileHash);
      useDocument.getState().change((d) => renameDoc(d, nameFromFile(saved.path)));
      return save(true);
    }
    useDocument.getState().markSaved(saved.path, doc, saved.fileHash);
    useUi.getState().toast('success', `Saved ${saved.path}`);
    return true;
  } catch (e) {
    useUi.getState().toast('error', `Could not save: ${errorText(e)}`);
    return false;
  }
}

/** Saves to the current file; without one, asks for a path (dialog or the Save as form). */
export async function save(nativeDialogs: boolean): Promise<boolean> {
  const { doc, path, fileHash } = useDocument.getState();
  if (!path) {
    if (nativeDialogs) return saveAs();
    useUi.getState().openDialog('saveAs');
    return false;
  }
  try {
    const saved = await withOverwriteConfirmation((overwrite) => host()['pipeline.save']({ document: doc, path, overwrite, ...(fileHash ? { expectedHash: fileHash } : {}) }));
    if (!saved) return false;
    useDocument.getState().markSaved(saved.path, doc, saved.fileHash);
    useUi.getState().toast('success', `Saved ${saved.path}`);
    return true;
  } catch (e) {
    useUi.getState().toast('error', `Could not save: ${errorText(e)}`);
    return false;
  }
}

/** Whether the export was written (false: cancelled, or it failed and a toast says why). */
export async function exportPipeline(format: 'json' | 'sql', path?: string): Promise<boolean> {
  const { doc, path: docPath } = useDocument.getState();
  try {
    // `to` is the destination; a dialog asks when it is omitted.
    const out = await withOverwriteConfirmation((overwrite) => host()['pipeline.export']({ document: doc, path: docPath, format, to: path, overwrite }), 'the export');
    if (out) useUi.getState().toast('success', `Exported ${out.path} (${out.bytes.toLocaleString('en-US')} bytes)`);
    return out !== null;
  } catch (e) {
    useUi.getState().toast('error', `Export failed: ${errorText(e)}`);
    return false;
  }
}

/** The external version already told about, so a dirty document hears of each change once. */
let warnedHash: string | null = null;

/**
 * When the window comes back into view: if someone else changed the open pipeline's file meanwhile
 * (a `git pull`, an editor, another window), a document without unsaved edits is reloaded from it;
 * with unsaved edits, the user is told that saving will ask before replacing their version.
 */
export async function checkFileOnDisk(): Promise<void> {
  const { path, fileHash } = useDocument.getState();
  if (!path || !fileHash) return;
  const now = await host()['pipeline.fileHash']({ path }).then((r) => r.fileHash, () => null);
  const state = useDocument.getState();
  // Gone (moved, or a branch without it): saving writes it again, nothing to reload.
  if (!now || now === fileHash || state.path !== path || state.fileHash !== fileHash) return;
  if (!isDirty(state)) {
    if (await openPipeline(path)) useUi.getState().toast('info', `Reloaded ${path}: it was changed by another program.`);
    return;
  }
  if (warnedHash === now) return;
  warnedHash = now;
  useUi.getState().toast('info', `${path} was changed by another program. Your edits here are not saved: saving will ask before replacing that version.`);
}

export function watchFileOnDisk(): void {
  const check = () => void checkFileOnDisk();
  window.addEventListener('focus', check);
  document.addEventListener('visibilitychange', () => document.visibilityState === 'visible' && check());
}
