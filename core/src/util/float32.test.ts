import { describe, expect, it } from 'vitest';
import { shortestFloat32 } from './float32.js';

describe('a FLOAT value is shown as the shortest decimal that is the same FLOAT', () => {
  it.each([
    [0.1, 0.1],
    [1 / 3, 0.33333334],
    [123456.789, 123456.79],
    [3.4028234663852886e38, 3.4028235e38],
    [1e-45, 1e-45],
    [2.5, 2.5],
  ])('%s', (written, shown) => {
    expect(shortestFloat32(Math.fround(written))).toBe(shown);
    expect(Math.fround(shortestFloat32(Math.fround(written)))).toBe(Math.fround(written));
  });

  it('keeps -0, infinities, NaN and doubles no FLOAT holds as they are', () => {
    expect(Object.is(shortestFloat32(-0), -0)).toBe(true);
    expect(shortestFloat32(Infinity)).toBe(Infinity);
    expect(shortestFloat32(NaN)).toBeNaN();
    expect(shortestFloat32(0.1)).toBe(0.1);
  });
});
