import { describe, expect, it } from 'vitest';
import { hasLineBreak, keepLineEndings, lineSeparatorOf } from './line-endings.js';

describe('line endings are kept as the file holds them', () => {
  it('a text with a line break of any kind needs a multi-line box', () => {
    expect(hasLineBreak('Checks\nline two')).toBe(true);
    expect(hasLineBreak('a\r\nb')).toBe(true);
    expect(hasLineBreak('a\rb')).toBe(true);
    expect(hasLineBreak('one line')).toBe(false);
    expect(hasLineBreak(undefined)).toBe(false);
  });

  it('an editor uses CRLF for a CRLF text and LF otherwise (so a stray CR stays a character)', () => {
    expect(lineSeparatorOf('SELECT *\r\nFROM qc')).toBe('\r\n');
    expect(lineSeparatorOf('SELECT *\nFROM qc')).toBe('\n');
    expect(lineSeparatorOf('SELECT *\r\nFROM qc\nWHERE x')).toBe('\n');
    expect(lineSeparatorOf('one line')).toBe('\n');
  });

  it("a textarea's LF is written back as CRLF where the text used CRLF, and left alone otherwise", () => {
    expect(keepLineEndings('a\r\nb', 'a\nb!')).toBe('a\r\nb!');
    expect(keepLineEndings('a\r\nb', 'a\nb\nc')).toBe('a\r\nb\r\nc');
    expect(keepLineEndings('a\nb', 'a\nb!')).toBe('a\nb!');
    expect(keepLineEndings(undefined, 'a\nb')).toBe('a\nb');
  });
});
