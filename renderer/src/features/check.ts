/** Keeps problems and inferred schemas in step with the document (debounced, latest answer wins). */
import { host, errorText } from '../host-access.js';
import { useDocument } from '../store/document.js';
import { useResults } from '../store/results.js';
import { useUi } from '../store/ui.js';
import type { Problem } from '../model/types.js';
import { problemNodeKey } from '../store/graph.js';
import { inStudioWords } from '../inspector/messages.js';

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
    const typeMap = useResults.getState().typeMap;
    const problems = schemas.problems.map((p) => inStudioWords(p, doc, (type) => typeMap.get(type)?.title));
    const byNode: Record<string, Problem[]> = {};
    for (const p of problems) {
      // An entry repeating an earlier id has a canvas key of its own: its problem goes to its card, not the first's.
      const id = problemNodeKey(doc, p) ?? '(pipeline)';
      (byNode[id] ??= []).push(p);
    }
    useResults.getState().setChecked(revision, problems, byNode, schemas.nodes);
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

/** Re-checks after every document change, and when the document's file changes. Returns the unsubscribe function. */
export function watchDocument(): () => void {
  return useDocument.subscribe((s, prev) => {
    const a = s.doc;
    const b = prev.doc;
    // Moving boxes (layout) and renaming change nothing the engine checks.
    // The preview of the edited node goes first (it is what the user is looking at); the whole
    // pipeline's check follows once the typing pauses, or shortly after a choice.
    if (a.nodes !== b.nodes || a.edges !== b.edges || a.params !== b.params || a.connections !== b.connections) scheduleCheck(s.lastGesture?.startsWith('field:') ? 300 : 150);
    // Relative paths resolve from the file's folder: saved as a file elsewhere, the same document
    // reads other files, so its problems are those of the new place (a missing file, or one found).
    else if (s.path !== prev.path) scheduleCheck(0);
  });
}
