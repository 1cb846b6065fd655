/**
 * The pipeline being edited and its undo history. Only document changes go through here; selection,
 * viewport, previews and run results live in ui.ts and results.ts and never enter history.
 */
import { create } from 'zustand';
import type { Pipeline } from '../model/types.js';
import { emptyPipeline } from './doc-ops.js';
import { History, type RecordOptions } from './history.js';

export interface DocumentState {
  doc: Pipeline;
  /** The file the document came from or was saved to; null until saved. */
  path: string | null;
  /** The host's fingerprint of that file as opened or last saved: a save passes it, so changes made by someone else since are not overwritten unasked. */
  fileHash: string | null;
  /** The document as last loaded or saved: dirty means `doc !== savedDoc` (undo back to it is clean again). */
  savedDoc: Pipeline;
  /** Bumped on every change (also undo/redo): lets derived data know it is stale. */
  revision: number;
  /** Bumped when a document is loaded (new, open): the canvas fits it into view. */
  loads: number;
  /** The gesture of the latest change (`field:…` while typing), so followers can wait for a pause in typing only. */
  lastGesture: string | undefined;
  canUndo: boolean;
  canRedo: boolean;
  /** Applies an edit. Edits returning the same document are not recorded. */
  change(edit: (doc: Pipeline) => Pipeline, opts?: RecordOptions): void;
  /** Ends the current gesture (pointer up, field blur): the next edit is a new undo step. */
  endGesture(): void;
  undo(): void;
  redo(): void;
  load(doc: Pipeline, path: string | null, fileHash?: string): void;
  markSaved(path: string, doc?: Pipeline, fileHash?: string): void;
}

export function createDocumentStore(initial: Pipeline = emptyPipeline()) {
  const history = new History<Pipeline>();
  return create<DocumentState>()((set, get) => {
    const flags = () => ({ canUndo: history.canUndo, canRedo: history.canRedo });
    return {
      doc: initial,
      path: null,
      fileHash: null,
      savedDoc: initial,
      revision: 0,
      loads: 0,
      lastGesture: undefined,
      canUndo: false,
      canRedo: false,
      change(edit, opts) {
        const before = get().doc;
        const after = edit(before);
        if (after === before) return;
        history.record(before, opts);
        set({ doc: after, revision: get().revision + 1, lastGesture: opts?.gesture, ...flags() });
      },
      endGesture() {
        history.seal();
      },
      undo() {
        const prev = history.undo(get().doc);
        if (prev) set({ doc: prev, revision: get().revision + 1, lastGesture: undefined, ...flags() });
      },
      redo() {
        const next = history.redo(get().doc);
        if (next) set({ doc: next, revision: get().revision + 1, lastGesture: undefined, ...flags() });
      },
      load(doc, path, fileHash) {
        history.clear();
        set({ doc, path, fileHash: fileHash ?? null, savedDoc: doc, revision: get().revision + 1, loads: get().loads + 1, ...flags() });
      },
      markSaved(path, doc, fileHash) {
        set({ path, fileHash: fileHash ?? null, savedDoc: doc ?? get().doc });
      },
    };
  });
}

export const useDocument = createDocumentStore();

export const isDirty = (s: Pick<DocumentState, 'doc' | 'savedDoc'>) => s.doc !== s.savedDoc;
