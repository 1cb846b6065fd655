import { describe, expect, it } from 'vitest';
import { trimWhitespace } from './unicode-text.js';

describe('shared/unicode-text', () => {
  it('trimWhitespace removes the whitespace of transform.clean_text at both ends only', () => {
    expect(trimWhitespace('\t\u00a0 Paris \r\n\u3000')).toBe('Paris');
    expect(trimWhitespace('Saint\tDenis')).toBe('Saint\tDenis');
    expect(trimWhitespace('\u200bParis')).toBe('\u200bParis');
  });
});
