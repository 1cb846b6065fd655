import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Db } from '../../compiler/db.js';
import { columnStats } from './column-stats.js';

let db: Db;
beforeAll(async () => {
  db = await Db.open();
  await db.run(`CREATE TABLE t AS SELECT i AS a, 'x' || i AS s, i * 2.5 AS b FROM range(100) r(i)`);
});
afterAll(() => db.close());

const opts = { exact: true, exactDistinctBelow: 100_000, topK: 10, bins: 10 };
const steps = { step: () => {}, isCancelled: () => false };

describe('columnStats: one column never fails the whole profile', () => {
  it('a column whose statistics DuckDB refuses keeps its counts, and says why its figures are missing; the others keep theirs', async () => {
    // The second column is declared DOUBLE but holds text: DuckDB refuses isnan() on it.
    const r = await columnStats(db, 't', 100, [{ name: 'a', type: 'BIGINT' }, { name: 's', type: 'DOUBLE' }, { name: 'b', type: 'DECIMAL(5,1)' }], opts, steps);
    const [a, s, b] = r.profiles;
    expect(a).toMatchObject({ min: '0', max: '99', distinct: 100, nulls: 0 });
    expect(a!.stddev).toBeCloseTo(29.011491975882016, 9);
    expect(b).toMatchObject({ min: '0.0', max: '247.5', distinct: 100 });
    expect(b!.histogram!.reduce((n, x) => n + x.count, 0)).toBe(100);
    expect(s).toMatchObject({ name: 's', nulls: 0, distinct: 100 });
    expect(s!.min).toBeUndefined();
    expect(s!.notes).toEqual([expect.stringMatching(/^min, max, mean, standard deviation, quantiles and lengths not computed: .*isnan/)]);
  });
});
