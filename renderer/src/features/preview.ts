/**
 * Previews: fetched for the selected node and port, cached by upstream signature; a stale preview
 * (an upstream param changed) refreshes after a short pause. Previews never run sinks (the host
 * plans only the node's upstream).
 */
import { host, errorText } from '../host-access.js';
import { useDocument } from '../store/document.js';
import { PREVIEW_LIMIT, previewKey, useResults } from '../store/results.js';
import { useUi } from '../store/ui.js';
import { upstreamSignature } from '../store/graph.js';
import type { Problem } from '../model/types.js';

export { PREVIEW_LIMIT };

/** The port shown for a node: the chosen one, else its first output. */
export function previewPortFor(nodeId: string): string | null {
  const doc = useDocument.getState().doc;
  const node = doc.nodes.find((n) => n.id === nodeId);
  const info = node && useResults.getState().typeMap.get(node.type);
  if (!info || info.outputs.length === 0) return null;
  const chosen = useUi.getState().previewPort;
  return chosen && info.outputs.some((o) => o.name === chosen) ? chosen : info.outputs[0]!.name;
}

/** This window (page load): a newer preview of one node's port replaces only this window's older one. */
const WINDOW = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;

export async function loadPreview(nodeId: string, port: string, force = false): Promise<void> {
  const { doc, path } = useDocument.getState();
  const signature = upstreamSignature(doc, nodeId);
  const key = previewKey(nodeId, port);
  const existing = useResults.getState().previews[key];
  const limit = useUi.getState().previewLimit;
  if (!force && existing && existing.signature === signature && existing.limit === limit && existing.status !== 'error') return;
  const requestedAt = Date.now();
  useResults.getState().setPreview(key, { ...existing, status: 'loading', signature, requestedAt, limit });
  try {
    // The key makes the host cancel this slot's older preview still running (a slow query edited
    // while it ran): its rows would be thrown away below anyway, and its query held a thread.
    const data = await host()['preview.node']({ document: doc, path, nodeId, port, limit, key: JSON.stringify([WINDOW, path, nodeId, port]) });
    const now = useResults.getState().previews[key];
    if (now && now.requestedAt !== requestedAt) return; // a newer request owns this slot
    if (useDocument.getState().path !== path) return; // read from where the file no longer is
    useResults.getState().setPreview(key, { status: 'ready', signature, data, requestedAt, limit });
  } catch (e) {
    const now = useResults.getState().previews[key];
    if ((now && now.requestedAt !== requestedAt) || useDocument.getState().path !== path) return;
    const problems = (e as { error?: { problems?: Problem[] } }).error?.problems;
    useResults.getState().setPreview(key, { status: 'error', signature, error: errorText(e), problems: problems?.length ? problems : undefined, requestedAt, limit });
  }
}

let timer: ReturnType<typeof setTimeout> | undefined;

/**
 * Loads the selected node's preview now, and again whenever its upstream changes: at once after a
 * choice (a select, a checkbox, a connection), after a short pause while typing.
 */
export function watchPreview(typingPauseMs = 150): () => void {
  const refresh = (delay: number) => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const sel = useUi.getState().selectedNodes;
      if (sel.length !== 1) return;
      const port = previewPortFor(sel[0]!);
      if (port) void loadPreview(sel[0]!, port);
    }, delay);
  };
  const un1 = useUi.subscribe((s, p) => {
    if (s.selectedNodes !== p.selectedNodes || s.previewPort !== p.previewPort || s.previewLimit !== p.previewLimit) refresh(0);
  });
  const un2 = useDocument.subscribe((s, p) => {
    // Relative paths resolve from the file's folder: after a Save as elsewhere no cached preview
    // shows what the nodes now read (their signatures do not know the folder), so all are dropped.
    if (s.path !== p.path) {
      useResults.getState().dropPreviews();
      refresh(0);
      return;
    }
    // Moving boxes (layout) and renaming the pipeline change no data: no preview to refresh.
    const a = s.doc;
    const b = p.doc;
    if (a.nodes !== b.nodes || a.edges !== b.edges || a.params !== b.params || a.connections !== b.connections) refresh(s.lastGesture?.startsWith('field:') ? typingPauseMs : 0);
  });
  const un3 = useResults.subscribe((s, p) => {
    if (s.typeMap !== p.typeMap) refresh(0);
  });
  return () => (un1(), un2(), un3(), clearTimeout(timer));
}
