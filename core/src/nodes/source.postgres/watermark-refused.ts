import type { PlannedRead } from '../../connectors/connector.js';
import { CaudalError } from '../../util/errors.js';
import { watermarkKind } from './watermark-text.js';

interface Watermark {
  nodeId: string;
  column: string;
  value: string;
  /** Where the value came from: the state a successful run saved, one set with `caudal state set`, or the node's Start after. */
  from: 'saved' | 'set' | 'initial';
}

/**
 * Plans the read, and when the server refuses it, tells apart a refused watermark: the watermark
 * is a bind parameter of the remote statement, so a value the column's type does not take (a Start
 * after of another form, a saved watermark of a column retyped since) came back as PostgreSQL's
 * words about a filter, and a watermark column renamed since as an unknown column. Planned again
 * without the watermark: if that works, the watermark was the cause. A plan without the column is
 * returned, for the node to say the column is not among those read.
 */
export async function planWithWatermark(plan: (withWatermark: boolean) => Promise<PlannedRead>, wm: Watermark | undefined): Promise<PlannedRead> {
  try {
    return await plan(true);
  } catch (e) {
    if (!wm) throw e;
    const without = await plan(false).catch(() => undefined);
    if (!without) throw e;
    const column = without.columns.find((c) => c.name === wm.column);
    if (!column) return without;
    throw refused(e, wm, column.remoteType);
  }
}

function refused(e: unknown, wm: Watermark, type: string): CaudalError {
  // The server's own words, without the connection prefix explainPgError put before them.
  const said = (e instanceof Error ? e.message : String(e)).replace(/^node '.*?' \(connection '.*?'\): (?:PostgreSQL said: )?/, '');
  const from = wm.from === 'saved' ? 'saved by the last successful run' : wm.from === 'set' ? 'set with `caudal state set`' : 'Start after, incremental.initial';
  const hint =
    wm.from === 'saved'
      ? `the column's type changed since the watermark was saved: ${moveWatermark(wm.nodeId)}`
      : wm.from === 'set'
        ? `the value set is not of the column's type (${type}): ${moveWatermark(wm.nodeId)}`
        : `set Start after to a value of the column's type (${type}), or leave it empty to read every row the first time`;
  const message = `node '${wm.nodeId}': PostgreSQL refused the watermark '${wm.value}' (${from}) for column '${wm.column}' (${type}): ${said}`;
  return new CaudalError('validation', message, {
    nodeId: wm.nodeId,
    column: wm.column,
    hint,
    problems: [{ code: 'invalid_param', path: wm.from === 'initial' ? 'params.incremental.initial' : 'params.incremental', nodeId: wm.nodeId, column: wm.column, message, hint }],
  });
}

/** How to move a saved watermark the column no longer takes. */
const moveWatermark = (nodeId: string, of = 'its type') =>
  `set a watermark of ${of} with \`caudal state set <pipeline> --node ${nodeId} --value <value>\`, or reset it with \`caudal state reset <pipeline> --node ${nodeId}\` (the next run then reads from Start after)`;

/**
 * Refuses a saved watermark taken when the column was of another kind (see watermarkKind): compared
 * under the new order it would skip rows (or read them again) without a word.
 */
export function refuseRetypedWatermark(saved: { kind: unknown; watermark: string }, now: { nodeId: string; column: string; type: string; remoteType: string }): void {
  if (typeof saved.kind !== 'string' || saved.kind === watermarkKind(now.type)) return;
  const message = `node '${now.nodeId}': the saved watermark '${saved.watermark}' was taken when column '${now.column}' held ${saved.kind} values; it is now ${now.remoteType} (${watermarkKind(now.type)}), whose values order otherwise ('10' comes before '9' as text), so comparing would skip rows or read them again`;
  const hint = moveWatermark(now.nodeId, 'the new type');
  throw new CaudalError('validation', message, {
    nodeId: now.nodeId,
    column: now.column,
    hint,
    problems: [{ code: 'invalid_param', path: 'params.incremental', nodeId: now.nodeId, column: now.column, message, hint }],
  });
}
