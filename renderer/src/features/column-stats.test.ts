import { describe, expect, it } from 'vitest';
import { columnStats, formatCell } from './column-stats.js';
import { logLines } from './LogsTab.js';

describe('preview column header figures', () => {
  const rows = [{ a: 1, s: 'x' }, { a: 2, s: 'x' }, { a: null, s: 'y' }, { a: 10, s: null }];

  it('numeric columns: null share and a histogram over min..max', () => {
    const s = columnStats(rows, 'a', 'BIGINT', 3);
    expect(s.nullPct).toBe(25);
    expect(s.min).toBe(1);
    expect(s.max).toBe(10);
    expect(s.histogram).toEqual([2, 0, 1]);
  });

  it('other columns: top values by count', () => {
    const s = columnStats(rows, 's', 'VARCHAR');
    expect(s.top).toEqual([
      { value: 'x', count: 2 },
      { value: 'y', count: 1 },
    ]);
    expect(s.distinct).toBe(2);
  });

  it('decimals arriving as strings still histogram', () => {
    expect(columnStats([{ d: '1.50' }, { d: '2.50' }], 'd', 'DECIMAL(10,2)', 2).histogram).toEqual([1, 1]);
  });

  it('formats cells', () => {
    expect(formatCell(null)).toBe('NULL');
    expect(formatCell({ a: 1 })).toBe('{"a":1}');
  });

  it('turns run events into log lines', () => {
    const lines = logLines([
      { type: 'run_started', runId: 'r', pipeline: 'p', nodes: 2, at: '' },
      { type: 'warning', runId: 'r', message: '3 rows were set aside', nodeId: 'a' },
    ] as never);
    expect(lines).toEqual([
      { level: 'info', text: 'Run r started (2 nodes)' },
      { level: 'warn', text: 'a: 3 rows were set aside', nodeId: 'a' },
    ]);
  });
});
