import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { runPipeline, startRun } from '../core/src/engine/engine.js';
import type { RunEvent } from '../core/src/engine/protocol.js';
import type { CheckResult, NodeQualityResult } from '../core/src/quality/types.js';
import { pipeline, preview, problemsOf, tempDir } from './support/pipeline.js';

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-quality-');
});

const ORDERS = `SELECT * FROM (VALUES
  (1, 'ann@example.com', 'paid',    10.5, DATE '2024-01-05', 'ES-0001', 'ES'),
  (2, 'bob@example',     'shipped', 250.0, DATE '2024-02-10', 'ES-0002', 'FR'),
  (3, NULL,              'lost',    NULL,  DATE '2023-12-31', 'XX-3',    'ES'),
  (3, 'dee@example.com', 'paid',    -1.0,  NULL,              'ES-0004', 'ZZ'),
  (5, 'eve@example.com', NULL,      99.0,  DATE '2024-03-01', 'ES-0005', NULL)
) t(id, email, status, amount, order_date, code, country)`;
const COUNTRIES = "SELECT * FROM (VALUES ('ES', 'Spain'), ('FR', 'France')) t(code, name)";

type Check = Record<string, unknown>;
let n = 0;

/** Runs src → quality.check (→ sinks on out and rejected), with its own state and artifacts folders. */
async function check(checks: Check[], opts: { src?: string; ref?: string; extra?: Record<string, unknown>; stateDir?: string; name?: string } = {}) {
  const id = ++n;
  const doc = pipeline(
    [
      { id: 'src', type: 'transform.sql', params: { query: opts.src ?? ORDERS } },
      { id: 'countries', type: 'transform.sql', params: { query: opts.ref ?? COUNTRIES } },
      { id: 'q', type: 'quality.check', params: { checks, ...opts.extra } },
      { id: 'good', type: 'sink.csv', params: { path: `good_${id}.csv` } },
      { id: 'bad', type: 'sink.csv', params: { path: `bad_${id}.csv` } },
    ],
    ['src -> q', 'countries -> q:reference', 'q:out -> good', 'q:rejected -> bad'],
    { name: opts.name ?? `quality test ${id}` },
  );
  const events: RunEvent[] = [];
  const artifactsDir = path.join(dir, `artifacts_${id}`);
  const summary = await runPipeline({ pipeline: doc, baseDir: dir, stateDir: opts.stateDir ?? path.join(dir, `state_${id}`), artifactsDir, onEvent: (e) => events.push(e) });
  const result = summary.quality?.nodes[0] as NodeQualityResult | undefined;
  const byName = (name: string): CheckResult => {
    const c = result?.checks.find((x) => x.name === name);
    if (!c) throw new Error(`no result for check '${name}': ${JSON.stringify(summary.error ?? summary.quality)}`);
    return c;
  };
  return { summary, events, result, byName, artifactsDir, good: path.join(dir, `good_${id}.csv`), bad: path.join(dir, `bad_${id}.csv`) };
}

const outcome = (c: CheckResult) => ({ passed: c.passed, failed: c.rowsFailed });

describe('quality.check: row checks, passing and failing', () => {
  it('evaluates every row check kind on the same data, with exact failing counts', async () => {
    const r = await check(
      [
        { name: 'email present', kind: 'not_null', column: 'email', severity: 'warn' },
        { name: 'id present', kind: 'not_null', column: 'id', severity: 'warn' },
        { name: 'id unique', kind: 'unique', columns: ['id'], severity: 'warn' },
        { name: 'id+email unique', kind: 'unique', columns: ['id', 'email'], severity: 'warn' },
        { name: 'code unique', kind: 'unique', columns: ['code'], severity: 'warn' },
        { name: 'amount 0..100', kind: 'between', column: 'amount', min: 0, max: 100, severity: 'warn' },
        { name: 'amount >= -5', kind: 'between', column: 'amount', min: -5, severity: 'warn' },
        { name: 'in 2024', kind: 'between', column: 'order_date', min: '2024-01-01', max: '2024-12-31', severity: 'warn' },
        { name: 'known status', kind: 'in_set', column: 'status', values: ['paid', 'shipped'], severity: 'warn' },
        { name: 'small ids', kind: 'in_set', column: 'id', values: [1, 2, 3, 5], severity: 'warn' },
        { name: 'email shape', kind: 'matches_regex', column: 'email', pattern: '[^@]+@[^@]+\\.[a-z]+', severity: 'warn' },
        { name: 'code shape', kind: 'matches_regex', column: 'code', pattern: 'ES-\\d{4}', severity: 'warn' },
        { name: 'code length', kind: 'length_between', column: 'code', min: 7, max: 7, severity: 'warn' },
        { name: 'status short', kind: 'length_between', column: 'status', max: 10, severity: 'warn' },
        { name: 'positive', kind: 'expression', expression: 'amount > 0', severity: 'warn' },
        { name: 'tautology', kind: 'expression', expression: 'id = id', severity: 'warn' },
        { name: 'known country', kind: 'references', column: 'country', reference_column: 'code', severity: 'warn' },
      ],
      { extra: { samples: 2 } },
    );
    expect(r.summary.status).toBe('succeeded');
    const got = Object.fromEntries(r.result!.checks.map((c) => [c.name, outcome(c)]));
    expect(got).toEqual({
      'email present': { passed: false, failed: 1 },
      'id present': { passed: true, failed: 0 },
      'id unique': { passed: false, failed: 2 },
      // (3, NULL) has a NULL in the key, so it never collides.
      'id+email unique': { passed: true, failed: 0 },
      'code unique': { passed: true, failed: 0 },
      'amount 0..100': { passed: false, failed: 2 },
      'amount >= -5': { passed: true, failed: 0 },
      'in 2024': { passed: false, failed: 1 },
      'known status': { passed: false, failed: 1 },
      'small ids': { passed: true, failed: 0 },
      'email shape': { passed: false, failed: 1 },
      'code shape': { passed: false, failed: 1 },
      'code length': { passed: false, failed: 1 },
      'status short': { passed: true, failed: 0 },
      // NULL amount: the predicate is NULL, which fails.
      positive: { passed: false, failed: 2 },
      tautology: { passed: true, failed: 0 },
      // 'ZZ' is not a known country; NULL passes.
      'known country': { passed: false, failed: 1 },
    });
    expect(r.byName('email present').rowsEvaluated).toBe(5);
    expect(r.byName('email present').failedPercent).toBeCloseTo(20);
    expect(r.byName('id unique').samples.map((s) => s.id)).toEqual([3, 3]);
    expect(r.byName('amount 0..100').samples.map((s) => s.id).sort()).toEqual([2, 3]);
    expect(r.byName('known country').samples).toEqual([{ id: 3, email: 'dee@example.com', status: 'paid', amount: '-1.0', order_date: null, code: 'ES-0004', country: 'ZZ' }]);
    expect(r.byName('id present').samples).toEqual([]);
    // Only warnings: every row goes on to `out`, nothing is quarantined.
    expect((await readFile(r.good, 'utf8')).trim().split('\n')).toHaveLength(6);
    expect((await readFile(r.bad, 'utf8')).trim().split('\n')).toHaveLength(1);
    const warnings = r.events.filter((e) => e.type === 'warning').map((e) => (e as { message: string }).message);
    expect(warnings).toContain("quality check 'email present' (not_null, column 'email'): 1 of 5 rows failed (20%), expected no NULL values (warning)");
  });
});

describe('quality.check: table checks', () => {
  it('row_count_between passes and fails', async () => {
    const r = await check([
      { name: 'some rows', kind: 'row_count_between', min: 1, max: 5 },
      { name: 'many rows', kind: 'row_count_between', min: 6, severity: 'warn' },
    ]);
    expect(r.summary.status).toBe('succeeded');
    expect(r.byName('some rows')).toMatchObject({ passed: true, observed: '5', rowsFailed: null });
    expect(r.byName('many rows')).toMatchObject({ passed: false, observed: '5' });
  });

  it('freshness compares the newest value with the run time', async () => {
    const src = "SELECT * FROM (VALUES (now()::TIMESTAMP - INTERVAL 2 HOUR), (now()::TIMESTAMP - INTERVAL 30 HOUR)) t(updated_at)";
    const r = await check(
      [
        { name: 'within a day', kind: 'freshness', column: 'updated_at', max_age: '1 day' },
        { name: 'within the hour', kind: 'freshness', column: 'updated_at', max_age: '1 hour', severity: 'warn' },
      ],
      { src },
    );
    expect(r.summary.status).toBe('succeeded');
    expect(r.byName('within a day').passed).toBe(true);
    expect(r.byName('within the hour').passed).toBe(false);
    expect(r.byName('within the hour').observed).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d/);
  });

  it('schema reports missing, retyped and extra columns', async () => {
    const r = await check([
      { name: 'loose', kind: 'schema', columns: [{ name: 'ID', type: 'int' }, { name: 'email', type: 'varchar' }, { name: 'amount' }] },
      { name: 'strict', kind: 'schema', severity: 'warn', allow_extra: false, columns: [{ name: 'id', type: 'BIGINT' }, { name: 'email' }, { name: 'vat' }] },
    ]);
    expect(r.summary.status).toBe('succeeded');
    expect(r.byName('loose').passed).toBe(true);
    expect(r.byName('strict').passed).toBe(false);
    expect(r.byName('strict').details).toEqual([
      "column 'id' is INTEGER, expected BIGINT",
      "missing column 'vat'",
      "extra column 'status' (VARCHAR)",
      "extra column 'amount' (DECIMAL(4,1))",
      "extra column 'order_date' (DATE)",
      "extra column 'code' (VARCHAR)",
      "extra column 'country' (VARCHAR)",
    ]);
  });

  it('distribution: passes while history builds up, then flags a value far from previous runs', async () => {
    const stateDir = path.join(dir, 'dist-state');
    const src = (nulls: number, mean: number) => `SELECT CASE WHEN i < ${nulls} THEN NULL ELSE ${mean} END AS x FROM range(100) r(i)`;
    const checks = [
      { name: 'null rate', kind: 'distribution', column: 'x', metric: 'null_rate', min_history: 3, max_sigma: 3, severity: 'warn' },
      { name: 'mean', kind: 'distribution', column: 'x', metric: 'mean', min_history: 3, max_sigma: 3, severity: 'error' },
    ];
    const runs: Array<[number, number]> = [
      [10, 50],
      [11, 51],
      [9, 49],
    ];
    for (const [i, [nulls, mean]] of runs.entries()) {
      const r = await check(checks, { src: src(nulls, mean), stateDir, name: 'dist' });
      expect(r.summary.status).toBe('succeeded');
      expect(r.byName('mean').details[0]).toBe(`${i} previous run${i === 1 ? '' : 's'} recorded; judging starts after 3`);
    }
    const normal = await check(checks, { src: src(10, 50), stateDir, name: 'dist' });
    expect(normal.summary.status).toBe('succeeded');
    expect(normal.byName('mean').passed).toBe(true);
    expect(normal.byName('mean').details[0]).toBe('previous 3 runs: mean 50, standard deviation 1');

    const anomaly = await check(checks, { src: src(60, 80), stateDir, name: 'dist' });
    expect(anomaly.summary.status).toBe('failed');
    expect(anomaly.summary.error).toMatchObject({ kind: 'quality', nodeId: 'q', column: 'x' });
    expect(anomaly.byName('null rate').passed).toBe(false);
    expect(anomaly.byName('mean').passed).toBe(false);
    expect(anomaly.byName('mean').observed).toBe('80');
    const recorded = async () => {
      const history = JSON.parse(await readFile(path.join(stateDir, 'dist', 'q.quality-history.json'), 'utf8'));
      return { mean: history.checks.mean.map((h: { value: number }) => h.value), nullRate: history.checks['null rate'].map((h: { value: number }) => h.value) };
    };
    // The failed run's values are not recorded: the baseline stays what it was.
    expect(await recorded()).toEqual({ mean: [50, 51, 49, 50], nullRate: [0.1, 0.11, 0.09, 0.1] });
  });

  it('distribution: a failed run adds nothing to the history, so re-running the same outlier fails again', async () => {
    const stateDir = path.join(dir, 'dist-rerun-state');
    const src = (nulls: number, mean: number) => `SELECT CASE WHEN i < ${nulls} THEN NULL ELSE ${mean} END AS x FROM range(100) r(i)`;
    const checks = [
      { name: 'null rate', kind: 'distribution', column: 'x', metric: 'null_rate', min_history: 3, severity: 'warn' },
      { name: 'mean', kind: 'distribution', column: 'x', metric: 'mean', min_history: 3, severity: 'error' },
    ];
    for (const [nulls, mean] of [[10, 100], [11, 101], [9, 99]] as const) expect((await check(checks, { src: src(nulls, mean), stateDir, name: 'rerun' })).summary.status).toBe('succeeded');
    for (let attempt = 0; attempt < 3; attempt++) {
      const outlier = await check(checks, { src: src(10, 1000), stateDir, name: 'rerun' });
      expect(outlier.summary.status).toBe('failed');
      expect(outlier.byName('mean').details[0]).toBe('previous 3 runs: mean 100, standard deviation 1');
    }
    // A run that commits with a failing warn check (a null-rate outlier) is recorded, warnings included.
    const warned = await check(checks, { src: src(60, 100), stateDir, name: 'rerun' });
    expect(warned.summary.status).toBe('succeeded');
    expect(warned.byName('null rate').passed).toBe(false);
    const history = JSON.parse(await readFile(path.join(stateDir, 'rerun', 'q.quality-history.json'), 'utf8'));
    expect(history.checks.mean.map((h: { value: number }) => h.value)).toEqual([100, 101, 99, 100]);
    expect(history.checks['null rate'].map((h: { value: number }) => h.value)).toEqual([0.1, 0.11, 0.09, 0.6]);
  });

  it('distribution: with 0 rows, the null rate is missing because there are no rows', async () => {
    const r = await check([{ name: 'nulls', kind: 'distribution', column: 'x', metric: 'null_rate', severity: 'warn' }], { src: 'SELECT 1 AS x WHERE false' });
    expect(r.byName('nulls')).toMatchObject({ passed: false, details: ['no null_rate today (0 rows)'] });
  });
});

describe('quality.check: severities and thresholds', () => {
  it('error: fails the run after the node, names node, check and column, and writes no sink', async () => {
    const r = await check([
      { name: 'email present', kind: 'not_null', column: 'email', severity: 'error' },
      { name: 'rows', kind: 'row_count_between', min: 1, severity: 'error' },
    ]);
    expect(r.summary.status).toBe('failed');
    expect(r.summary.error?.kind).toBe('quality');
    expect(r.summary.error?.nodeId).toBe('q');
    expect(r.summary.error?.column).toBe('email');
    expect(r.summary.error?.message).toContain("node 'q': 1 quality check with severity error failed:\n  - 'email present' (not_null, column 'email'): 1 of 5 rows failed (20%)");
    expect(existsSync(r.good)).toBe(false);
    expect(existsSync(r.bad)).toBe(false);
    expect(r.summary.nodes.find((s) => s.nodeId === 'q')?.status).toBe('failed');
    // The report is still written for a failed run.
    expect(existsSync(path.join(r.artifactsDir, 'quality.json'))).toBe(true);
  });

  it('mostly: a row check passes when at least that share of rows passes', async () => {
    const r = await check([
      { name: '60%', kind: 'not_null', column: 'status', mostly: 0.8 },
      { name: '90%', kind: 'not_null', column: 'status', mostly: 0.9, severity: 'warn' },
      { name: 'exact share', kind: 'between', column: 'amount', min: 0, max: 100, mostly: 0.6, severity: 'warn' },
    ]);
    expect(r.summary.status).toBe('succeeded');
    expect(r.byName('60%')).toMatchObject({ passed: true, rowsFailed: 1 });
    expect(r.byName('90%')).toMatchObject({ passed: false, rowsFailed: 1 });
    expect(r.byName('exact share')).toMatchObject({ passed: true, rowsFailed: 2 });
    expect(r.byName('90%').details).toEqual(['threshold: at least 90% of rows pass']);
  });

  it('quarantine: failing rows go to rejected with every failed check in _caudal_reasons', async () => {
    const r = await check([
      { name: 'email present', kind: 'not_null', column: 'email', severity: 'quarantine' },
      { name: 'amount range', kind: 'between', column: 'amount', min: 0, max: 100, severity: 'quarantine' },
      { name: 'known status', kind: 'in_set', column: 'status', values: ['paid', 'shipped'], severity: 'warn' },
    ]);
    expect(r.summary.status).toBe('succeeded');
    expect(r.result!.rejectedRows).toBe(3);
    // Rows per connected port too (rows.<port>), adding up to the node's rows out.
    expect(r.summary.nodes.find((s) => s.nodeId === 'q')).toMatchObject({ rowsOut: 5, metrics: { rejected_rows: 3, 'rows.out': 2, 'rows.rejected': 3 } });
    const good = (await readFile(r.good, 'utf8')).trim().split('\n').sort();
    expect(good).toEqual(['1,ann@example.com,paid,10.5,2024-01-05,ES-0001,ES', '5,eve@example.com,,99.0,2024-03-01,ES-0005,', 'id,email,status,amount,order_date,code,country']);
    const bad = (await readFile(r.bad, 'utf8')).trim().split('\n').sort();
    expect(bad).toEqual([
      `2,bob@example,shipped,250.0,2024-02-10,ES-0002,FR,"[""amount range""]"`,
      `3,,lost,,2023-12-31,XX-3,ES,"[""email present"",""known status""]"`,
      `3,dee@example.com,paid,-1.0,,ES-0004,ZZ,"[""amount range""]"`,
      'id,email,status,amount,order_date,code,country,_caudal_reasons',
    ]);
    const warnings = r.events.filter((e) => e.type === 'warning').map((e) => (e as { message: string }).message);
    expect(warnings).toContain("quality check 'amount range' (between, column 'amount'): 2 of 5 rows failed (40%), expected between 0 and 100 (2 rows quarantined)");
    expect(warnings.filter((w) => w.includes('nothing is connected'))).toEqual([]);
  });

  it('quarantine with nothing connected to rejected says that those rows are dropped', async () => {
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: ORDERS } },
        { id: 'q', type: 'quality.check', params: { checks: [{ name: 'amount range', kind: 'between', column: 'amount', min: 0, max: 100, severity: 'quarantine' }] } },
        { id: 'good', type: 'sink.csv', params: { path: 'good_unconnected.csv' } },
      ],
      ['src -> q', 'q:out -> good'],
      { name: 'quality quarantine unconnected' },
    );
    const events: RunEvent[] = [];
    const summary = await runPipeline({ pipeline: doc, baseDir: dir, stateDir: path.join(dir, 'state_unconnected'), artifactsDir: path.join(dir, 'artifacts_unconnected'), onEvent: (e) => events.push(e) });
    expect(summary.status).toBe('succeeded');
    expect(events.filter((e) => e.type === 'warning').map((e) => (e as { message: string }).message)).toContain(
      "2 quarantined rows were set aside on the 'rejected' port; nothing is connected to 'rejected', so they are dropped: connect it to a sink to keep them",
    );
  });

  it('quarantine routing: every input row lands in exactly one of out and rejected (property)', async () => {
    const row = fc.record({ a: fc.option(fc.integer({ min: -5, max: 5 }), { nil: null }), b: fc.option(fc.constantFrom('x', 'y', 'zz', ''), { nil: null }) });
    await fc.assert(
      fc.asyncProperty(fc.array(row, { minLength: 0, maxLength: 12 }), async (rows) => {
        const values = rows.map((r, i) => `(${i}, ${r.a ?? 'NULL'}, ${r.b === null ? 'NULL' : `'${r.b}'`})`);
        const src = rows.length === 0 ? 'SELECT 1::INTEGER AS id, 1::INTEGER AS a, \'x\' AS b WHERE false' : `SELECT * FROM (VALUES ${values.join(', ')}) t(id, a, b)`;
        const doc = pipeline(
          [
            { id: 'src', type: 'transform.sql', params: { query: src } },
            {
              id: 'q',
              type: 'quality.check',
              params: {
                checks: [
                  { name: 'a positive', kind: 'expression', expression: 'a > 0', severity: 'quarantine' },
                  { name: 'b unique', kind: 'unique', columns: ['b'], severity: 'quarantine' },
                  { name: 'b short', kind: 'length_between', column: 'b', max: 1, severity: 'warn' },
                ],
              },
            },
            { id: 'all', type: 'transform.sql', params: { query: "SELECT 'out' AS port, id, NULL::VARCHAR[] AS reasons FROM q UNION ALL SELECT 'rejected', id, _caudal_reasons FROM q__rejected" } },
          ],
          ['src -> q', 'q:out -> all', 'q:rejected -> all'],
        );
        const got = (await preview(doc, dir, 'all', { limit: 1000 })).rows;
        // Independent expectation, computed in JavaScript.
        const bCount = new Map<string, number>();
        for (const r of rows) if (r.b !== null) bCount.set(r.b, (bCount.get(r.b) ?? 0) + 1);
        const expected = rows.map((r, id) => {
          const reasons = [
            ...(r.a !== null && r.a > 0 ? [] : ['a positive']),
            ...(r.b !== null && bCount.get(r.b)! > 1 ? ['b unique'] : []),
            ...(r.b !== null && r.b.length > 1 ? ['b short'] : []),
          ];
          const rejected = reasons.includes('a positive') || reasons.includes('b unique');
          return { port: rejected ? 'rejected' : 'out', id, reasons: rejected ? reasons : null };
        });
        expect([...got].sort((x, y) => Number(x.id) - Number(y.id))).toEqual(expected);
      }),
      { numRuns: 8 },
    );
  }, 120_000);
});

describe('quality.check: score, events, artifacts', () => {
  it('weights the score, reports it in the event and the summary, and writes quality.json and quality.html', async () => {
    const r = await check([
      { name: 'ok 1', kind: 'not_null', column: 'id', weight: 1, severity: 'warn' },
      { name: 'fails', kind: 'not_null', column: 'email', weight: 2, severity: 'warn' },
      { name: 'ok 3', kind: 'row_count_between', min: 1, weight: 3, severity: 'warn' },
    ]);
    expect(r.summary.status).toBe('succeeded');
    expect(r.result!.score).toBeCloseTo((100 * 4) / 6, 6);
    expect(r.summary.quality!.score).toBeCloseTo((100 * 4) / 6, 6);
    const ev = r.events.find((e) => e.type === 'quality_result');
    expect(ev).toMatchObject({ type: 'quality_result', nodeId: 'q', result: { score: r.result!.score, rows: 5 } });
    const json = JSON.parse(await readFile(path.join(r.artifactsDir, 'quality.json'), 'utf8'));
    expect(json).toMatchObject({ format: 'caudal.quality/1', runId: r.summary.runId, pipeline: r.summary.pipeline, nodes: [{ nodeId: 'q' }] });
    expect(json.score).toBeCloseTo((100 * 4) / 6, 6);
    expect(r.summary.quality!.artifacts).toEqual({ json: path.join(r.artifactsDir, 'quality.json'), html: path.join(r.artifactsDir, 'quality.html') });
    const html = await readFile(path.join(r.artifactsDir, 'quality.html'), 'utf8');
    expect(html).toContain('fails');
    expect(html).not.toMatch(/<script|https?:\/\//);
  });

  it('min_score fails the run when the score is lower', async () => {
    const r = await check([{ name: 'fails', kind: 'not_null', column: 'email', severity: 'warn' }, { name: 'ok', kind: 'not_null', column: 'id', severity: 'warn' }], { extra: { min_score: 90 } });
    expect(r.summary.status).toBe('failed');
    expect(r.summary.error?.kind).toBe('quality');
    expect(r.summary.error?.message).toContain('the quality score 50.0% is below min_score 90%');
  });

  it('a run cancelled after the quality node leaves no report and no history', async () => {
    const stateDir = path.join(dir, 'cancel-state');
    const artifactsDir = path.join(dir, 'cancel-artifacts');
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: 'SELECT i AS x FROM range(1000) r(i)' } },
        { id: 'q', type: 'quality.check', params: { checks: [{ name: 'mean', kind: 'distribution', column: 'x', metric: 'mean' }] } },
        { id: 'slow', type: 'transform.sql', params: { query: 'SELECT count(*) AS n FROM range(3000000000) a(i) WHERE i % 7 = 3' } },
        { id: 'sink', type: 'sink.csv', params: { path: 'cancelled.csv' } },
      ],
      ['src -> q', 'slow -> sink'],
    );
    const events: RunEvent[] = [];
    const handle = startRun({
      pipeline: doc,
      baseDir: dir,
      stateDir,
      artifactsDir,
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'quality_result') handle.cancel();
      },
    });
    const summary = await handle.done;
    expect(events.some((e) => e.type === 'quality_result')).toBe(true);
    expect(summary.status).toBe('cancelled');
    expect(existsSync(artifactsDir)).toBe(false);
    expect(existsSync(stateDir)).toBe(false);
  });
});

describe('quality.check: references between a BIGINT and a DOUBLE column', () => {
  it('counts only exact matches: a key the DOUBLE would change finds nothing, on either side', async () => {
    const ids = (a: string, b: string) => `SELECT * FROM (VALUES (1, ${a}), (2, ${b})) t(id, customer)`;
    // Input BIGINT, reference DOUBLE: 9007199254740993 would be compared as 9007199254740992.
    const doubles = `SELECT * FROM (VALUES (7.0::DOUBLE), (9007199254740992.0::DOUBLE)) t(code)`;
    const refs = { name: 'known', kind: 'references', column: 'customer', reference_column: 'code', severity: 'warn' };
    const lossy = await check([refs], { src: ids('7::BIGINT', '9007199254740993::BIGINT'), ref: doubles });
    expect(outcome(lossy.byName('known'))).toEqual({ passed: false, failed: 1 });
    const exact = await check([refs], { src: ids('7::BIGINT', '9007199254740992::BIGINT'), ref: doubles });
    expect(outcome(exact.byName('known'))).toEqual({ passed: true, failed: 0 });
    // Input DOUBLE, reference BIGINT: the reference's 9007199254740993 is not the input's 9007199254740992.
    const bigints = `SELECT * FROM (VALUES (7::BIGINT), (9007199254740993::BIGINT)) t(code)`;
    const other = await check([refs], { src: ids('7.0::DOUBLE', '9007199254740992.0::DOUBLE'), ref: bigints });
    expect(outcome(other.byName('known'))).toEqual({ passed: false, failed: 1 });
  });
});

describe('quality.check: problems before the run', () => {
  const problems = async (checks: Check[]) => {
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: ORDERS } },
        { id: 'q', type: 'quality.check', params: { checks } },
      ],
      ['src -> q'],
    );
    return problemsOf(doc, dir);
  };

  it('names the check and the closest column', async () => {
    const [p] = await problems([{ name: 'mail', kind: 'not_null', column: 'emial' }]);
    expect(p).toMatchObject({ code: 'unknown_column', path: 'nodes[1].params.checks[0].column', nodeId: 'q', column: 'emial' });
    expect(p!.message).toContain("did you mean 'email'");
    const [e] = await problems([{ name: 'bad pred', kind: 'expression', expression: 'amout > 0' }]);
    expect(e).toMatchObject({ code: 'unknown_column', path: 'nodes[1].params.checks[0].expression' });
    expect(e!.message).toContain("check 'bad pred' (expression) in node 'q'");
  });

  it('refuses predicates that are not boolean, numeric ranges on text, quarantine on table checks, duplicate names', async () => {
    expect((await problems([{ name: 'p', kind: 'expression', expression: 'amount + 1' }]))[0]!.message).toContain('the predicate gives DECIMAL');
    expect((await problems([{ name: 'r', kind: 'between', column: 'status', min: 1 }]))[0]!.message).toContain("compares column 'status' (VARCHAR) with a number");
    const q = await problems([{ name: 'rows', kind: 'row_count_between', min: 1, severity: 'quarantine' }]);
    expect(q[0]).toMatchObject({ code: 'invalid_param', path: 'nodes[1].params.checks[0].severity' });
    const d = await problems([
      { name: 'A', kind: 'not_null', column: 'id' },
      { name: 'a', kind: 'not_null', column: 'email' },
    ]);
    expect(d[0]!.message).toContain('the name is used by an earlier check');
    const ref = await problems([{ name: 'fk', kind: 'references', column: 'country', reference_column: 'code' }]);
    expect(ref[0]!.message).toContain("connect it to the node's 'reference' input");
  });

  it('refuses a text bound that the column type would change (a time for a DATE, a fraction for an INTEGER), naming the bound', async () => {
    const [p] = await problems([{ name: 'in January', kind: 'between', column: 'order_date', min: '2024-01-01', max: '2024-01-31 18:00' }]);
    expect(p).toMatchObject({ code: 'invalid_param', path: 'nodes[1].params.checks[0].max', column: 'order_date' });
    expect(p!.message).toBe(`check 'in January' in node 'q': the maximum "2024-01-31 18:00" is not a valid DATE (or would change converting to it), the type of column 'order_date'`);
    const [i] = await problems([{ name: 'ids', kind: 'between', column: 'id', min: '1.5' }]);
    expect(i).toMatchObject({ path: 'nodes[1].params.checks[0].min' });
    expect(await problems([{ name: 'ok', kind: 'between', column: 'order_date', min: '2024-01-01', max: '2024-12-31' }])).toEqual([]);
  });

  it('refuses text or mixed bounds that are reversed once converted to the column type', async () => {
    const [d] = await problems([{ name: 'dates reversed', kind: 'between', column: 'order_date', min: '2024-12-31', max: '2024-01-01' }]);
    expect(d).toMatchObject({ code: 'invalid_param', path: 'nodes[1].params.checks[0].min', column: 'order_date' });
    expect(d!.message).toBe("check 'dates reversed' in node 'q': the minimum '2024-12-31' is greater than the maximum '2024-01-01' as DATE values (column 'order_date'), so every row would fail");
    const [m] = await problems([{ name: 'mixed reversed', kind: 'between', column: 'id', min: '30', max: 5 }]);
    expect(m).toMatchObject({ path: 'nodes[1].params.checks[0].min' });
    // Compared as numbers, not as text ('9' > '10' as text).
    expect(await problems([{ name: 'mixed', kind: 'between', column: 'id', min: '9', max: 10 }])).toEqual([]);
    expect((await problems([{ name: 'text reversed', kind: 'between', column: 'status', min: 'z', max: 'a' }]))[0]).toMatchObject({ path: 'nodes[1].params.checks[0].min' });
  });

  it('refuses min_history greater than window in a distribution check (it would never judge)', async () => {
    const [p] = await problems([{ name: 'mean', kind: 'distribution', column: 'amount', metric: 'mean', min_history: 10, window: 5 }]);
    expect(p).toMatchObject({ code: 'invalid_param', path: 'nodes[1].params.checks[0].min_history' });
    expect(p!.message).toContain("check 'mean': min_history 10 is greater than window 5");
    expect(await problems([{ name: 'mean', kind: 'distribution', column: 'amount', metric: 'mean', min_history: 5, window: 5 }])).toEqual([]);
  });

  it('schema: refuses an expected type DuckDB does not know before the run, naming the column; equal spellings pass', async () => {
    const [p] = await problems([{ name: 'shape', kind: 'schema', columns: [{ name: 'amount', type: 'DECIMAL(10, 2)' }, { name: 'status', type: 'VARCHR' }], allow_extra: true }]);
    expect(p).toMatchObject({ code: 'invalid_param', path: 'nodes[1].params.checks[0].columns[1].type' });
    expect(p!.message).toContain("check 'shape': column 'status': ");
    expect(await problems([{ name: 'shape', kind: 'schema', columns: [{ name: 'status', type: 'TEXT' }], allow_extra: true }])).toEqual([]);
  });

  it('in_set: refuses numbers and booleans for a text column instead of failing the run on the first value that is not one', async () => {
    const [n] = await problems([{ name: 'ones', kind: 'in_set', column: 'status', values: ['paid', 1] }]);
    expect(n).toMatchObject({ code: 'invalid_param', path: 'nodes[1].params.checks[0].values[1]', column: 'status' });
    expect(n!.message).toBe("check 'ones' in node 'q' compares column 'status' (VARCHAR) with a number (1)");
    expect(n!.hint).toContain('write the values as text (["1"])');
    const [b] = await problems([{ name: 'yes', kind: 'in_set', column: 'status', values: [true] }]);
    expect(b!.message).toContain('with a boolean (true)');
  });

  it('in_set: refuses a value that does not convert exactly to the column type (number, date), naming the value', async () => {
    const [x] = await problems([{ name: 'amounts', kind: 'in_set', column: 'amount', values: [10.5, 'x'] }]);
    expect(x).toMatchObject({ code: 'invalid_param', path: 'nodes[1].params.checks[0].values[1]', column: 'amount' });
    expect(x!.message).toBe("check 'amounts' in node 'q': the value 'x' is not a valid DECIMAL(4,1) (or would change converting to it), the type of column 'amount'");
    // DECIMAL(4,1) keeps one decimal: 10.55 would be rounded.
    expect((await problems([{ name: 'amounts', kind: 'in_set', column: 'amount', values: ['10.55'] }]))[0]).toMatchObject({ path: 'nodes[1].params.checks[0].values[0]' });
    expect((await problems([{ name: 'ids', kind: 'in_set', column: 'id', values: [1.5] }]))[0]).toMatchObject({ path: 'nodes[1].params.checks[0].values[0]' });
    expect((await problems([{ name: 'days', kind: 'in_set', column: 'order_date', values: ['2024-01-05 10:00'] }]))[0]).toMatchObject({ path: 'nodes[1].params.checks[0].values[0]' });
    expect(await problems([{ name: 'ok', kind: 'in_set', column: 'amount', values: [10.5, '250', '99.0'] }])).toEqual([]);
  });

  it('refuses integers beyond 2^53 in values, min and max, asking for a string', async () => {
    const got = await problems([
      { name: 'big', kind: 'in_set', column: 'id', values: [1, 2 ** 53 + 2] },
      { name: 'range', kind: 'between', column: 'id', max: 2 ** 60 },
    ]);
    expect(got.map((p) => p.path)).toEqual(['nodes[1].params.checks[0].values[1]', 'nodes[1].params.checks[1].max']);
    expect(got[0]!.message).toContain('an integer beyond 2^53');
    expect(got[0]!.hint).toContain('write the value as a string');
    // As strings, they are exact: 9007199254740993 is allowed, 9007199254740992 is not.
    const r = await check([{ name: 'big', kind: 'in_set', column: 'x', values: [9007199254740991, '9007199254740993'], severity: 'warn' }], {
      src: 'SELECT * FROM (VALUES (9007199254740991::BIGINT), (9007199254740993::BIGINT), (9007199254740992::BIGINT)) t(x)',
    });
    expect(r.byName('big').samples).toEqual([{ x: '9007199254740992' }]);
  });

  it('refuses an expression check using an aggregate or a window function: the predicate is evaluated per row', async () => {
    for (const expression of ['count(*) > 0', 'sum(amount) > 0', 'row_number() OVER () = 1', 'amount > 0 AND count(*) > 0']) {
      const [p] = await problems([{ name: 'table assertion', kind: 'expression', expression }]);
      expect(p, expression).toMatchObject({ code: 'invalid_expression', path: 'nodes[1].params.checks[0].expression' });
      expect(p!.message, expression).toContain("check 'table assertion' (expression) in node 'q': the predicate is evaluated for each row, so it cannot use aggregate functions");
      expect(p!.hint).toContain('row_count_between');
    }
  });

  it('freshness: refuses a max_age that is not an interval and a column that is not a date or timestamp', async () => {
    const [i] = await problems([{ name: 'fresh', kind: 'freshness', column: 'order_date', max_age: '24 hourz' }]);
    expect(i).toMatchObject({ code: 'invalid_param', path: 'nodes[1].params.checks[0].max_age' });
    expect(i!.message).toBe("check 'fresh' in node 'q': max_age '24 hourz' is not an interval");
    const [n] = await problems([{ name: 'fresh', kind: 'freshness', column: 'id', max_age: '1 day' }]);
    expect(n).toMatchObject({ path: 'nodes[1].params.checks[0].column', column: 'id' });
    expect(n!.message).toBe("check 'fresh' in node 'q' needs a date or timestamp column, but 'id' is INTEGER");
    const [t] = await problems([{ name: 'fresh', kind: 'freshness', column: 'status', max_age: '1 day' }]);
    expect(t!.hint).toContain('parse the text into dates first (transform.parse_dates)');
    expect(await problems([{ name: 'fresh', kind: 'freshness', column: 'order_date', max_age: '2 days' }])).toEqual([]);
  });

  it('refuses an input column _caudal_reasons that is not the VARCHAR[] list of reasons', async () => {
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: "SELECT 1 AS id, 'x' AS _caudal_reasons" } },
        { id: 'q', type: 'quality.check', params: { checks: [{ name: 'id', kind: 'not_null', column: 'id', severity: 'quarantine' }] } },
      ],
      ['src -> q'],
    );
    const [p] = await problemsOf(doc, dir);
    expect(p).toMatchObject({ code: 'invalid_param', nodeId: 'q', column: '_caudal_reasons', path: 'nodes[1].params.checks' });
    expect(p!.message).toContain("the input already has a column '_caudal_reasons' (VARCHAR)");
    expect(p!.hint).toContain('rename or drop');
  });

  it('reports every broken check at once', async () => {
    const got = await problems([
      { name: 'mail', kind: 'not_null', column: 'emial' },
      { name: 'range', kind: 'between', column: 'status', min: 1 },
      { name: 'shape', kind: 'matches_regex', column: 'email', pattern: '[' },
      { name: 'fine', kind: 'not_null', column: 'id' },
      { name: 'pred', kind: 'expression', expression: 'nosuch > 0' },
      { name: 'day', kind: 'between', column: 'order_date', min: '2024-01-01 10:00' },
    ]);
    expect(got.map((p) => p.path)).toEqual([
      'nodes[1].params.checks[0].column',
      'nodes[1].params.checks[1].column',
      'nodes[1].params.checks[5].min',
      'nodes[1].params.checks[2]',
      'nodes[1].params.checks[4].expression',
    ]);
    expect(got[0]!.message).toBe("check 'mail': unknown column 'emial' in node 'q' (did you mean 'email'?)");
  });
});

describe('quality.check: numbers, NaN and typed values', () => {
  const FLOATS = `SELECT * FROM (VALUES (1, 5.0::DOUBLE), (2, 'NaN'::DOUBLE), (3, 'inf'::DOUBLE), (4, '-inf'::DOUBLE), (5, NULL::DOUBLE)) t(id, x)`;

  it('NaN fails a numeric range (min only, max only, both); infinities keep their order', async () => {
    const r = await check(
      [
        { name: 'min only', kind: 'between', column: 'x', min: 0, severity: 'warn' },
        { name: 'max only', kind: 'between', column: 'x', max: 100, severity: 'warn' },
        { name: 'both', kind: 'between', column: 'x', min: 0, max: 100, severity: 'warn' },
      ],
      { src: FLOATS, extra: { samples: 10 } },
    );
    const failing = (name: string) => r.byName(name).samples.map((s) => s.id).sort();
    expect(failing('min only')).toEqual([2, 4]);
    expect(failing('max only')).toEqual([2, 3]);
    expect(failing('both')).toEqual([2, 3, 4]);
  });

  it('NaN is quarantined by a range check like any value outside it', async () => {
    const r = await check([{ name: 'non-negative', kind: 'between', column: 'x', min: 0, severity: 'quarantine' }], { src: FLOATS });
    expect(r.summary.status).toBe('succeeded');
    const bad = (await readFile(r.bad, 'utf8')).trim().split('\n').slice(1).map((l) => l.split(',')[0]).sort();
    expect(bad).toEqual(['2', '4']);
  });

  it('in_set converts the values to the column type, so 1, "1.5" and "2024-01-01" match 1.0, 1.50 and midnight', async () => {
    const src = `SELECT * FROM (VALUES (1.0::DOUBLE, 1.50::DECIMAL(10,2), TIMESTAMP '2024-01-01 00:00:00', DATE '2024-01-01', 'a'),
      (2.0::DOUBLE, 2.00::DECIMAL(10,2), TIMESTAMP '2024-01-02 00:00:00', DATE '2024-01-02', 'b')) t(d, dec, ts, day, s)`;
    const r = await check(
      [
        { name: 'dbl mixed', kind: 'in_set', column: 'd', values: [1, '2'], severity: 'warn' },
        { name: 'dec text', kind: 'in_set', column: 'dec', values: ['1.5', 2], severity: 'warn' },
        { name: 'ts text', kind: 'in_set', column: 'ts', values: ['2024-01-01', '2024-01-02 00:00:00'], severity: 'warn' },
        { name: 'day text', kind: 'in_set', column: 'day', values: ['2024-01-01'], severity: 'warn' },
        { name: 'text', kind: 'in_set', column: 's', values: ['a', 'B'], severity: 'warn' },
      ],
      { src },
    );
    expect(r.summary.status).toBe('succeeded');
    expect(Object.fromEntries(r.result!.checks.map((c) => [c.name, c.rowsFailed]))).toEqual({ 'dbl mixed': 0, 'dec text': 0, 'ts text': 0, 'day text': 1, text: 1 });
  });

  it('cuts long values in failing-row samples (not in the rows themselves) and says how many characters were left out', async () => {
    const src = "SELECT 1 AS id, repeat('x', 5000) AS long_text, [repeat('y', 300)] AS list, 'short' AS short";
    const r = await check([{ name: 'never', kind: 'expression', expression: 'id = 2', severity: 'quarantine' }], { src });
    const [sample] = r.byName('never').samples;
    expect(sample!.long_text).toBe(`${'x'.repeat(200)}… (4,800 more characters)`);
    expect(sample!.list).toBe(`["${'y'.repeat(198)}… (104 more characters)`);
    expect(sample!.short).toBe('short');
    const event = r.events.find((e) => e.type === 'quality_result');
    expect(JSON.stringify(event).length).toBeLessThan(3000);
    // The quarantined row itself keeps every character.
    expect(await readFile(r.bad, 'utf8')).toContain('x'.repeat(5000));
  });
});
