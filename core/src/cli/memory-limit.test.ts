import { describe, expect, it } from 'vitest';
import { parseMemoryLimit } from './args.js';

describe('--memory-limit', () => {
  it('takes sizes and shares of the RAM', () => {
    for (const v of ['512MB', '4GB', '1.5GiB', '64MB', '50%']) expect(parseMemoryLimit(v)).toBe(v);
  });

  it('refuses a limit no run can work under as a usage error, not DuckDB out-of-memory text at run time', () => {
    for (const v of ['1KB', '10MB']) expect(() => parseMemoryLimit(v)).toThrow(`--memory-limit ${v} is too small: a run needs at least 64MB`);
    for (const v of ['0%', '150%']) expect(() => parseMemoryLimit(v)).toThrow(`--memory-limit ${v}: a share of the RAM is more than 0% and at most 100%`);
    expect(() => parseMemoryLimit('lots')).toThrow('--memory-limit expects a size such as 512MB or 4GB, got "lots"');
  });
});
