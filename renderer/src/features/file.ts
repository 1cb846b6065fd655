/** New, open, save, save as, export; the discard prompt when there are unsaved changes. */
import { host, errorText } from '../host-access.js';
import { isDirty, useDocument } from '../store/document.js';
import { useResults } from '../store/results.js';
import { useUi } from '../store/ui.js';
import { renameDoc } from '../store/doc-ops.js';

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
    useResults.getState().reset();
    useUi.getState().select([]);
    useDocument.getState().load(opened.document, opened.path);
    if (opened.migrationsApplied.length) useUi.getState().toast('info', `Upgraded from an older format (${opened.migrationsApplied.join(', ')}); save to keep it.`);
    return true;
  } catch (e) {
    useUi.getState().toast('error', `Could not open ${path ?? 'the file'}: ${errorText(e)}`);
    return false;
  }
}

/**
 * The host refuses to replace a file that is not a pipeline (a `would_overwrite` problem) until the
 * user confirms; then the same call goes again with `overwrite: true`.
 */
async function withOverwriteConfirmation<T>(write: (overwrite: boolean) => Promise<T>): Promise<T | null> {
  try {
    return await write(false);
  } catch (e) {
    const err = (e as { error?: { message: string; problems?: Array<{ code: string }> } }).error;
    if (!err?.problems?.some((p) => p.code === 'would_overwrite')) throw e;
    if (!window.confirm(`${err.message}.\n\nReplace it with this pipeline?`)) return null;
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
      useDocument.getState().markSaved(saved.path, doc);
      useDocument.getState().change((d) => renameDoc(d, nameFromFile(saved.path)));
      return save(true);
    }
    useDocument.getState().markSaved(saved.path, doc);
    useUi.getState().toast('success', `Saved ${saved.path}`);
    return true;
  } catch (e) {
    useUi.getState().toast('error', `Could not save: ${errorText(e)}`);
    return false;
  }
}

/** Saves to the current file; without one, asks for a path (dialog or the Save as form). */
export async function save(nativeDialogs: boolean): Promise<boolean> {
  const { doc, path } = useDocument.getState();
  if (!path) {
    if (nativeDialogs) return saveAs();
    useUi.getState().openDialog('saveAs');
    return false;
  }
  try {
    const saved = await withOverwriteConfirmation((overwrite) => host()['pipeline.save']({ document: doc, path, overwrite }));
    if (!saved) return false;
    useDocument.getState().markSaved(saved.path, doc);
    useUi.getState().toast('success', `Saved ${saved.path}`);
    return true;
  } catch (e) {
    useUi.getState().toast('error', `Could not save: ${errorText(e)}`);
    return false;
  }
}

export async function exportPipeline(format: 'json' | 'sql', path?: string): Promise<void> {
  const { doc, path: docPath } = useDocument.getState();
  try {
    // `to` is the destination; a dialog asks when it is omitted.
    const out = await host()['pipeline.export']({ document: doc, path: docPath, format, to: path });
    if (out) useUi.getState().toast('success', `Exported ${out.path} (${out.bytes.toLocaleString('en-US')} bytes)`);
  } catch (e) {
    useUi.getState().toast('error', `Export failed: ${errorText(e)}`);
  }
}
