/** Keyboard shortcuts: one table drives both the key handler and the help overlay. */
export interface Shortcut {
  keys: string;
  does: string;
}

export const SHORTCUTS: Shortcut[] = [
  { keys: 'Ctrl+Z', does: 'Undo' },
  { keys: 'Ctrl+Shift+Z / Ctrl+Y', does: 'Redo' },
  { keys: 'Delete / Backspace', does: 'Delete the selected nodes and connections' },
  { keys: 'Ctrl+C / Ctrl+X / Ctrl+V', does: 'Copy, cut, paste nodes (also into another pipeline)' },
  { keys: 'Ctrl+D', does: 'Duplicate the selection' },
  { keys: 'Ctrl+A', does: 'Select all nodes' },
  { keys: 'Shift+drag', does: 'Select with a box' },
  { keys: 'Ctrl+click', does: 'Add to the selection' },
  { keys: 'L', does: 'Auto-layout' },
  { keys: 'F', does: 'Zoom to fit' },
  { keys: 'Ctrl+Enter', does: 'Run the pipeline' },
  { keys: 'Ctrl+S / Ctrl+Shift+S', does: 'Save / Save as' },
  { keys: 'Ctrl+O', does: 'Open a pipeline' },
  { keys: 'Ctrl+Alt+N', does: 'New pipeline' },
  { keys: 'Escape', does: 'Close a dialog, clear the selection' },
  { keys: '?', does: 'This help' },
];

/** True when typing should go to the focused field rather than to canvas shortcuts. */
export function isTypingTarget(el: EventTarget | null): boolean {
  if (!(el instanceof HTMLElement)) return false;
  return el.isContentEditable || el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.closest('.cm-editor') !== null;
}
