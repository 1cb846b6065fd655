/** Keeps problems and inferred schemas in step with the document (debounced, latest answer wins). */
import { host, errorText } from '../host-access.js';
import { useDocument } from '../store/document.js';
import { useResults } from '../store/results.js';
import { useUi } from '../store/ui.js';
import type { Problem } from '../model/types.js';
import { nodeIdAtPath } from '../store/graph.js';

let timer: ReturnType<typeof setTimeout> | undefined;
let seq = 0;

export async function checkNow(): Promise<void> {
  const { doc, path, revision } = useDocument.getState();
  const mine = ++seq;
  useResults.getState().setChecking(true);
  try {
    const ref = { document: doc, path };
    // One inspection answers both: the problems (same as pipeline.validate) and the inferred schemas.
    const schemas = await host()['pipeline.schemas'](ref);
    if (mine !== seq) return;
    const byNode: Record<string, Problem[]> = {};
    for (const p of schemas.problems) {
      const id = p.nodeId ?? nodeIdAtPath(doc, p.path) ?? '(pipeline)';
      (byNode[id] ??= []).push(p);
    }
    useResults.getState().setChecked(revision, schemas.problems, byNode, schemas.nodes);
  } catch (e) {
    if (mine === seq) useUi.getState().toast('error', `Could not check the pipeline: ${errorText(e)}`);
  } finally {
    if (mine === seq) useResults.getState().setChecking(false);
  }
}

export function scheduleCheck(delayMs = 300): void {
  clearTimeout(timer);
  timer = setTimeout(() => void checkNow(), delayMs);
}

/** Re-checks after every document change. Returns the unsubscribe function. */
export function watchDocument(): () => void {
  return useDocument.subscribe((s, prev) => {
    const a = s.doc;
    const b = prev.doc;
    // Moving boxes (layout) and renaming change nothing the engine checks.
    // The preview of the edited node goes first (it is what the user is looking at); the whole
    // pipeline's check follows once the typing pauses, or shortly after a choice.
    if (a.nodes !== b.nodes || a.edges !== b.edges || a.params !== b.params || a.connections !== b.connections) scheduleCheck(s.lastGesture?.startsWith('field:') ? 300 : 150);
  });
}
