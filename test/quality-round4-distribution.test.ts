import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runPipeline } from '../core/src/engine/engine.js';
import { judgeDistribution, type DistributionRule } from '../core/src/quality/distribution.js';
import { historyPath, readHistory, type HistoryEntry } from '../core/src/quality/history.js';
import { inDb } from './support/duckdb.js';
import { pipeline, tempDir } from './support/pipeline.js';

const rule: DistributionRule = { metric: 'mean', maxSigma: 3, minHistory: 3, window: 30 };
const history = (...values: number[]): HistoryEntry[] => values.map((value, i) => ({ at: `2024-01-0${i + 1}T00:00:00Z`, runId: `r${i}`, value }));

describe('distribution: floating-point noise is no change', () => {
  it('passes a mean that differs from a flat history only in its last digits (parallel summation)', () => {
    // The tester's values: the same file, summed in another order.
    const v = judgeDistribution(1000097.3458426006, history(1000097.3458425903, 1000097.3458425903, 1000097.3458425903), rule);
    expect(v.passed).toBe(true);
    expect(v.details[1]).toContain('is 0σ from the mean');
  });

  it('passes noise around a history whose values themselves differ only by noise', () => {
    const v = judgeDistribution(1000097.3458426099, history(1000097.3458425935, 1000097.3458425883, 1000097.3458426022), rule);
    expect(v.passed).toBe(true);
  });

  it('still fails a real change of a flat history, showing enough digits to see it', () => {
    const v = judgeDistribution(1000097.4458, history(1000097.3458, 1000097.3458, 1000097.3458), rule);
    expect(v.passed).toBe(false);
    expect(v.details).toEqual(['previous 3 runs: mean 1000097.346, standard deviation 0', 'today 1000097.446 is ∞σ from the mean (limit 3σ)']);
    // With six significant digits both would read 1000100.
    const w = judgeDistribution(1000097.3558, history(1000097.3458, 1000097.3458, 1000097.3458), rule);
    expect(w.passed).toBe(false);
    expect(w.details).toEqual(['previous 3 runs: mean 1000097.3458, standard deviation 0', 'today 1000097.3558 is ∞σ from the mean (limit 3σ)']);
  });

  it('still judges ordinary variation in σ', () => {
    const v = judgeDistribution(14, history(10, 11, 9, 10), rule);
    expect(v.passed).toBe(false);
    expect(v.details[1]).toBe('today 14 is 4.89898σ from the mean (limit 3σ)');
    expect(judgeDistribution(11, history(10, 11, 9, 10), rule).passed).toBe(true);
  });

  it('fails an infinite or NaN mean (a column holding Infinity) however wide the noise', () => {
    expect(judgeDistribution(Infinity, history(1e6, 1e6, 1e6), rule).passed).toBe(false);
    expect(judgeDistribution(Infinity, history(1e6, 2e6, 1.5e6), rule).passed).toBe(false);
    expect(judgeDistribution(NaN, history(1e6, 2e6, 1.5e6), rule).passed).toBe(false);
  });

  it('keeps exact comparisons where the values are small (a null rate of 0 against 0.001)', () => {
    expect(judgeDistribution(0.001, history(0, 0, 0), rule).passed).toBe(false);
    expect(judgeDistribution(0, history(0, 0, 0), rule).passed).toBe(true);
  });
});

describe('distribution: the same data gives the same verdict, run after run', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir('caudal-quality-round4-dist-');
    // A million doubles in small row groups: DuckDB sums them on several threads, in any order.
    await inDb(':memory:', `COPY (SELECT (hash(i) % 2000000)::DOUBLE / 1.7 + 1e6 AS x FROM range(1000000) t(i)) TO '${path.join(dir, 'x.parquet')}' (ROW_GROUP_SIZE 50000)`);
  });

  it('passes every run of an unchanged file judged against a flat history recorded from that file', async () => {
    const doc = pipeline(
      [
        { id: 'src', type: 'source.parquet', params: { path: 'x.parquet' } },
        { id: 'q', type: 'quality.check', params: { checks: [{ name: 'mean x', kind: 'distribution', column: 'x', metric: 'mean', min_history: 3, window: 30, severity: 'error' }] } },
      ],
      ['src -> q'],
      { name: 'same data' },
    );
    const stateDir = path.join(dir, 'state');
    const run = (i: number) => runPipeline({ pipeline: doc, baseDir: dir, stateDir, artifactsDir: path.join(dir, `artifacts_${i}`), options: { threads: 2 } });
    // The first run records the file's mean; earlier runs on the same file recorded the same value.
    const first = await run(0);
    expect(first.status).toBe('succeeded');
    const file = historyPath(stateDir, 'same data', 'q');
    const recorded = (await readHistory(file)).checks['mean x']!;
    expect(recorded).toHaveLength(1);
    await writeFile(file, JSON.stringify({ version: 1, checks: { 'mean x': [recorded[0], recorded[0], recorded[0]] } }));
    const verdicts: string[] = [];
    for (let i = 1; i <= 4; i++) {
      const summary = await run(i);
      const c = summary.quality?.nodes[0]?.checks[0];
      verdicts.push(`${summary.status} ${c?.passed} ${c?.details.join('; ')}`);
    }
    for (const v of verdicts) expect(v).toMatch(/^succeeded true .*today .* is 0σ from the mean/);
  }, 120_000);
});
