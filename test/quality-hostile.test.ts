import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runPipeline } from '../core/src/engine/engine.js';
import type { RunEvent } from '../core/src/engine/protocol.js';
import { historyPath } from '../core/src/quality/history.js';
import { profile } from '../core/src/quality/profile/index.js';
import { renderProfileHtml } from '../core/src/quality/profile/report-html.js';
import { renderQualityHtml } from '../core/src/quality/report-html.js';
import { pipeline, problemsOf, tempDir } from './support/pipeline.js';

/** Hostile data and names against quality checks and profiles: each case once broke them. */

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-quality-hostile-');
});

let n = 0;
async function runChecks(src: string, checks: unknown[], opts: { name?: string; stateDir?: string } = {}) {
  const id = ++n;
  const doc = pipeline(
    [
      { id: 'src', type: 'transform.sql', params: { query: src } },
      { id: 'q', type: 'quality.check', params: { checks } },
      { id: 'good', type: 'sink.csv', params: { path: `good_${id}.csv` } },
    ],
    ['src -> q', 'q:out -> good'],
    { name: opts.name ?? `hostile ${id}` },
  );
  const events: RunEvent[] = [];
  const stateDir = opts.stateDir ?? path.join(dir, `state_${id}`);
  const summary = await runPipeline({ pipeline: doc, baseDir: dir, stateDir, artifactsDir: path.join(dir, `art_${id}`), onEvent: (e) => events.push(e) });
  return { summary, events, stateDir, doc };
}

const profileOf = (query: string, mode: 'exact' | 'sample' = 'exact') => profile(pipeline([{ id: 'src', type: 'transform.sql', params: { query } }]), 'src', { baseDir: dir, mode });

describe('distribution checks named like Object.prototype members', () => {
  // The history is a plain object keyed by check name: `constructor` found Object's own function
  // there ("history.map is not a function") and `__proto__` set the object's prototype instead of
  // a value, so the check crashed the run or never recorded anything.
  for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
    it(`a check named '${name}' builds up its history and then judges`, async () => {
      const stateDir = path.join(dir, `proto_${name}`);
      const checks = [{ name, kind: 'distribution', column: 'x', metric: 'mean', min_history: 2, max_sigma: 3, severity: 'error' }];
      for (const [k, src] of ['SELECT 10.0 AS x', 'SELECT 11.0 AS x'].entries()) {
        const r = await runChecks(src, checks, { name: `proto ${name}`, stateDir });
        expect(r.summary.error).toBeUndefined();
        expect(r.summary.quality!.nodes[0]!.checks[0]!.details).toEqual([`${k} previous run${k === 1 ? '' : 's'} recorded; judging starts after 2`]);
      }
      const file = historyPath(stateDir, `proto ${name}`, 'q');
      const saved = JSON.parse(await readFile(file, 'utf8')) as { checks: Record<string, Array<{ value: number }>> };
      expect(Object.getOwnPropertyDescriptor(saved.checks, name)?.value.map((e: { value: number }) => e.value)).toEqual([10, 11]);
      // Judged now: 1000 is far from 10 and 11.
      const far = await runChecks('SELECT 1000.0 AS x', checks, { name: `proto ${name}`, stateDir });
      expect(far.summary.error?.kind).toBe('quality');
      expect(far.summary.quality!.nodes[0]!.checks[0]!.passed).toBe(false);
    });
  }

  it('a history file whose values are not lists fails with a message naming the file, not a TypeError', async () => {
    const stateDir = path.join(dir, 'corrupt');
    const file = historyPath(stateDir, 'corrupt history', 'q');
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, JSON.stringify({ version: 1, checks: { m: 'not a list' } }));
    const r = await runChecks('SELECT 1.0 AS x', [{ name: 'm', kind: 'distribution', column: 'x', metric: 'mean', severity: 'warn' }], { name: 'corrupt history', stateDir });
    expect(r.summary.error?.message).toContain(file);
    expect(r.summary.error?.message).not.toMatch(/is not a function|Cannot read properties/);
  });
});

describe('quality report: hostile names', () => {
  it('a long check name is cut in the chart between characters, never inside an emoji', async () => {
    const name = `${'a'.repeat(30)}😀 and more words`;
    const r = await runChecks('SELECT NULL::INT AS x', [{ name, kind: 'not_null', column: 'x', severity: 'warn' }]);
    const html = renderQualityHtml({ runId: 'r', pipeline: 'p', generatedAt: 'now', score: r.summary.quality!.score, nodes: r.summary.quality!.nodes });
    // A lone half of a surrogate pair is written to the file as U+FFFD.
    expect(html).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
    expect(html).toContain(`>${'a'.repeat(30)}😀…</text>`);
  });
});

describe('profile: hostile data', () => {
  it("a column named 'rowid' does not change which rows a sampled profile keeps", async () => {
    // The sample drops the one row read past the limit; DuckDB's rowid pseudo-column is shadowed
    // by a column of that name, so every row with the largest user 'rowid' was deleted: here all of
    // them, and the profile said 20,000 rows, all NULL.
    const p = await profileOf('SELECT 7 AS rowid, i AS x FROM range(30000) r(i)', 'sample');
    expect(p.rows).toBe(20_000);
    const x = p.columns.find((c) => c.name === 'x')!;
    expect({ nulls: x.nulls, min: x.min, max: x.max }).toEqual({ nulls: 0, min: '0', max: '19999' });
    // And the kept rows are the first 20,000 in read order, whichever value 'rowid' holds.
    const desc = await profileOf('SELECT i AS rowid, i AS x FROM range(30000) r(i) ORDER BY i DESC', 'sample');
    const xd = desc.columns.find((c) => c.name === 'x')!;
    expect({ rows: desc.rows, min: xd.min, max: xd.max }).toEqual({ rows: 20_000, min: '10000', max: '29999' });
  });

  it('bounds long values: min, max and top values keep 200 characters and say how many more there were', async () => {
    const p = await profileOf(`SELECT repeat(chr(CAST(65 + i % 3 AS INTEGER)), 1000000) AS big, [repeat('x', 100000)] AS nested, repeat('y', 50000)::BLOB AS b FROM range(6) r(i)`);
    const big = p.columns.find((c) => c.name === 'big')!;
    expect(big.min).toBe(`${'A'.repeat(200)}… (999,800 more characters)`);
    expect(big.max).toBe(`${'C'.repeat(200)}… (999,800 more characters)`);
    expect(big.topValues.map((t) => [t.value, t.count])).toEqual(['A', 'B', 'C'].map((ch) => [`${ch.repeat(200)}… (999,800 more characters)`, 2]));
    // Counts and lengths are of the whole values.
    expect(big.lengths).toEqual({ min: 1_000_000, max: 1_000_000, mean: 1_000_000 });
    expect(big.distinct).toBe(3);
    const nested = p.columns.find((c) => c.name === 'nested')!;
    expect(String(nested.topValues[0]!.value)).toMatch(/^\["x{198}… \(99,804 more characters\)$/);
    // The whole profile, its JSON and its page stay small (they were 6.5 MB).
    expect(JSON.stringify(p).length).toBeLessThan(20_000);
    expect(renderProfileHtml(p).length).toBeLessThan(30_000);
  });

  it('profiles 1,050 text columns (scalar subqueries batched under DuckDB’s expression depth limit)', async () => {
    // One SELECT of a thousand scalar subqueries (value shapes, top values) exceeded DuckDB's
    // max_expression_depth of 1000: the profile of a wide table failed.
    const cols = Array.from({ length: 1050 }, (_, j) => `'v' || (i % ${(j % 7) + 2}) AS "s${j}"`).join(', ');
    const p = await profileOf(`SELECT ${cols} FROM range(20) r(i)`, 'sample');
    expect(p.columns).toHaveLength(1050);
    // Column 1049 holds 'v0' … 'v7'.
    const last = p.columns.at(-1)!;
    expect({ distinct: last.distinct, patterns: last.patterns?.map((x) => x.value) }).toEqual({ distinct: 8, patterns: ['x9'] });
    expect(p.columns.every((c) => c.notes === undefined)).toBe(true);
  }, 300_000);
});

describe('quality.check: hostile parameters', () => {
  it('a unique key naming a column twice (or in two cases) counts each failing row once', async () => {
    // Nothing reads `out`, so the keys are grouping sets of the one aggregate scan: (a) and (a, a)
    // were two sets with the same grouping, and every repeated key's rows were counted twice
    // (4 of 3 rows failed, 133%), which `mostly` then judged.
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: 'SELECT * FROM (VALUES (1), (1), (2)) t(a)' } },
        {
          id: 'q',
          type: 'quality.check',
          params: {
            checks: [
              { name: 'a unique', kind: 'unique', columns: ['a'], severity: 'warn' },
              { name: 'a twice', kind: 'unique', columns: ['a', 'a'], severity: 'warn' },
              { name: 'a in two cases', kind: 'unique', columns: ['a', 'A'], severity: 'warn', mostly: 0.3 },
            ],
          },
        },
      ],
      ['src -> q'],
    );
    const summary = await runPipeline({ pipeline: doc, baseDir: dir, stateDir: path.join(dir, 'twice_state'), artifactsDir: path.join(dir, 'twice_art') });
    expect(summary.error).toBeUndefined();
    const checks = summary.quality!.nodes[0]!.checks;
    expect(checks.map((c) => [c.name, c.rowsFailed, c.passed])).toEqual([
      ['a unique', 2, false],
      ['a twice', 2, false],
      // 1 of 3 rows passes: at least 30%.
      ['a in two cases', 2, true],
    ]);
    expect(checks[2]!.columns).toEqual(['a']);
  });

  it('an in_set check with thousands of allowed values names the first ones, not all of them, in messages and the report', async () => {
    // The expected text listed every value: 5,000 codes made a 40 kB error message, repeated in
    // every warning, quality.json and twice in quality.html.
    const values = Array.from({ length: 5000 }, (_, i) => `code-${String(i).padStart(4, '0')}`);
    const r = await runChecks("SELECT 'nope' AS code", [{ name: 'known code', kind: 'in_set', column: 'code', values, severity: 'error' }]);
    const c = r.summary.quality!.nodes[0]!.checks[0]!;
    expect(c.expected).toBe(`one of ${values.slice(0, 20).map((v) => `'${v}'`).join(', ')} and 4,980 more`);
    expect(r.summary.error?.message.length).toBeLessThan(1000);
    // The check itself still knows every value: the last one passes.
    const last = await runChecks("SELECT 'code-4999' AS code", [{ name: 'known code', kind: 'in_set', column: 'code', values, severity: 'error' }]);
    expect(last.summary.error).toBeUndefined();
  });

  it('refuses a negative freshness max_age before the run (it would demand values from the future)', async () => {
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: 'SELECT now() AS t' } },
        { id: 'q', type: 'quality.check', params: { checks: [{ name: 'fresh', kind: 'freshness', column: 't', max_age: '-1 day' }] } },
      ],
      ['src -> q'],
    );
    const problems = await problemsOf(doc, dir);
    expect(problems).toEqual([expect.objectContaining({ nodeId: 'q', path: 'nodes[1].params.checks[0].max_age', message: expect.stringContaining("check 'fresh'") })]);
    expect(problems[0]!.message).toContain('negative');
  });

  it('refuses length_between on a BLOB or a list, whose text form is no length anyone means, and says what measures them', async () => {
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: "SELECT '\\xAA\\xBB'::BLOB AS b, [1, 2] AS l, 'ab' AS t" } },
        {
          id: 'q',
          type: 'quality.check',
          params: {
            checks: [
              { name: 'bytes', kind: 'length_between', column: 'b', max: 2 },
              { name: 'items', kind: 'length_between', column: 'l', max: 2 },
              { name: 'text', kind: 'length_between', column: 't', max: 2 },
            ],
          },
        },
      ],
      ['src -> q'],
    );
    const problems = await problemsOf(doc, dir);
    expect(problems.map((p) => [p.path, p.hint])).toEqual([
      ['nodes[1].params.checks[0].column', expect.stringContaining('octet_length("b") BETWEEN 0 AND 2 (bytes)')],
      ['nodes[1].params.checks[1].column', expect.stringContaining('len("l") BETWEEN 0 AND 2 (elements)')],
    ]);
    expect(problems[0]!.message).toContain("column 'b' is BLOB");
  });
});
