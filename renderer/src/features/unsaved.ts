/**
 * Unsaved edits survive a crash: a moment after each edit the host keeps a copy of the document
 * (`pipeline.keepUnsaved`, one per open document), dropped once it is saved or its edits are
 * discarded; at start the studio offers back what a studio that ended without saving left.
 */
import { create } from 'zustand';
import type { UnsavedCopy } from '../../../core/src/host-api/contract.js';
import { host, errorText } from '../host-access.js';
import { isDirty, useDocument, type DocumentState } from '../store/document.js';
import { useResults } from '../store/results.js';
import { useUi } from '../store/ui.js';
import { openPipeline } from './file.js';

/** How long after the last edit the copy is kept: a burst of typing writes it once. */
export const KEEP_DELAY_MS = 1000;

/** This page load: copies it keeps are its own, those of other sessions are offered. */
const session = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;

/** The copies offered at start (the dialog lists them). */
export const useUnsaved = create<{ copies: UnsavedCopy[]; forget(key: string): void }>()((set, get) => ({
  copies: [],
  forget: (key) => set({ copies: get().copies.filter((c) => c.key !== key) }),
}));

/**
 * The open document's name for its copy: its file, or one per new document, in this session: two
 * tabs editing one file keep a copy each, so neither's save or discard removes the other's.
 */
const keyOf = (s: Pick<DocumentState, 'path' | 'loads'>) => (s.path ? `file:${session}:${s.path}` : `new:${session}:${s.loads}`);

let kept: string | null = null;
/** A restored copy of another session: removed once this session has kept the edits under its own key. */
let replaced: string | null = null;
/** A failure to keep a copy is said once per session, not after every edit. */
let failureShown = false;
let timer: ReturnType<typeof setTimeout> | undefined;
/** The file's fingerprint when this document's edits began: a restored copy keeps its own. */
let baseHash: { key: string; hash: string | null } | null = null;

function drop(key: string): void {
  void host()['pipeline.dropUnsaved']({ key }).catch(() => undefined);
}

function dropReplaced(): void {
  if (replaced) drop(replaced);
  replaced = null;
}

function keepSoon(): void {
  clearTimeout(timer);
  timer = setTimeout(() => {
    const s = useDocument.getState();
    if (!isDirty(s)) return;
    const key = keyOf(s);
    if (baseHash?.key !== key) baseHash = { key, hash: s.fileHash };
    const keep = host()['pipeline.keepUnsaved']({ key, session, path: s.path, fileHash: baseHash.hash, document: s.doc });
    void keep
      .then(() => {
        // Saved or discarded meanwhile: the copy is not needed.
        const now = useDocument.getState();
        if (isDirty(now) && keyOf(now) === key) {
          kept = key;
          dropReplaced();
        } else drop(key);
      })
      .catch((e: unknown) => {
        if (failureShown) return;
        failureShown = true;
        useUi.getState().toast('error', `Could not keep a copy of your unsaved edits (save often until this is fixed): ${errorText(e)}`);
      });
  }, KEEP_DELAY_MS);
}

export function watchUnsaved(): void {
  useDocument.subscribe((s, prev) => {
    if (s.doc === prev.doc && s.savedDoc === prev.savedDoc && s.path === prev.path && s.loads === prev.loads) return;
    const key = keyOf(s);
    // Another document now (opened, new, saved under another name): the last one's edits were
    // saved or discarded by the user, so its copy goes.
    if (kept && kept !== key) {
      drop(kept);
      kept = null;
    }
    if (isDirty(s)) keepSoon();
    else {
      clearTimeout(timer);
      baseHash = null;
      dropReplaced();
      if (kept === key) {
        drop(key);
        kept = null;
      }
    }
  });
}

/**
 * Studios open in other tabs of this browser keep copies too, and theirs are not left behind:
 * each page answers who asks with its session, so a page starting next to them does not offer
 * (and let someone discard) the copies of a studio that is still working on them.
 */
const LIVE_CHANNEL = 'caudal-unsaved-sessions';
/** How long a starting page waits for the others to answer; they answer within milliseconds. */
const LIVE_WAIT_MS = 300;
const channel = typeof BroadcastChannel === 'undefined' ? undefined : new BroadcastChannel(LIVE_CHANNEL);
channel?.addEventListener('message', (e: MessageEvent<{ ask?: boolean }>) => {
  if (e.data?.ask) channel.postMessage({ session });
});

async function liveSessions(): Promise<Set<string>> {
  const live = new Set<string>();
  if (!channel) return live;
  const listen = (e: MessageEvent<{ session?: string }>) => {
    if (typeof e.data?.session === 'string') live.add(e.data.session);
  };
  channel.addEventListener('message', listen);
  channel.postMessage({ ask: true });
  await new Promise((r) => setTimeout(r, LIVE_WAIT_MS));
  channel.removeEventListener('message', listen);
  return live;
}

/** At start: offers the copies that studios no longer running left (none of this one exists yet). */
export async function offerUnsaved(): Promise<void> {
  const { copies } = await host()['pipeline.unsaved']({}).catch(() => ({ copies: [] as UnsavedCopy[] }));
  if (!copies.some((c) => c.session !== session)) return;
  const live = await liveSessions();
  const others = copies.filter((c) => c.session !== session && !live.has(c.session));
  if (others.length === 0) return;
  useUnsaved.setState({ copies: others });
  useUi.getState().openDialog('unsaved');
}

/**
 * Opens a kept copy as unsaved edits: over its file as it is now (undo goes back to that), or as a
 * new document. A file changed since the edits began makes the next save ask, as for any edit.
 */
export async function restoreUnsaved(copy: UnsavedCopy): Promise<void> {
  const opened = copy.path !== null && (await openPipeline(copy.path));
  if (!opened) {
    const { document } = await host()['pipeline.new']({});
    useResults.getState().reset();
    useUi.getState().select([]);
    useDocument.getState().load(document, copy.path);
  }
  const doc = useDocument.getState();
  if (opened && copy.fileHash && doc.fileHash !== copy.fileHash) useDocument.setState({ fileHash: copy.fileHash });
  baseHash = { key: keyOf(useDocument.getState()), hash: copy.fileHash };
  useDocument.getState().change(() => copy.document);
  useDocument.getState().endGesture();
  // The copy is this document's now: the change above keeps it again under this session's key, and
  // the old copy goes once that is written (a crash in between still finds one of them), or when
  // the edits are saved or discarded first.
  replaced = copy.key;
  useUnsaved.getState().forget(copy.key);
  useUi.getState().toast('info', `Restored unsaved edits of ${copy.path ?? copy.document.name} from ${new Date(copy.at).toLocaleString()}.`);
}

export function discardUnsaved(copy: UnsavedCopy): void {
  drop(copy.key);
  useUnsaved.getState().forget(copy.key);
}
