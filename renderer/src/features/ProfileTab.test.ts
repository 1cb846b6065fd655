import { describe, expect, it } from 'vitest';
import { patternSummary } from './ProfileTab.js';

describe('the profile of a text column without a histogram', () => {
  it('shows its commonest shapes with counts in the tab\'s one number format: thousands grouped', () => {
    expect(
      patternSummary([
        { value: 'xxxx_999999', count: 900000 },
        { value: 'xxx_99', count: 1234 },
        { value: 'x', count: 7 },
      ]),
    ).toBe('xxxx_999999 (900,000), xxx_99 (1,234)');
  });

  it('is empty when the profiler found no shapes', () => {
    expect(patternSummary(undefined)).toBe('');
  });
});
