import type { NodeSummary, PlanStep } from '../engine/protocol.js';
import { formatCount, formatMs } from './format.js';

const LABEL: Record<PlanStep['strategy'], string> = { view: 'fused', table: 'materialized', 'sink-file': 'via sink file', setup: 'setup table', sink: 'sink' };

/**
 * The execution plan as a table: for each node, whether it is fused into other statements or
 * materialized and why, with time and rows when a run finished (`caudal run --explain`,
 * `caudal sql --plan`).
 */
export function formatPlan(steps: PlanStep[], finished?: Map<string, NodeSummary>): string {
  const rows = steps.map((s) => {
    const done = finished?.get(s.nodeId);
    const what = s.strategy === 'view' ? (s.statements.length > 0 ? `→ ${s.statements.join(', ')}` : s.reason) : s.strategy === 'sink' ? s.reason : `${s.reason}${s.statements.length > 0 ? `: ${s.statements.join(', ')}` : ''}`;
    const timing = finished ? [done ? formatMs(done.elapsedMs) : '', done ? formatCount(done.rowsOut) : ''] : [];
    return {
      cells: [s.nodeId, s.nodeType, LABEL[s.strategy], ...timing],
      what,
      notes: s.notes,
    };
  });
  const header = ['node', 'type', 'plan', ...(finished ? ['time', 'rows'] : [])];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r.cells[i]!.length)));
  const line = (cells: string[], tail: string) =>
    cells
      .map((c, i) => (i >= 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .concat(tail ? `  ${tail}` : '')
      .trimEnd();
  const out = [line(header, 'statements and why')];
  const indent = ' '.repeat(widths[0]! + widths[1]! + 4);
  for (const r of rows) {
    out.push(line(r.cells, r.what));
    for (const n of r.notes) out.push(`${indent}· ${n}`);
  }
  out.push('');
  out.push('fused: DuckDB computes the node inside each statement listed (→); one statement per listed reader.');
  out.push('materialized: computed once into a temp table that its readers scan. setup table: the node reads its input once into a helper table.');
  if (steps.some((s) => s.strategy === 'sink-file')) out.push('via sink file: computed once by the named sink\'s statement, which stages it as a file (Parquet); the other readers read that file, so no temp table holds the rows.');
  if (finished) out.push('time: a fused node\'s work is counted at the node whose statement runs it; rows are counted where data is materialized or written (see --metrics exact).');
  return out.join('\n');
}
