import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Db } from '../../compiler/db.js';
import { addDecimal, columnStats, scaledOfDouble } from './column-stats.js';

const opts = { exact: true, exactDistinctBelow: 100_000, topK: 10, bins: 20 };
const steps = { step: () => {}, isCancelled: () => false };

describe('decimal arithmetic on doubles is exact at every magnitude', () => {
  it('reads a double from its shortest decimal text, also beyond 1e21 where toFixed writes exponents', () => {
    expect(scaledOfDouble(2e24, 0)).toBe(2_000_000_000_000_000_000_000_000n);
    expect(scaledOfDouble(1.5e25, 2)).toBe(15n * 10n ** 26n);
    expect(scaledOfDouble(-3.25, 2)).toBe(-325n);
    expect(scaledOfDouble(1.5e-7, 8)).toBe(15n);
    expect(scaledOfDouble(1.5e-7, 6)).toBe(0n);
  });

  it('adds a large offset to an exact minimum without losing it', () => {
    expect(addDecimal('100000000000000000000000000000000000000', 4e25, 0)).toBe('100000000000040000000000000000000000000');
    expect(addDecimal('-1.50', 2.25, 2)).toBe('0.75');
  });
});

describe('quantiles and histogram of exact numbers near the top of their range', () => {
  let db: Db;
  beforeAll(async () => {
    db = await Db.open();
    await db.run(`CREATE TABLE t AS SELECT (100000000000000000000000000000000000000::HUGEINT + i * 10000000000000000000000000::HUGEINT) AS h,
      (10000000000000000000000000000000000000::DECIMAL(38,0) + i*1000000000000000000000000::DECIMAL(38,0))::DECIMAL(38,0) AS d,
      (4611686018427387904 + i*1099511627776 + i)::BIGINT AS b FROM range(0, 5) r(i)`);
  });
  afterAll(() => db.close());

  it('gives exact, distinct quantiles (as quantile_disc on the values confirms) and distinct histogram bounds', async () => {
    const cols = [{ name: 'h', type: 'HUGEINT' }, { name: 'd', type: 'DECIMAL(38,0)' }, { name: 'b', type: 'BIGINT' }];
    const r = await columnStats(db, 't', 5, cols, opts, steps);
    const [h, d, b] = r.profiles;
    const [exact] = await db.rows('SELECT quantile_disc(h, 0.5)::VARCHAR AS h, quantile_disc(d, 0.5)::VARCHAR AS d, quantile_disc(b, 0.5)::VARCHAR AS b FROM t');
    expect(h!.quantiles!.find((q) => q.p === 0.5)!.value).toBe(exact!.h);
    expect(d!.quantiles!.find((q) => q.p === 0.5)!.value).toBe(exact!.d);
    expect(b!.quantiles!.find((q) => q.p === 0.5)!.value).toBe('4611688217450643458');
    // p05: position 0.2 between the first two values.
    expect(h!.quantiles![0]!.value).toBe('100000000000002000000000000000000000000');
    for (const c of [h!, d!, b!]) {
      expect(new Set(c.quantiles!.map((q) => q.value)).size, c.name).toBe(5);
      const uppers = c.histogram!.map((x) => x.upper);
      expect(new Set(uppers).size, c.name).toBe(uppers.length);
      expect(uppers.every((u) => u !== c.min), c.name).toBe(true);
      expect(c.histogram!.reduce((n, x) => n + x.count, 0), c.name).toBe(5);
    }
    // The last bin reaches the maximum (its bound is a round number at or above it).
    expect(BigInt(String(h!.histogram!.at(-1)!.upper))).toBeGreaterThanOrEqual(BigInt(String(h!.max)));
    expect(BigInt(String(h!.histogram![0]!.upper))).toBeGreaterThan(BigInt(String(h!.min)));
  });

  it('keeps quantiles a double holds exactly as numbers', async () => {
    await db.run('CREATE TABLE s AS SELECT i::BIGINT AS i FROM range(50) r(i)');
    const r = await columnStats(db, 's', 50, [{ name: 'i', type: 'BIGINT' }], opts, steps);
    expect(r.profiles[0]!.quantiles!.map((q) => q.value)).toEqual([2.45, 12.25, 24.5, 36.75, 46.55]);
  });
});
