import type { PlannedNode } from '../compiler/plan.js';
import type { Db } from '../compiler/db.js';

/**
 * More about a value error from the first of `nodes` that can tell (`CompiledNode.explainError`: a
 * CSV source's line, a JSON source's param), within `deadline`. Undefined when none can.
 */
export async function explainValueError(message: string, nodes: PlannedNode[], deadline: number, isCancelled: () => boolean, db: Db): Promise<string | undefined> {
  const fails = (sql: string) => db.run(sql).then(() => false, () => true);
  for (const node of new Set(nodes)) {
    const explain = node.compiled?.explainError;
    if (!explain || Date.now() > deadline || isCancelled()) continue;
    const found = await explain(message, { deadline, isCancelled, fails }).catch(() => undefined);
    if (found) return found;
  }
  return undefined;
}
