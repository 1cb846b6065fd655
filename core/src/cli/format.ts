import stringWidth from 'string-width';
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

/** Columns a cell takes at most in a terminal. */
const CELL_WIDTH = 40;
const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

/** `s` cut to `width` terminal columns on whole characters (an emoji, a letter with its accents), with an ellipsis. */
function cut(s: string, width: number): string {
  if (stringWidth(s) <= width) return s;
  let out = '';
  let used = 0;
  for (const { segment } of graphemes.segment(s)) {
    const w = stringWidth(segment);
    if (used + w > width - 1) break;
    out += segment;
    used += w;
  }
  return `${out}…`;
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return cut(s.replace(/\s+/g, ' '), CELL_WIDTH);
}

/** Pads to `width` terminal columns: East Asian characters take two, combining marks none. */
const pad = (s: string, width: number) => s + ' '.repeat(Math.max(0, width - stringWidth(s)));

/** A plain text table for terminals: header, type line, rows. */
export function formatTable(columns: Column[], rows: Record<string, unknown>[]): string {
  const header = columns.map((c) => c.name);
  const types = columns.map((c) => c.type.toLowerCase());
  const body = rows.map((r) => columns.map((c) => cell(r[c.name])));
  const widths = header.map((h, i) => Math.max(stringWidth(h), stringWidth(types[i]!), ...body.map((b) => stringWidth(b[i]!))));
  const line = (cells: string[]) => cells.map((c, i) => pad(c, widths[i]!)).join(' │ ');
  const sep = widths.map((w) => '─'.repeat(w)).join('─┼─');
  return [line(header), line(types), sep, ...body.map(line)].join('\n');
}
