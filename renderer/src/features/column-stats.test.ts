import { describe, expect, it } from 'vitest';
import { columnStats, formatCell, formatStat } from './column-stats.js';
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

  it('shows INTERVAL and MAP cells as people read them, not as the JSON they travel in', () => {
    expect(formatCell({ months: 0, days: 3, micros: '0' }, 'INTERVAL')).toBe('3 days');
    expect(formatCell({ months: 14, days: 1, micros: '3723500000' }, 'INTERVAL')).toBe('1 year 2 months 1 day 01:02:03.5');
    expect(formatCell({ months: 0, days: 0, micros: '0' }, 'INTERVAL')).toBe('00:00:00');
    expect(formatCell({ months: 0, days: 0, micros: '-90000000' }, 'INTERVAL')).toBe('-00:01:30');
    expect(formatCell([{ key: 'k', value: 'v' }, { key: 'n', value: 2 }], 'MAP(VARCHAR, VARCHAR)')).toBe('{k: v, n: 2}');
    expect(formatCell([], 'MAP(VARCHAR, INTEGER)')).toBe('{}');
    // A struct that happens to have the same fields is shown as it is.
    expect(formatCell({ months: 0, days: 3, micros: '0' }, 'STRUCT(months INTEGER, days INTEGER, micros VARCHAR)')).toBe('{"months":0,"days":3,"micros":"0"}');
  });

  it('shows bidi control characters as their code: a cell never shows its text reversed', () => {
    expect(formatCell('\u202eRTL')).toBe('⟨U+202E⟩RTL');
    expect(formatCell('a\u2066b\u2069')).toBe('a⟨U+2066⟩b⟨U+2069⟩');
    expect(formatCell('plain שלום')).toBe('plain שלום');
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

describe('numbers as people read them', () => {
  it('cells: doubles without binary noise, exact text for big integers and decimals', () => {
    expect(formatCell(89449.99999999999)).toBe('89450');
    expect(formatCell(0.30000000000000004)).toBe('0.3');
    expect(formatCell(12.5)).toBe('12.5');
    expect(formatCell(100234)).toBe('100234');
    expect(formatCell('9007199254740993')).toBe('9007199254740993');
    expect(formatCell(null)).toBe('NULL');
  });

  it('profile figures: one format for counts, ranges and means, grouped and never rounded', () => {
    expect(formatStat(1234567)).toBe('1,234,567');
    expect(formatStat(49.5)).toBe('49.5');
    expect(formatStat(2 / 3)).toBe('0.6666666666666666');
    expect(formatStat('98')).toBe('98');
    expect(formatStat('2024-01-01')).toBe('2024-01-01');
    expect(formatStat(undefined)).toBe('');
  });

  it('profile figures: min and max show the value itself, so different values never look alike and a nonzero value never shows as 0 or -0', () => {
    expect(formatStat(1234567.891)).toBe('1,234,567.891');
    expect(formatStat(1234567.892)).toBe('1,234,567.892');
    expect(formatStat(0.00001234)).toBe('0.00001234');
    expect(formatStat(-0.00004)).toBe('-0.00004');
    expect(formatStat(-0)).toBe('0');
    expect(formatStat(1e-7)).toBe('1e-7');
    // Exact numbers that arrive as text keep every digit.
    expect(formatStat('4611688217450643458')).toBe('4,611,688,217,450,643,458');
    expect(formatStat('12345.678901')).toBe('12,345.678901');
  });
});
