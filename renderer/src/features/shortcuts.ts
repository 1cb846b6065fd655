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

/** The part of an element the key handler looks at (a DOM element; plain objects in unit tests). */
export interface KeyTarget {
  tagName: string;
  isContentEditable?: boolean;
  closest(selector: string): unknown;
}

function asTarget(el: EventTarget | KeyTarget | null): KeyTarget | null {
  if (el === null || typeof el !== 'object') return null;
  const t = el as Partial<KeyTarget>;
  return typeof t.tagName === 'string' && typeof t.closest === 'function' ? (t as KeyTarget) : null;
}

/** True when typing should go to the focused field rather than to canvas shortcuts. */
export function isTypingTarget(el: EventTarget | KeyTarget | null): boolean {
  const t = asTarget(el);
  if (!t) return false;
  const tag = t.tagName.toUpperCase();
  return t.isContentEditable === true || tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || t.closest('.cm-editor') !== null;
}

/**
 * Where the graph's own keys (Delete, Ctrl+A/C/X/V/D, L, F, ?) do nothing: a field being typed in,
 * anything inside the inspector or the palette (a Yes/No toggle just clicked, *More settings*), and
 * any focused button, summary, select or link. They act on the canvas: when it (or nothing) has the
 * focus. Undo, redo, save, open and run work everywhere outside dialogs.
 */
export function keepsGraphKeys(el: EventTarget | KeyTarget | null): boolean {
  const t = asTarget(el);
  if (!t) return false;
  if (isTypingTarget(t)) return true;
  const tag = t.tagName.toUpperCase();
  if (tag === 'BUTTON' || tag === 'SUMMARY' || tag === 'SELECT' || tag === 'A' || tag === 'DETAILS') return true;
  return t.closest('.inspector, .palette, [role="dialog"], [role="menu"]') !== null;
}
