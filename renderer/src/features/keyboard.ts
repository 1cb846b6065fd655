/** The studio's global key handler (shortcut list in shortcuts.ts). */
import { useDocument } from '../store/document.js';
import { useUi } from '../store/ui.js';
import { autoLayout, copySelection, cutSelection, deleteSelection, duplicateSelection, paste, selectAll } from '../canvas/actions.js';
import { guardDirty, newPipeline, openPipeline, save, saveAs } from './file.js';
import { requestRun } from './runs.js';
import { isTypingTarget, keepsGraphKeys } from './shortcuts.js';
import { appInfo } from './app-info.js';
import { requestCloseDialog } from './dialog-close.js';

export function installKeyboard(fitView: () => void): () => void {
  const onKey = (e: KeyboardEvent) => {
    const mod = e.ctrlKey || e.metaKey;
    const key = e.key.toLowerCase();
    const typing = isTypingTarget(e.target);
    const ui = useUi.getState();
    const docs = useDocument.getState();
    const native = appInfo()?.nativeDialogs ?? false;
    // Undo/redo are the studio's, also inside fields: every edit is a document change. Not while a
    // dialog is open: the pipeline behind it must not change under it (a save would write the undone
    // document), and a dialog's own field keeps the browser's text undo.
    if (mod && (key === 'z' || key === 'y') && ui.dialog) return;
    if (mod && key === 'z') {
      e.preventDefault();
      if (e.shiftKey) docs.redo();
      else docs.undo();
      return;
    }
    if (mod && key === 'y') {
      e.preventDefault();
      docs.redo();
      return;
    }
    if (mod && key === 's') {
      e.preventDefault();
      if (e.shiftKey) {
        if (native) void saveAs();
        else ui.openDialog('saveAs');
      } else void save(native);
      return;
    }
    if (mod && key === 'o') {
      e.preventDefault();
      guardDirty(() => (native ? void openPipeline() : ui.openDialog('open')));
      return;
    }
    if (mod && e.altKey && key === 'n') {
      e.preventDefault();
      guardDirty(() => void newPipeline());
      return;
    }
    if (mod && key === 'enter') {
      e.preventDefault();
      requestRun();
      return;
    }
    if (key === 'escape') {
      if (ui.dialog) requestCloseDialog();
      else if (!typing) ui.select([]);
      return;
    }
    // Graph keys act on the canvas, never on a node behind a focused field, button or inspector.
    if (typing || ui.dialog || keepsGraphKeys(e.target)) return;
    if (key === 'delete' || key === 'backspace') {
      e.preventDefault();
      deleteSelection();
    } else if (mod && key === 'c') copySelection();
    else if (mod && key === 'x') cutSelection();
    else if (mod && key === 'v') {
      e.preventDefault();
      paste();
    } else if (mod && key === 'd') {
      e.preventDefault();
      duplicateSelection();
    } else if (mod && key === 'a') {
      e.preventDefault();
      selectAll();
    } else if (!mod && key === 'l') void autoLayout();
    else if (!mod && key === 'f') fitView();
    else if (e.key === '?') ui.openDialog('help');
  };
  window.addEventListener('keydown', onKey);
  return () => window.removeEventListener('keydown', onKey);
}
