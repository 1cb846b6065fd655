import path from 'node:path';
import { createRequire } from 'node:module';
import type * as DuckDB from '@duckdb/node-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateEcommerceData } from '../resources/examples/ecommerce/generate-data.js';
import { profile, type ColumnProfile, type ProfileResult } from '../core/src/quality/profile/index.js';
import { CaudalError } from '../core/src/util/errors.js';
import { pipeline, tempDir } from './support/pipeline.js';

const { DuckDBInstance } = createRequire(import.meta.url)('@duckdb/node-api') as typeof DuckDB;

let dir: string;
let orders: string;
/** Independent answers: plain DuckDB over the same CSV files, outside Caudal. */
let ask: (sql: string) => Promise<Record<string, unknown>[]>;

beforeAll(async () => {
  dir = await tempDir('caudal-profile-');
  await generateEcommerceData({ orders: 20_000, outDir: dir, seed: 7 });
  orders = path.join(dir, 'orders.csv');
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  ask = async (sql) => (await conn.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
}, 120_000);

const doc = () =>
  pipeline([
    { id: 'orders', type: 'source.csv', params: { path: 'orders.csv' } },
    { id: 'customers', type: 'source.csv', params: { path: 'customers.csv' } },
  ]);
const col = (p: ProfileResult, name: string): ColumnProfile => p.columns.find((c) => c.name === name)!;
const q = (s: string) => `'${s.replaceAll("'", "''")}'`;

describe('profile: exact, checked against independent queries on the e-commerce data', () => {
  let p: ProfileResult;
  beforeAll(async () => {
    p = await profile(doc(), 'orders', { baseDir: dir, mode: 'exact' });
  }, 120_000);

  it('labels the profile as reading every row', () => {
    expect(p).toMatchObject({ nodeId: 'orders', port: 'out', sampled: false, method: 'all 20,000 rows', rows: 20_000, quantiles: 'exact' });
  });

  it('counts rows, NULLs and distinct values per column exactly', async () => {
    const src = `read_csv(${q(orders)})`;
    for (const c of p.columns) {
      const x = `"${c.name}"`;
      const [r] = await ask(`SELECT count(*) AS n, count(${x}) AS nn, count(DISTINCT ${x}) AS d, min(${x})::VARCHAR AS lo, max(${x})::VARCHAR AS hi FROM ${src}`);
      expect({ name: c.name, count: c.count, nulls: c.nulls, distinct: c.distinct, exact: c.distinctExact }).toEqual({ name: c.name, count: Number(r!.n), nulls: Number(r!.n) - Number(r!.nn), distinct: Number(r!.d), exact: true });
      expect(String(c.min)).toBe(String(r!.lo).replace(/\.0+$/, '').replace(/(\.\d*?)0+$/, '$1'));
      expect(c.nullPercent).toBeCloseTo((100 * (Number(r!.n) - Number(r!.nn))) / Number(r!.n), 10);
    }
    // The generator leaves some discounts empty: the profile must see them.
    expect(col(p, 'discount').nulls).toBeGreaterThan(0);
  });

  it('computes mean, standard deviation and quantiles of numbers', async () => {
    const [r] = await ask(`SELECT avg(quantity) AS m, stddev_samp(quantity) AS sd, quantile_cont(quantity::DOUBLE, [0.05, 0.25, 0.5, 0.75, 0.95]) AS qs, avg(discount) AS dm FROM read_csv(${q(orders)})`);
    const qty = col(p, 'quantity');
    expect(qty.category).toBe('number');
    expect(qty.mean).toBeCloseTo(Number(r!.m), 9);
    expect(qty.stddev).toBeCloseTo(Number(r!.sd), 9);
    expect(qty.quantiles!.map((x) => x.value)).toEqual(r!.qs);
    expect(col(p, 'discount').mean).toBeCloseTo(Number(r!.dm), 9);
  });

  it('lists top values with exact counts, most frequent first', async () => {
    const top = await ask(`SELECT status AS value, count(*)::INTEGER AS count FROM read_csv(${q(orders)}) WHERE status IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10`);
    expect(col(p, 'status').topValues).toEqual(top);
    const [{ n }] = (await ask(`SELECT count(*) AS n FROM read_csv(${q(orders)}) WHERE product_id = ${col(p, 'product_id').topValues[0]!.value}`)) as [{ n: string }];
    expect(col(p, 'product_id').topValues[0]!.count).toBe(Number(n));
  });

  it('bins numbers and dates into histograms that add up to the non-NULL rows', () => {
    for (const name of ['quantity', 'discount', 'order_date']) {
      const c = col(p, name);
      expect(c.histogram!.length).toBeGreaterThan(3);
      expect(c.histogram!.reduce((s, b) => s + b.count, 0)).toBe(c.count - c.nulls);
    }
    expect(col(p, 'order_date').category).toBe('date');
  });

  it('gives string lengths and value shapes (upper → X, lower → x, digit → 9)', async () => {
    const [r] = await ask(`SELECT min(length(status)) AS lo, max(length(status)) AS hi, avg(length(status)) AS m FROM read_csv(${q(orders)})`);
    const s = col(p, 'status');
    expect(s.lengths).toEqual({ min: Number(r!.lo), max: Number(r!.hi), mean: expect.closeTo(Number(r!.m), 9) as unknown as number });
    // Shapes computed here in JavaScript from every value.
    const values = (await ask(`SELECT status FROM read_csv(${q(orders)}) WHERE status IS NOT NULL`)).map((x) => String(x.status));
    const shapes = new Map<string, number>();
    for (const v of values) {
      const shape = v.replace(/\p{Lu}/gu, 'X').replace(/\p{Ll}/gu, 'x').replace(/\p{Nd}/gu, '9');
      shapes.set(shape, (shapes.get(shape) ?? 0) + 1);
    }
    const expected = [...shapes].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 10).map(([value, count]) => ({ value, count }));
    expect(s.patterns).toEqual(expected);
  });

  it('guesses semantic types: emails in text', async () => {
    const c = await profile(doc(), 'customers', { baseDir: dir, mode: 'exact' });
    expect(col(c, 'email').semanticType?.type).toBe('email');
    expect(col(c, 'name').semanticType).toBeUndefined();
  });
});

describe('profile: semantic guesses and shapes on small data', () => {
  it('recognizes urls, phones, dates, numbers and booleans kept as text', async () => {
    const src = `SELECT * FROM (VALUES
      ('https://a.example/x', '+34 600 123 456', '2024-01-05', '1,234.50', 'yes', 'Aa9'),
      ('http://b.example', '(555) 123-4567', '2024-02-10 10:00:00', '12', 'no', 'Zz0'),
      ('https://c.example/?q=1', '+1 555 987 6543', '2023-12-31', '-3.5', 'Y', 'Bb1')
    ) t(site, phone, day, amount, flag, code)`;
    const d = pipeline([{ id: 'src', type: 'transform.sql', params: { query: src } }]);
    const p = await profile(d, 'src', { baseDir: dir });
    expect(Object.fromEntries(p.columns.map((c) => [c.name, c.semanticType?.type ?? null]))).toEqual({
      site: 'url',
      phone: 'phone',
      day: 'date-in-text',
      amount: 'numeric-in-text',
      flag: 'boolean-ish',
      code: null,
    });
    expect(col(p, 'code').patterns).toEqual([{ value: 'Xx9', count: 3 }]);
    expect(p.sampled).toBe(false);
  });
});

describe('profile: two speeds', () => {
  it('samples the first rows by default, fast, and says so', async () => {
    const d = pipeline([{ id: 'big', type: 'transform.sql', params: { query: 'SELECT i, i % 7 AS k FROM range(2000000) r(i)' } }]);
    const p = await profile(d, 'big', { baseDir: dir, sampleRows: 50_000 });
    expect(p).toMatchObject({ sampled: true, rows: 50_000 });
    expect(p.method).toBe('sampled: the first 50,000 rows in read order (reading stopped there; ordered data may not be representative: use a random sample or the exact profile)');
    expect(col(p, 'k').distinct).toBe(7);
    expect(col(p, 'i').max).toBe('49999');
    // An id column: no top values, and the profile says why.
    expect(col(p, 'i').topValues).toEqual([]);
    expect(col(p, 'i').topValuesSkipped).toBe('all 50,000 values are distinct');
  });

  it('samples at random on request, and says how', async () => {
    const d = pipeline([{ id: 'big', type: 'transform.sql', params: { query: 'SELECT i, i % 7 AS k FROM range(2000000) r(i)' } }]);
    const p = await profile(d, 'big', { baseDir: dir, sampleRows: 50_000, sampleMethod: 'random' });
    expect(p.sampled).toBe(true);
    expect(p.method).toMatch(/^sampled: [\d,]+ rows (from a system sample of about 1%|by reservoir sampling)/);
    expect(p.rows).toBeLessThanOrEqual(50_000);
    expect(p.rows).toBeGreaterThan(10_000);
    // Spread over the whole range, not the first rows.
    expect(Number(col(p, 'i').max)).toBeGreaterThan(1_000_000);
    // A mid-sized output: too small for 20+ blocks, so a uniform reservoir over every row.
    const mid = await profile(doc(), 'orders', { baseDir: dir, sampleRows: 1000, sampleMethod: 'random' });
    expect(mid).toMatchObject({ sampled: true, rows: 1000, method: 'sampled: 1,000 rows by reservoir sampling over all rows (uniform)' });
  });

  it('reports progress of an exact profile, and can be cancelled', async () => {
    const steps: number[] = [];
    await profile(doc(), 'orders', { baseDir: dir, mode: 'exact', onProgress: (pct) => steps.push(pct) });
    expect(steps[0]).toBe(0);
    expect(steps.at(-1)).toBe(100);
    expect([...steps].sort((a, b) => a - b)).toEqual(steps);

    const slow = pipeline([{ id: 'slow', type: 'transform.sql', params: { query: 'SELECT i, md5(i::VARCHAR) AS h FROM range(400000000) r(i)' } }]);
    const ctl = new AbortController();
    const started = Date.now();
    const p = profile(slow, 'slow', { baseDir: dir, mode: 'exact', signal: ctl.signal, onProgress: () => setTimeout(() => ctl.abort(), 300) });
    await expect(p).rejects.toThrow(CaudalError);
    await expect(p).rejects.toMatchObject({ kind: 'cancelled' });
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('refuses sinks and unknown ports', async () => {
    await expect(profile(doc(), 'nope', { baseDir: dir })).rejects.toThrow("no node 'nope'");
    await expect(profile(doc(), 'orders', { baseDir: dir, port: 'x' })).rejects.toThrow("node 'orders' has no output port 'x'");
  });
});
