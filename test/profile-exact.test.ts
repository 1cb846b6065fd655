import path from 'node:path';
import { createRequire } from 'node:module';
import type * as DuckDB from '@duckdb/node-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatProfile } from '../core/src/cli/profile.js';
import { profile, type ColumnProfile, type ProfileResult } from '../core/src/quality/profile/index.js';
import { renderProfileHtml } from '../core/src/quality/profile/report-html.js';
import { pipeline, tempDir } from './support/pipeline.js';

const { DuckDBInstance } = createRequire(import.meta.url)('@duckdb/node-api') as typeof DuckDB;

/**
 * Data built so that DuckDB's approx_count_distinct (HyperLogLog) is measurably off: 200k+ distinct
 * dates, strings, integers and timestamps, most values seen once or twice (so the top values are
 * decided by ties), a few frequent ones, NULLs, and columns of other types (double, boolean, list).
 */
const ROWS = 300_000;
const GENERATE = `SELECT
  CASE WHEN i % 97 = 0 THEN DATE '2020-01-01' + (i % 5)::INT ELSE DATE '1800-01-01' + ((i * 7919) % 230000)::INT END AS d,
  CASE WHEN i % 89 = 0 THEN 'frequent-' || (i % 3) WHEN i % 1000 = 1 THEN NULL ELSE 'k' || ((i * 104729) % 260000) END AS s,
  (i * 31) % 250007 AS n,
  TIMESTAMP '2001-01-01' + to_seconds(((i * 13) % 220000)::BIGINT) AS ts,
  CASE WHEN i % 10 = 3 THEN NULL ELSE ((i * 17) % 1000) / 7.0 END AS x,
  i % 3 = 0 AS b,
  [i % 3, i % 5] AS l,
  i AS id
FROM range(${ROWS}) r(i)`;

let dir: string;
let file: string;
/** Independent answers: plain DuckDB over the same Parquet file, outside Caudal. */
let ask: (sql: string) => Promise<Record<string, unknown>[]>;
const src = () => `read_parquet('${file.replaceAll("'", "''")}')`;
const doc = () => pipeline([{ id: 'src', type: 'source.parquet', params: { path: 'data.parquet' } }]);
const col = (p: ProfileResult, name: string): ColumnProfile => p.columns.find((c) => c.name === name)!;

beforeAll(async () => {
  dir = await tempDir('caudal-profile-exact-');
  file = path.join(dir, 'data.parquet');
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  ask = async (sql) => (await conn.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
  await conn.run(`COPY (${GENERATE}) TO '${file.replaceAll("'", "''")}' (FORMAT parquet)`);
}, 120_000);

describe('exact profile: exact figures for every column, checked against independent queries', () => {
  let p: ProfileResult;
  beforeAll(async () => {
    p = await profile(doc(), 'src', { baseDir: dir, mode: 'exact' });
  }, 120_000);

  it('the data is such that the HyperLogLog estimate is wrong (else this test would prove nothing)', async () => {
    for (const c of ['d', 's', 'n', 'ts']) {
      const [r] = await ask(`SELECT approx_count_distinct(${c}) AS a, count(DISTINCT ${c}) AS e FROM ${src()}`);
      expect(Number(r!.e)).toBeGreaterThan(200_000);
      expect(Number(r!.a), c).not.toBe(Number(r!.e));
    }
  });

  it('counts distinct values exactly (count(DISTINCT …)) for every column type', async () => {
    for (const c of p.columns) {
      const [r] = await ask(`SELECT count(DISTINCT "${c.name}") AS d FROM ${src()}`);
      expect({ name: c.name, distinct: c.distinct, exact: c.distinctExact, error: c.distinctError }).toEqual({ name: c.name, distinct: Number(r!.d), exact: true, error: undefined });
    }
  });

  it('lists the exact top values: by count, ties broken by value, for every column type', async () => {
    for (const c of p.columns) {
      const x = `"${c.name}"`;
      if (c.name === 'id') {
        expect(c.topValues).toEqual([]);
        expect(c.topValuesSkipped).toBe(`all ${ROWS.toLocaleString('en-US')} values are distinct`);
        continue;
      }
      const top = await ask(`SELECT ${x} AS value, count(*)::INTEGER AS count FROM ${src()} WHERE ${x} IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10`);
      expect({ name: c.name, top: c.topValues, estimated: c.topValuesEstimated }).toEqual({ name: c.name, top, estimated: undefined });
    }
    // Ties decide most of the list: the first ten by count include values seen only twice.
    expect(col(p, 'd').topValues.at(-1)!.count).toBe(2);
  });

  it('gives the same answer every time', async () => {
    const again = await profile(doc(), 'src', { baseDir: dir, mode: 'exact' });
    // Means and deviations are sums of doubles in parallel: their last digits depend on the order.
    const rounded = (cs: ColumnProfile[]) => cs.map((c) => ({ ...c, mean: c.mean && Number(c.mean.toPrecision(12)), stddev: c.stddev && Number(c.stddev.toPrecision(12)) }));
    expect(rounded(again.columns)).toEqual(rounded(p.columns));
  });

  it('computes exact quantiles, also above a million rows', async () => {
    const [r] = await ask(`SELECT quantile_cont(x::DOUBLE, [0.05, 0.25, 0.5, 0.75, 0.95]) AS q FROM ${src()}`);
    expect(col(p, 'x').quantiles!.map((q) => q.value)).toEqual(r!.q);
    const big = pipeline([{ id: 'big', type: 'transform.sql', params: { query: 'SELECT (i * 7919) % 1000003 AS v FROM range(1200000) r(i)' } }]);
    const pb = await profile(big, 'big', { baseDir: dir, mode: 'exact' });
    const [rb] = await ask(`SELECT quantile_cont(((i * 7919) % 1000003)::DOUBLE, [0.05, 0.25, 0.5, 0.75, 0.95]) AS q FROM range(1200000) r(i)`);
    expect(pb.quantiles).toBe('exact');
    // A BIGINT column's quantiles are interpolated exactly (50000.95), where DuckDB's DOUBLE arithmetic gives 50000.950000000004.
    const got = col(pb, 'v').quantiles!.map((q) => q.value as number);
    (rb!.q as number[]).forEach((x, k) => expect(got[k]).toBeCloseTo(x, 6));
    expect(got[0]).toBe(50000.95);
  });

  it('shapes text from every value, not the first 100,000', async () => {
    const s = col(p, 's');
    expect(s.patternsFrom).toBeUndefined();
    expect(s.patterns!.reduce((sum, t) => sum + t.count, 0)).toBe(s.count - s.nulls);
  });
});

describe('sampled profile: estimates are labelled with their expected error', () => {
  it('marks a HyperLogLog distinct count and approximate top-value candidates', async () => {
    // 300,000 rows fit the sample, but more than exactDistinctBelow (100,000): distinct values are estimated.
    const p = await profile(doc(), 'src', { baseDir: dir, sampleRows: ROWS });
    const d = col(p, 'd');
    expect(d).toMatchObject({ distinctExact: false, distinctError: 0.13, topValuesEstimated: true });
    // Few distinct values are still counted exactly, and their top values come from every value.
    expect(col(p, 'b')).toMatchObject({ distinct: 2, distinctExact: true });
    expect(col(p, 'b').distinctError).toBeUndefined();
    expect(col(p, 'b').topValuesEstimated).toBeUndefined();

    expect(formatProfile(p)).toContain(`distinct ≈${d.distinct.toLocaleString('en-US')} (estimate, ±13%)`);
    expect(formatProfile(p)).toMatch(/top \(estimated candidates\): /);
    const html = renderProfileHtml(p);
    expect(html).toContain(`≈${d.distinct.toLocaleString('en-US')} (estimate, ±13%)`);
    expect(html).toContain('Top values (estimated candidates');
  });

  it('an exact profile shows no estimate labels', async () => {
    const p = await profile(doc(), 'src', { baseDir: dir, mode: 'exact' });
    expect(formatProfile(p)).not.toMatch(/≈|estimat|approx/);
    expect(renderProfileHtml(p)).not.toMatch(/≈|estimat|approx/);
  });
});
