import path from 'node:path';
import { createRequire } from 'node:module';
import type * as DuckDB from '@duckdb/node-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateEcommerceData } from '../resources/examples/ecommerce/generate-data.js';
import { formatProfile } from '../core/src/cli/profile.js';
import { profile, type ColumnProfile, type ProfileResult } from '../core/src/quality/profile/index.js';
import { renderProfileHtml } from '../core/src/quality/profile/report-html.js';
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

describe('profile: values a DOUBLE cannot average (NaN, infinities, huge numbers, wide exact numbers)', () => {
  const sqlNode = (query: string) => pipeline([{ id: 'src', type: 'transform.sql', params: { query } }]);

  it('counts NaN and ±Infinity, and computes mean, stddev, quantiles and histogram over the finite values', async () => {
    const query = `SELECT i AS id, CASE WHEN i = 3 THEN 'nan'::DOUBLE WHEN i = 4 THEN 'inf'::DOUBLE WHEN i = 5 THEN '-inf'::DOUBLE ELSE (i * 1.5)::DOUBLE END AS price,
      CASE WHEN i = 7 THEN 'nan'::FLOAT ELSE i::FLOAT END AS f FROM range(1000) r(i)`;
    for (const mode of ['exact', 'sample'] as const) {
      const p = await profile(sqlNode(query), 'src', { baseDir: dir, mode });
      const price = col(p, 'price');
      const [r] = await ask(`SELECT avg(x) AS m, stddev_samp(x) AS sd, quantile_cont(x, [0.05, 0.25, 0.5, 0.75, 0.95]) AS qs FROM (SELECT (i * 1.5)::DOUBLE AS x FROM range(1000) r(i) WHERE i NOT IN (3, 4, 5))`);
      expect(price.nonFinite).toEqual({ nan: 1, infinity: 1, negativeInfinity: 1 });
      expect(price.mean).toBeCloseTo(Number(r!.m), 9);
      expect(price.stddev).toBeCloseTo(Number(r!.sd), 9);
      expect(price.quantiles!.map((q) => q.value)).toEqual(r!.qs);
      expect(price.histogram!.reduce((s, b) => s + b.count, 0)).toBe(997);
      // Infinities are ordered values; NaN is not, and is counted instead.
      expect([price.min, price.max]).toEqual(['-Infinity', 'Infinity']);
      expect(price.notes).toEqual(['mean, standard deviation, quantiles and histogram are over the 997 finite values (1 NaN, 1 +Infinity, 1 -Infinity left out); min and max leave NaN out']);
      expect(col(p, 'f')).toMatchObject({ nonFinite: { nan: 1, infinity: 0, negativeInfinity: 0 }, min: 0, max: 999 });
      // Columns holding only finite values say nothing of the kind.
      expect(col(p, 'id').nonFinite).toBeUndefined();
      expect(col(p, 'id').notes).toBeUndefined();
    }
  });

  it('handles doubles so large that their squares overflow (1e308): the moments are computed scaled', async () => {
    const p = await profile(sqlNode('SELECT 1e308::DOUBLE * (i % 2) AS big, -0.85e308::DOUBLE * (i % 3) AS neg FROM range(50) r(i)'), 'src', { baseDir: dir, mode: 'exact' });
    const [r] = await ask('SELECT avg(big / 1e300) * 1e300 AS m, stddev_samp(big / 1e300) * 1e300 AS sd, avg(neg / 1e300) * 1e300 AS nm, stddev_samp(neg / 1e300) * 1e300 AS nsd FROM (SELECT 1e308::DOUBLE * (i % 2) AS big, -0.85e308::DOUBLE * (i % 3) AS neg FROM range(50) r(i))');
    const big = col(p, 'big');
    expect(big.mean! / Number(r!.m)).toBeCloseTo(1, 12);
    expect(big.stddev! / Number(r!.sd)).toBeCloseTo(1, 12);
    expect(big.histogram!.reduce((s, b) => s + b.count, 0)).toBe(50);
    expect(big.histogram![0]).toMatchObject({ count: 25 });
    expect(big.histogram!.at(-1)!.upper as number).toBeGreaterThanOrEqual(1e308);
    const neg = col(p, 'neg');
    expect(neg.mean! / Number(r!.nm)).toBeCloseTo(1, 12);
    expect(neg.stddev! / Number(r!.nsd)).toBeCloseTo(1, 12);
    expect(neg.histogram!.reduce((s, b) => s + b.count, 0)).toBe(50);
  });

  it("completes when dates and timestamps hold 'infinity' and '-infinity': counted, left out of the histogram", async () => {
    const query = `SELECT CASE WHEN i = 3 THEN TIMESTAMP 'infinity' WHEN i = 4 THEN TIMESTAMP '-infinity' ELSE TIMESTAMP '2024-01-01' + i * INTERVAL 1 DAY END AS valid_to,
      CASE WHEN i = 5 THEN DATE 'infinity' ELSE DATE '2024-01-01' + i::INT END AS d,
      CASE WHEN i = 6 THEN TIMESTAMPTZ '-infinity' ELSE TIMESTAMPTZ '2024-01-01 00:00:00+00' + i * INTERVAL 1 HOUR END AS tz FROM range(1000) r(i)`;
    const p = await profile(sqlNode(query), 'src', { baseDir: dir, mode: 'exact' });
    const v = col(p, 'valid_to');
    expect(v).toMatchObject({ min: '-infinity', max: 'infinity', nonFinite: { nan: 0, infinity: 1, negativeInfinity: 1 } });
    expect(v.histogram!.reduce((s, b) => s + b.count, 0)).toBe(998);
    expect(v.notes).toEqual(['the histogram is over the 998 finite values (1 infinity, 1 -infinity left out)']);
    expect(col(p, 'd')).toMatchObject({ max: 'infinity', nonFinite: { nan: 0, infinity: 1, negativeInfinity: 0 } });
    expect(col(p, 'd').histogram!.reduce((s, b) => s + b.count, 0)).toBe(999);
    expect(col(p, 'tz')).toMatchObject({ min: '-infinity', nonFinite: { nan: 0, infinity: 0, negativeInfinity: 1 } });
    expect(col(p, 'tz').histogram!.reduce((s, b) => s + b.count, 0)).toBe(999);
  });

  it('keeps DECIMAL(38,x), HUGEINT, UBIGINT and BIGINT values apart that a DOUBLE would merge: no false "stddev 0"', async () => {
    const query = `SELECT (12345678901234567890.12 + i)::DECIMAL(38,2) AS dec, (170141183460469231731687303715884105727 - i)::HUGEINT AS huge,
      (18446744073709551615 - i)::UBIGINT AS ubig, (9007199254740993 + i * 2)::BIGINT AS big, i::BIGINT AS small FROM range(50) r(i)`;
    const p = await profile(sqlNode(query), 'src', { baseDir: dir, mode: 'exact' });
    // stddev_samp of 0, 1, …, 49 (shifted, which changes nothing), and of 0, 2, …, 98.
    const [r] = await ask('SELECT stddev_samp(i) AS sd, quantile_cont(i, [0.05, 0.25, 0.5, 0.75, 0.95]) AS qs FROM range(50) r(i)');
    const sd = Number(r!.sd);
    const qs = r!.qs as number[];
    for (const name of ['dec', 'huge', 'ubig']) expect(col(p, name).stddev, name).toBeCloseTo(sd, 9);
    expect(col(p, 'big').stddev).toBeCloseTo(2 * sd, 9);
    // Quantiles as exact decimal text: the minimum plus the quantile of the distances.
    expect(qs).toEqual([2.45, 12.25, 24.5, 36.75, 46.55]);
    expect(col(p, 'dec').quantiles!.map((q) => q.value)).toEqual(['12345678901234567892.57', '12345678901234567902.37', '12345678901234567914.62', '12345678901234567926.87', '12345678901234567936.67']);
    expect(col(p, 'huge').quantiles!.map((q) => q.value)).toEqual(['170141183460469231731687303715884105680.45', '170141183460469231731687303715884105690.25', '170141183460469231731687303715884105702.5', '170141183460469231731687303715884105714.75', '170141183460469231731687303715884105724.55']);
    for (const name of ['dec', 'huge', 'ubig', 'big']) {
      const c = col(p, name);
      expect(new Set(c.quantiles!.map((q) => q.value)).size, name).toBe(5);
      expect(c.histogram!.length, name).toBeGreaterThan(3);
      expect(c.histogram!.reduce((s, b) => s + b.count, 0), name).toBe(50);
      // Quantiles are exact already (the values around each position, interpolated in exact decimals).
      expect(c.notes, name).toEqual(["standard deviation and histogram computed from each value's distance to the minimum (as DOUBLE these values look alike); the mean is the nearest DOUBLE"]);
    }
    expect(col(p, 'dec').histogram!.at(-1)!.upper).toBe('12345678901234567940.12');
    // A BIGINT that DOUBLE holds well keeps the usual, faster computation.
    expect(col(p, 'small').notes).toBeUndefined();
    expect(col(p, 'small').quantiles!.map((q) => q.value)).toEqual(qs);
  });
});

describe('profile: how values are shown', () => {
  const query = `SELECT [(i % 3)::INT, 1] AS lst, {'a': (i % 2)::INT, 'b': 'x'} AS st, MAP {'k': (i % 2)::INT} AS mp, ['0,1'] AS txt_list, '0,1' AS txt,
    E'line1\\nline2 fake: nulls 0' AS nl, E'\\x1b[31mRED\\x1b[0m' AS ansi, 'back\\slash' AS bs, i * 1.5 AS x FROM range(50) r(i)`;
  let p: ProfileResult;
  beforeAll(async () => {
    p = await profile(pipeline([{ id: 'src', type: 'transform.sql', params: { query } }]), 'src', { baseDir: dir, mode: 'exact' });
  });

  it('text output: lists, structs and maps as JSON, never [object Object] or a bare "0,1"', () => {
    const text = formatProfile(p);
    expect(text).not.toContain('[object Object]');
    expect(text).toContain('top: [0,1] (17), [1,1] (17), [2,1] (16)');
    expect(text).toContain('top: {"a":0,"b":"x"} (25), {"a":1,"b":"x"} (25)');
    expect(text).toMatch(/top: \[\{"key":"k","value":0\}\] \(25\)/);
    // A list holding the text "0,1" and the text itself look different.
    expect(text).toContain('top: ["0,1"] (50)');
    expect(text).toMatch(/\n {4}nulls 0 \(0\.00%\) {2}distinct 1 {2}min "0,1" {2}max "0,1"\n/);
  });

  it('text output: control characters are escaped, so a value cannot forge a line or drive the terminal', () => {
    const text = formatProfile(p);
    expect(text).not.toContain('\x1b');
    expect(text).not.toMatch(/^line2/m);
    // Text values are quoted (so '' and ' ' can be told apart).
    expect(text).toContain('min "line1\\nline2 fake: nulls 0"  max "line1\\nline2 fake: nulls 0"');
    expect(text).toContain('top: "\\x1b[31mRED\\x1b[0m" (50)');
    expect(text).toContain('min "back\\\\slash"');
    // Numbers as before.
    expect(text).toContain('min 0.0  max 73.5');
  });

  it('HTML: nested values as JSON, escaped', () => {
    const html = renderProfileHtml(p);
    expect(html).not.toContain('[object Object]');
    expect(html).toContain('<td>{&quot;a&quot;:0,&quot;b&quot;:&quot;x&quot;}</td>');
    expect(html).toContain('<td>[0,1]</td>');
    expect(html).toContain('<td>[&quot;0,1&quot;]</td>');
  });

  it('text and HTML output show NaN and infinities, and the notes that explain the figures', async () => {
    const q = `SELECT CASE WHEN i = 3 THEN 'nan'::DOUBLE WHEN i = 4 THEN 'inf'::DOUBLE ELSE i END AS price FROM range(10) r(i)`;
    const r = await profile(pipeline([{ id: 'src', type: 'transform.sql', params: { query: q } }]), 'src', { baseDir: dir });
    const text = formatProfile(r);
    expect(text).toContain('    not finite: 1 NaN, 1 +Infinity\n');
    expect(text).toContain('    note: mean, standard deviation, quantiles and histogram are over the 8 finite values (1 NaN, 1 +Infinity left out); min and max leave NaN out');
    const html = renderProfileHtml(r);
    expect(html).toContain('<tr><th>not finite</th><td>1 NaN, 1 +Infinity</td></tr>');
    expect(html).toContain('<tr><th>note</th><td>mean, standard deviation');
  });
});
