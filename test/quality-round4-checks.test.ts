import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runPipeline } from '../core/src/engine/engine.js';
import type { NodeQualityResult } from '../core/src/quality/types.js';
import { pipeline, problemsOf, tempDir } from './support/pipeline.js';

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-quality-round4-');
  // Read with all_varchar: every column is text, as the tester's probe read it.
  await writeFile(path.join(dir, 'amounts.csv'), 'amt,day,name\n1000000,2024-1-15,Zoe\n5,2024-9-01,Ann\n099,2024-12-25,Mary\n');
  await writeFile(path.join(dir, 'values.csv'), 'v,w\n1,a\nabc,b\n');
});

type Check = Record<string, unknown>;

/** A text-only CSV source (all_varchar) feeding a quality.check node. */
const textChecks = (checks: Check[], file = 'amounts.csv') =>
  pipeline(
    [
      { id: 'src', type: 'source.csv', params: { path: file, all_varchar: true, header: true } },
      { id: 'q', type: 'quality.check', params: { checks } },
    ],
    ['src -> q'],
  );

async function runChecks(doc: ReturnType<typeof pipeline>) {
  const summary = await runPipeline({ pipeline: doc, baseDir: dir, stateDir: path.join(dir, 'state'), artifactsDir: path.join(dir, 'artifacts') });
  return { summary, result: summary.quality?.nodes[0] as NodeQualityResult | undefined };
}

describe('between on a text column', () => {
  it('refuses bounds that look like numbers before the run: text order would let 1000000 pass 0..2', async () => {
    const [p, ...rest] = await problemsOf(textChecks([{ name: 'amt_range', kind: 'between', column: 'amt', min: '0', max: '2', severity: 'warn' }]), dir);
    expect(rest).toEqual([]);
    expect(p).toMatchObject({ code: 'invalid_param', nodeId: 'q', path: 'nodes[1].params.checks[0].min', column: 'amt' });
    expect(p!.message).toContain(`check 'amt_range' in node 'q' compares text column 'amt' (VARCHAR) with the number "0"`);
    expect(p!.hint).toContain('transform.cast');
  });

  it('refuses a numeric-looking bound on either side, also when the other side is plain text', async () => {
    const [p] = await problemsOf(textChecks([{ name: 'amt_max', kind: 'between', column: 'amt', max: '100' }]), dir);
    expect(p).toMatchObject({ path: 'nodes[1].params.checks[0].max', column: 'amt' });
    const [q] = await problemsOf(textChecks([{ name: 'mixed', kind: 'between', column: 'name', min: 'A', max: '1e3' }]), dir);
    expect(q).toMatchObject({ path: 'nodes[1].params.checks[0].max', column: 'name' });
  });

  it('refuses ISO date bounds before the run: text order would let 2024-1-15 pass and 2024-9-01 fail', async () => {
    const [p, ...rest] = await problemsOf(textChecks([{ name: 'day_range', kind: 'between', column: 'day', min: '2024-01-01', max: '2024-12-31' }]), dir);
    expect(rest).toEqual([]);
    expect(p).toMatchObject({ code: 'invalid_param', path: 'nodes[1].params.checks[0].min', column: 'day' });
    expect(p!.message).toContain(`check 'day_range' in node 'q' compares text column 'day' (VARCHAR) with the date "2024-01-01"`);
    expect(p!.hint).toContain('transform.parse_dates');
    const [t] = await problemsOf(textChecks([{ name: 'stamp', kind: 'between', column: 'day', max: '2024-12-31 18:00:00' }]), dir);
    expect(t).toMatchObject({ path: 'nodes[1].params.checks[0].max' });
    const [h] = await problemsOf(textChecks([{ name: 'hour', kind: 'between', column: 'day', min: '09:00' }]), dir);
    expect(h!.message).toContain('with the time "09:00"');
  });

  it('reports both refused ranges of the tester\'s pipeline at once, naming each check', async () => {
    const got = await problemsOf(
      textChecks([
        { name: 'amt_range', kind: 'between', column: 'amt', min: '0', max: '2', severity: 'warn' },
        { name: 'day_range', kind: 'between', column: 'day', min: '2024-01-01', max: '2024-12-31', severity: 'warn' },
      ]),
      dir,
    );
    expect(got.map((p) => p.path)).toEqual(['nodes[1].params.checks[0].min', 'nodes[1].params.checks[1].min']);
  });

  it('keeps comparing genuinely textual bounds as text (names from "A" to "M")', async () => {
    const r = await runChecks(textChecks([{ name: 'first half', kind: 'between', column: 'name', min: 'A', max: 'M', severity: 'warn' }]));
    expect(r.summary.status).toBe('succeeded');
    const c = r.result!.checks[0]!;
    // 'Mary' sorts after 'M' and 'Zoe' after both: two of three rows fail; 'Ann' passes.
    expect({ passed: c.passed, failed: c.rowsFailed }).toEqual({ passed: false, failed: 2 });
  });

  it('still compares a numeric column with text bounds as numbers', async () => {
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: 'SELECT * FROM (VALUES (5), (50), (1000)) t(amt)' } },
        { id: 'q', type: 'quality.check', params: { checks: [{ name: 'amt', kind: 'between', column: 'amt', min: '0', max: '100', severity: 'warn' }] } },
      ],
      ['src -> q'],
    );
    const r = await runChecks(doc);
    expect(r.result!.checks[0]!.rowsFailed).toBe(1);
  });
});

describe('references between columns DuckDB cannot compare', () => {
  const refDoc = (inputSql: string, refSql: string, check: Check) =>
    pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: inputSql } },
        { id: 'r', type: 'transform.sql', params: { query: refSql } },
        { id: 'q', type: 'quality.check', params: { checks: [check] } },
      ],
      ['src -> q', 'r -> q:reference'],
    );

  it('refuses a DATE column checked against a text column before the run, naming the check, both columns and their types', async () => {
    const doc = refDoc("SELECT DATE '2024-01-05' AS d", "SELECT '2024-01-05' AS ds", { name: 'dref', kind: 'references', column: 'd', reference_column: 'ds', severity: 'warn' });
    const [p, ...rest] = await problemsOf(doc, dir);
    expect(rest).toEqual([]);
    expect(p).toMatchObject({ code: 'invalid_param', nodeId: 'q', path: 'nodes[2].params.checks[0].reference_column', column: 'd' });
    expect(p!.message).toBe("check 'dref' in node 'q' compares column 'd' (DATE) with reference column 'ds' (VARCHAR) of node 'r': values of these types cannot be compared");
    expect(p!.message).not.toMatch(/Binder Error|IN\/ANY\/ALL/);
    expect(p!.hint).toContain('transform.cast');
    expect(p!.hint).toContain("'ds' to DATE");
  });

  it('refuses a number checked against text, where DuckDB would need a cast too', async () => {
    const doc = refDoc('SELECT 7 AS i', "SELECT '7' AS code", { name: 'iref', kind: 'references', column: 'i', reference_column: 'code' });
    const [p] = await problemsOf(doc, dir);
    expect(p!.message).toBe("check 'iref' in node 'q' compares column 'i' (INTEGER) with reference column 'code' (VARCHAR) of node 'r': values of these types cannot be compared");
    expect(p!.hint).toContain('transform.cast');
  });

  it('still compares types DuckDB widens (INTEGER with BIGINT, DATE with TIMESTAMP)', async () => {
    expect(await problemsOf(refDoc('SELECT 7 AS i', 'SELECT 7::BIGINT AS id', { name: 'ok', kind: 'references', column: 'i', reference_column: 'id' }), dir)).toEqual([]);
    expect(await problemsOf(refDoc("SELECT DATE '2024-01-05' AS d", "SELECT TIMESTAMP '2024-01-05 00:00:00' AS t", { name: 'ok', kind: 'references', column: 'd', reference_column: 't' }), dir)).toEqual([]);
  });
});

describe('a value error inside an expression check', () => {
  const exprDoc = (severity: string, upstream = 'SELECT * FROM src_raw') =>
    pipeline(
      [
        { id: 'src_raw', type: 'source.csv', params: { path: 'values.csv', all_varchar: true, header: true } },
        { id: 'src', type: 'transform.sql', params: { query: upstream } },
        {
          id: 'q',
          type: 'quality.check',
          params: {
            checks: [
              { name: 'w known', kind: 'expression', expression: "w IN ('a', 'b')", severity },
              { name: 'vint', kind: 'expression', expression: 'CAST(v AS INTEGER) > 0', severity },
              { name: 'v present', kind: 'not_null', column: 'v', severity },
            ],
          },
        },
      ],
      ['src_raw -> src', 'src -> q'],
    );

  it('names the check whose expression failed (counting only: warn)', async () => {
    const { summary } = await runChecks(exprDoc('warn'));
    expect(summary.status).toBe('failed');
    const message = summary.error!.message;
    expect(message).toContain("node 'q' (quality.check) failed");
    expect(message).toContain("Could not convert string 'abc'");
    expect(message).toContain("check 'vint' (expression: CAST(v AS INTEGER) > 0) fails on a value of the input");
    expect(message).toContain("DuckDB's INT32 is INTEGER");
    expect(message).toContain('TRY_CAST(... AS INTEGER)');
    expect(message).not.toContain("'w known'");
  });

  it('names the check when rows are quarantined (the flags are computed before the counts)', async () => {
    const { summary } = await runChecks(exprDoc('quarantine'));
    expect(summary.status).toBe('failed');
    expect(summary.error!.message).toContain("check 'vint' (expression: CAST(v AS INTEGER) > 0) fails on a value of the input");
  });

  it('blames the upstream node, not a check, when the input itself fails', async () => {
    const { summary } = await runChecks(exprDoc('warn', 'SELECT CAST(v AS INTEGER) AS v, w FROM src_raw'));
    expect(summary.status).toBe('failed');
    expect(summary.error!.message).toContain("node 'src'");
    expect(summary.error!.message).not.toContain("check '");
  });
});
