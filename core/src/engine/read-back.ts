import type { PlannedNode } from '../compiler/plan.js';
import type { Db } from '../compiler/db.js';

/**
 * Points a node's main output at the file its sink just staged (strategy `sink-file`,
 * SinkPlan.readBack) and returns the rows the sink wrote. If the file does not give back the node's
 * columns exactly (a type the planner did not know to avoid, e.g. one from an extension), the node
 * is marked to be computed into a temp table as usual; the file keeps what the sink wrote.
 */
export async function readBackFromSink(db: Db, node: PlannedNode, sink: PlannedNode, written: number | null, log: (message: string) => void): Promise<number | null> {
  const main = node.outputs[0]!;
  const query = sink.sink!.readBack!;
  const got = (await db.rows(`DESCRIBE ${query}`)).map((r) => `${String(r.column_name)} ${String(r.column_type)}`);
  const changed = main.columns.map((c, i) => ({ want: `${c.name} ${c.type}`, got: got[i] })).filter((c) => c.want !== c.got);
  if (changed.length > 0 || got.length !== main.columns.length) {
    const what = changed.map((c) => `${c.want} comes back as ${c.got ?? 'nothing'}`).join(', ') || `${got.length} columns come back`;
    log(`the file staged by '${sink.id}' does not give back the columns as they are (${what}); computing the node into a temp table instead`);
    node.materialize = true;
    return null;
  }
  await db.run(`CREATE OR REPLACE TEMP VIEW ${main.ref} AS ${query}`);
  log(`reads the rows staged by '${sink.id}' back from its file`);
  return written;
}
