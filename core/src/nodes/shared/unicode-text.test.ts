import { describe, expect, it } from 'vitest';
import { MAY_CHANGE_IN_NFC, trimWhitespace } from './unicode-text.js';

/** The RE2 class in JavaScript's spelling. */
const mayChange = new RegExp(MAY_CHANGE_IN_NFC.replace(/\\x\{([0-9A-F]+)\}/g, '\\u{$1}'), 'u');

describe('shared/unicode-text', () => {
  it('MAY_CHANGE_IN_NFC holds every character whose presence can make a text change in NFC', () => {
    const missing: string[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const c = String.fromCodePoint(cp);
      const covered = mayChange.test(c);
      // Changed on its own, or put before a mark of combining class 240 (so it has a class of its own).
      if (!covered && (c.normalize('NFC') !== c || ('\u0345' + c).normalize('NFD') !== '\u0345' + c.normalize('NFD'))) missing.push(cp.toString(16));
      // A composite's later parts compose with what precedes them: they must be in the set.
      if (c.normalize('NFC') === c && c.normalize('NFD') !== c)
        for (const part of [...c.normalize('NFD')].slice(1)) if (!mayChange.test(part)) missing.push(`${part.codePointAt(0)!.toString(16)} (in ${cp.toString(16)})`);
    }
    expect(missing).toEqual([]);
    expect(mayChange.test('Mérida Zoë 東京 ß')).toBe(false);
  });

  it('trimWhitespace removes the whitespace of transform.clean_text at both ends only', () => {
    expect(trimWhitespace('\t\u00a0 Paris \r\n\u3000')).toBe('Paris');
    expect(trimWhitespace('Saint\tDenis')).toBe('Saint\tDenis');
    expect(trimWhitespace('\u200bParis')).toBe('\u200bParis');
  });
});
