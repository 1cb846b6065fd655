import { commentLine, ident, scriptLine } from '../compiler/sql.js';
import { relationName } from '../compiler/plan.js';
import type { InspectResult } from '../engine/protocol.js';

/** A DuckDB script of a pipeline: each node's setup and output views in run order, sinks' statements last. */
export function sqlScript(name: string, inspected: InspectResult): string {
  const lines = [commentLine(`Caudal pipeline "${name}": the SQL each node compiles to, in run order.`), ''];
  for (const n of inspected.nodes) {
    lines.push(commentLine(`node ${n.nodeId} (${n.nodeType})`));
    for (const s of n.setup) lines.push(scriptLine(s));
    for (const o of n.outputs) lines.push(`CREATE OR REPLACE TEMP VIEW ${ident(relationName(n.nodeId, o.port))} AS\n${o.sql};`);
    for (const s of n.after) lines.push(scriptLine(s));
    if (n.sink) {
      lines.push(commentLine(`writes ${n.sink.target}`));
      for (const s of n.sink.stage) lines.push(scriptLine(s));
      for (const c of n.sink.commit) lines.push(scriptLine(c));
    }
    lines.push('');
  }
  return lines.join('\n');
}
