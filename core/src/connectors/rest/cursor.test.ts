import { describe, expect, it } from 'vitest';
import { compareCursor, CursorTracker } from './cursor.js';

describe('compareCursor: the order of incremental cursor values', () => {
  it('orders integers by value, whether JSON numbers or text of digits', () => {
    expect(compareCursor(10, 9)).toBeGreaterThan(0);
    expect(compareCursor(10, '9')).toBeGreaterThan(0);
    expect(compareCursor('10', '9')).toBeGreaterThan(0);
    expect(compareCursor('-10', '-9')).toBeLessThan(0);
    expect(compareCursor('+5', 5)).toBe(0);
    expect(compareCursor('007', '7')).toBe(0);
  });

  it('orders integers beyond 2^53 exactly (as doubles these two are one number)', () => {
    expect(Number('1234567890123456801')).toBe(Number('1234567890123456800'));
    expect(compareCursor('1234567890123456801', '1234567890123456800')).toBeGreaterThan(0);
    expect(compareCursor('1234567890123456900', '1234567890123456800')).toBeGreaterThan(0);
    expect(compareCursor('1234567890123456801', 1234567890123456800)).toBeGreaterThan(0);
    expect(compareCursor('99999999999999999999999999999999999999', '100000000000000000000000000000000000000')).toBeLessThan(0);
  });

  it('orders decimals by value, exactly', () => {
    expect(compareCursor(2.5, 10)).toBeLessThan(0);
    expect(compareCursor('2.5', '10')).toBeLessThan(0);
    expect(compareCursor('0.30000000000000001', '0.3')).toBeGreaterThan(0);
    expect(compareCursor('1e3', 999)).toBeGreaterThan(0);
    expect(compareCursor('1.50', 1.5)).toBe(0);
  });

  it('orders timestamps by instant, offsets included', () => {
    expect(compareCursor('2025-01-01T10:00:00+02:00', '2025-01-01T09:00:00Z')).toBeLessThan(0);
    expect(compareCursor('2025-01-02', '2025-01-01T23:59:59Z')).toBeGreaterThan(0);
  });

  it('orders other text by code points', () => {
    expect(compareCursor('b', 'a')).toBeGreaterThan(0);
    expect(compareCursor('a10', 'a9')).toBeLessThan(0);
  });
});

describe('CursorTracker', () => {
  /** The records of a page and their lines as the API wrote them (rest/record-lines.ts cuts these). */
  const page = (text: string[]) => ({ records: text.map((t) => JSON.parse(t) as unknown), lines: () => Buffer.from(`${text.join('\n')}\n`) });

  it('takes an integer beyond 2^53 from the record as the API wrote it, not as JSON.parse rounded it', () => {
    const t = new CursorTracker('meta.id');
    const p = page(['{"meta":{"id":1234567890123456900},"x":"é"}', '{"meta":{"id":1234567890123456800}}', '{"meta":{"id":5}}']);
    t.see(p.records, p.lines);
    expect(t.max).toBe('1234567890123456900');
    expect(t.withValue).toBe(3);
  });

  it('follows the path through a list, as the records are read (items.0.id)', () => {
    const t = new CursorTracker('items.0.id');
    const p = page(['{"items":[{"id":9007199254740993},{"id":1}]}']);
    t.see(p.records, p.lines);
    expect(t.max).toBe('9007199254740993');
  });

  it('counts records older than the value sent by value, when that value is text of digits', () => {
    const t = new CursorTracker('id', '9');
    const p = page(['{"id":10}', '{"id":11}', '{"id":8}']);
    t.see(p.records, p.lines);
    expect(t.older).toBe(1);
    expect(t.max).toBe(11);
  });

  it('refuses to guess the digits of an integer beyond 2^53 when the records were not cut from the answer', () => {
    const t = new CursorTracker('id');
    expect(() => t.see([{ id: 1234567890123456800 }])).toThrow(/the incremental cursor 'id' of a record is an integer beyond 2\^53 \(read as 1234567890123456800\), whose exact digits cannot be read/);
  });
});
