import stringWidth from 'string-width';
import { describe, expect, it } from 'vitest';
import { formatTable } from './format.js';

describe('formatTable', () => {
  it('lines the columns up by what a terminal shows: wide East Asian characters, emoji, combining accents', () => {
    const table = formatTable(
      [
        { name: 'id', type: 'BIGINT' },
        { name: 'name', type: 'VARCHAR' },
        { name: 'n', type: 'INTEGER' },
      ],
      [
        { id: '1', name: 'José', n: 1 },
        { id: '2', name: '日本語', n: 2 },
        { id: '3', name: 'Zoë 😀', n: 3 },
        { id: '4', name: 'Jose\u0301', n: 4 },
      ],
    );
    const lines = table.split('\n');
    // Every │ at the same terminal column on every line.
    const bars = (line: string) => [...line.matchAll(/[│┼]/g)].map((m) => stringWidth(line.slice(0, m.index)));
    for (const line of lines) expect(bars(line), line).toEqual(bars(lines[0]!));
  });

  it('cuts a long value on a whole character, never half an emoji', () => {
    const long = `${'a'.repeat(38)}😀😀😀`;
    const [, , , row] = formatTable([{ name: 'v', type: 'VARCHAR' }], [{ v: long }]).split('\n');
    expect(row).toBe(`${'a'.repeat(38)}…`);
    expect(row).not.toMatch(/[\uD800-\uDFFF]/);
    const cjk = formatTable([{ name: 'v', type: 'VARCHAR' }], [{ v: '東'.repeat(30) }]).split('\n')[3]!;
    expect(stringWidth(cjk)).toBeLessThanOrEqual(40);
    expect(cjk.endsWith('東…')).toBe(true);
  });
});
