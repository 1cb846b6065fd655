/**
 * Closing the open dialog (Escape, a click beside it) through the dialog itself: one holding work
 * that would be lost (a connection being typed, a password too) asks first.
 */
import { useUi } from '../store/ui.js';

let guard: (() => boolean) | null = null;

/** While the dialog is open, `mayClose` is asked before Escape or a click outside closes it. Returns the unregister function. */
export function guardDialogClose(mayClose: () => boolean): () => void {
  guard = mayClose;
  return () => {
    if (guard === mayClose) guard = null;
  };
}

/** Closes the dialog unless its guard says no. */
export function requestCloseDialog(): void {
  if (guard && !guard()) return;
  useUi.getState().closeDialog();
}
