import type { Column } from '../nodes/define.js';
import { formatProblem, type Problem } from '../util/errors.js';

export function formatProblems(problems: Problem[]): string {
  return problems.map((p) => `  ✗ ${formatProblem(p)}`).join('\n');
}

export function formatCount(n: number | null): string {
  return n === null ? '–' : n.toLocaleString('en-US');
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(2)} s`;
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  const flat = s.replace(/\s+/g, ' ');
  return flat.length > 40 ? flat.slice(0, 39) + '…' : flat;
}

/** A plain text table for terminals: header, type line, rows. */
export function formatTable(columns: Column[], rows: Record<string, unknown>[]): string {
  const header = columns.map((c) => c.name);
  const types = columns.map((c) => c.type.toLowerCase());
  const body = rows.map((r) => columns.map((c) => cell(r[c.name])));
  const widths = header.map((h, i) => Math.max(h.length, types[i]!.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(' │ ');
  const sep = widths.map((w) => '─'.repeat(w)).join('─┼─');
  return [line(header), line(types), sep, ...body.map(line)].join('\n');
}
