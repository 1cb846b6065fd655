/** Starting, following and cancelling runs; the run history of the open pipeline. */
import { host, errorText } from '../host-access.js';
import { useDocument } from '../store/document.js';
import { useResults } from '../store/results.js';
import { useUi } from '../store/ui.js';
import { entryKeys, upstreamClosure, waitingNodes } from '../store/graph.js';
import type { HostRunEvent, ParamJsonSchema, Pipeline, Problem } from '../model/types.js';
import { fieldAtPath, friendlyMessage } from '../inspector/messages.js';
import { formModel, type FieldModel } from '../inspector/form-model.js';
import { continuousRunEnded } from './continuous.js';

/** The form field a problem is about, for wording it (none when the node type is unknown here). */
function fieldFor(type: string, p: Problem, params: unknown): FieldModel | undefined {
  const info = useResults.getState().typeMap.get(type);
  if (!info || !p.field) return undefined;
  return fieldAtPath(formModel(info.paramsSchema as ParamJsonSchema).flatMap((g) => g.fields), p.field, params).field;
}

export type ParamValues = Record<string, string | number | boolean>;

/** Events can arrive before run.start answers; they wait here until we know our runId. */
let early: HostRunEvent[] = [];
let lastParams: ParamValues = {};
let pendingTargets: string[] | undefined;
let pendingWatch = false;

const EXACT_KEY = 'caudal.exactCounts';

/** "Count rows at every step": the engine materializes every node (slower) so each shows its row count. */
export function exactCounts(): boolean {
  try {
    return localStorage.getItem(EXACT_KEY) === '1';
  } catch {
    return false;
  }
}

export function setExactCounts(on: boolean): void {
  try {
    localStorage.setItem(EXACT_KEY, on ? '1' : '0');
  } catch {
    // a preference only
  }
}

export function lastRunParams(): ParamValues {
  return lastParams;
}

/**
 * What a run can include while some nodes have problems: every node that has none and has none
 * upstream. The rest is left out, each with the reason (its own problem, or the node it waits for).
 */
export function readyPart(doc: Pipeline, problemsByNode: Record<string, Problem[]>, targets?: string[]): { ready: string[]; leftOut: Array<{ nodeId: string; reason: string }> } {
  // Entries by their canvas keys: one repeating an earlier id (a file edited by hand) is a node of its own here too.
  const keys = entryKeys(doc);
  const scope = targets ? new Set(targets.flatMap((t) => [...upstreamClosure(doc, t)])) : new Set(keys);
  const broken = new Set(Object.keys(problemsByNode).filter((id) => scope.has(id)));
  const waiting = waitingNodes(doc, broken);
  const name = (id: string) => doc.nodes.find((n) => n.id === id)?.name ?? id;
  const leftOut: Array<{ nodeId: string; reason: string }> = [];
  const ready: string[] = [];
  doc.nodes.forEach((n, i) => {
    const key = keys[i]!;
    if (!scope.has(key)) return;
    if (broken.has(key)) leftOut.push({ nodeId: key, reason: friendlyMessage(problemsByNode[key]![0]!, fieldFor(n.type, problemsByNode[key]![0]!, n.params)) });
    else if (waiting.has(key)) leftOut.push({ nodeId: key, reason: `needs '${name(waiting.get(key)!)}' fixed first` });
    else ready.push(key);
  });
  return { ready, leftOut };
}

/**
 * Run the pipeline (or up to `targets`); asks for pipeline params first when the pipeline has any.
 * `watch`: run continuously (micro-batches from the streaming sources until Stop).
 */
export function requestRun(targets?: string[], opts: { watch?: boolean } = {}): void {
  const doc = useDocument.getState().doc;
  pendingWatch = opts.watch === true;
  if (useResults.getState().run?.status === 'running') {
    useUi.getState().toast('info', 'A run is already in progress.');
    return;
  }
  if (doc.nodes.length === 0) {
    useUi.getState().toast('info', 'Nothing to run yet: drag a source and a sink onto the canvas, or open an example.');
    return;
  }
  // Everything the user has filled in so far may now show its problems.
  useUi.getState().settle();
  const results = useResults.getState();
  if (!results.checking && results.checkedRevision === useDocument.getState().revision && Object.keys(results.problemsByNode).length > 0) {
    const { ready, leftOut } = readyPart(doc, results.problemsByNode, targets);
    if (leftOut.length > 0) {
      if (ready.length === 0) {
        useUi.getState().toast('error', `Nothing can run yet: ${leftOut.length} node${leftOut.length === 1 ? ' has' : 's have'} problems to fix first (see the problem list).`);
        return;
      }
      // An unconnected or half-configured node does not have to stop the rest: offer the ready part.
      useUi.getState().offerReadyRun({ targets: ready, leftOut });
      return;
    }
  }
  proceedRun(targets);
}

/** Runs after the checks above (and the ready-part dialog): asks for params first when the pipeline has any. */
export function proceedRun(targets?: string[]): void {
  const doc = useDocument.getState().doc;
  pendingTargets = targets;
  if (Object.keys(doc.params ?? {}).length > 0) useUi.getState().openDialog('runParams');
  else void startRun({});
}

export async function startRun(params: ParamValues, targets = pendingTargets, watch = pendingWatch): Promise<void> {
  lastParams = params;
  const { doc, path } = useDocument.getState();
  const nodeIds = targets ? [...new Set(targets.flatMap((t) => [...upstreamClosure(doc, t)]))] : doc.nodes.map((n) => n.id);
  early = [];
  try {
    const options = exactCounts() ? { metrics: 'exact' as const } : undefined;
    const { runId } = await host()['run.start']({ document: doc, path, params, targets, options, ...(watch ? { watch: true } : {}) });
    useResults.getState().startRun(runId, targets ?? [], nodeIds, watch);
    useUi.getState().setBottomTab('logs');
    useResults.getState().applyRunEvents(early.filter((e) => e.runId === runId));
    early = [];
  } catch (e) {
    useUi.getState().toast('error', `The run did not start: ${errorText(e)}`);
  }
}

export async function cancelRun(): Promise<void> {
  const run = useResults.getState().run;
  if (!run || run.status !== 'running') return;
  try {
    await host()['run.cancel']({ runId: run.runId });
  } catch (e) {
    useUi.getState().toast('error', `Cancel failed: ${errorText(e)}`);
  }
}

/** A continuous run finishes and commits its current batch, then ends as stopped. */
export async function stopRun(): Promise<void> {
  const run = useResults.getState().run;
  if (!run || run.status !== 'running') return;
  useResults.getState().markStopping(run.runId);
  try {
    await host()['run.stop']({ runId: run.runId });
  } catch (e) {
    useUi.getState().toast('error', `Stop failed: ${errorText(e)}`);
  }
}

export async function refreshHistory(): Promise<void> {
  try {
    const { doc, path } = useDocument.getState();
    const { runs } = await host()['run.history']({ path, limit: 50 });
    // Unsaved pipelines share the workspace's history: show the runs of this one (by name) only.
    useResults.getState().setHistory(path === null ? runs.filter((r) => r.pipeline === doc.name) : runs);
  } catch {
    // The history list is a convenience; the run itself reports its own failures.
  }
}

/** A continuous run's events are applied at most this often, so a fast stream never floods rendering. */
const LIVE_FLUSH_MS = 250;
let queued: HostRunEvent[] = [];
let flushTimer: ReturnType<typeof setTimeout> | null = null;

function flushQueued(): void {
  if (flushTimer !== null) clearTimeout(flushTimer);
  flushTimer = null;
  const events = queued;
  queued = [];
  if (events.length > 0) useResults.getState().applyRunEvents(events);
}

export function watchRuns(): () => void {
  const offRun = host().on('run', (e) => {
    const run = useResults.getState().run;
    if (run && run.runId === e.runId) {
      if (run.watch && e.type !== 'run_finished') {
        queued.push(e);
        flushTimer ??= setTimeout(flushQueued, LIVE_FLUSH_MS);
        return;
      }
      flushQueued();
      useResults.getState().applyRunEvent(e);
      if (e.type === 'run_finished' && run.watch) continuousRunEnded(e.summary);
      else if (e.type === 'run_finished') {
        const s = e.summary;
        const rows = s.outputs.reduce((n, o) => n + o.rows, 0);
        useUi
          .getState()
          .toast(
            s.status === 'succeeded' ? 'success' : 'error',
            s.status === 'succeeded'
              ? `Run finished in ${(s.elapsedMs / 1000).toFixed(1)} s${s.outputs.length ? `: ${rows.toLocaleString('en-US')} rows written` : s.quality ? '' : ': nothing was written (the pipeline has no sink)'}`
              : `Run ${s.status}${s.error ? `: ${s.error.message}` : ''}`,
          );
      }
    } else if (early.length < 5000) early.push(e);
  });
  const offHistory = host().on('history.changed', () => void refreshHistory());
  const offPath = useDocument.subscribe((s, p) => {
    if (s.path !== p.path || s.loads !== p.loads) void refreshHistory();
  });
  void refreshHistory();
  return () => (offRun(), offHistory(), offPath(), flushQueued());
}
