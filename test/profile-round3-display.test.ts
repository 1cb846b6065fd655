import { beforeAll, describe, expect, it } from 'vitest';
import { formatProfile } from '../core/src/cli/profile.js';
import { profile, type ColumnProfile, type ProfileResult } from '../core/src/quality/profile/index.js';
import { renderProfileHtml } from '../core/src/quality/profile/report-html.js';
import { describeFailure, formatPercent } from '../core/src/quality/messages.js';
import { pipeline, run, tempDir } from './support/pipeline.js';

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-profile-round3-display-');
});

const profileOf = (query: string) => profile(pipeline([{ id: 'src', type: 'transform.sql', params: { query } }]), 'src', { baseDir: dir, mode: 'exact' });
const col = (p: ProfileResult, name: string): ColumnProfile => p.columns.find((c) => c.name === name)!;
const lineOf = (text: string, column: string, starts: string) => {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l.startsWith(`${column}  `));
  return lines.slice(at + 1).find((l) => l.trimStart().startsWith(starts))!;
};

describe('profile output shows values exactly, and figures without hiding differences', () => {
  let p: ProfileResult;
  beforeAll(async () => {
    p = await profileOf(`SELECT * FROM (VALUES
      (1234567.891::DOUBLE, 0.00001234::DOUBLE, '', 4611686018427387904::BIGINT),
      (1234567.892::DOUBLE, -0.00004::DOUBLE, ' ', 4611686018427387904::BIGINT + 1),
      (1234567.893::DOUBLE, 0.00001234::DOUBLE, '  ', 4611686018427387904::BIGINT + 2),
      (1234567.894::DOUBLE, 0.00001234::DOUBLE, 'NULL', 4611686018427387904::BIGINT + 3),
      (1234567.894::DOUBLE, 0.00001234::DOUBLE, NULL, 4611686018427387904::BIGINT + 4)) t(x, tiny, s, b)`);
  });

  it('text output: min, max and top values of a DOUBLE are the values themselves, not rounded to 6 digits', () => {
    const text = formatProfile(p);
    expect(lineOf(text, 'x', 'nulls')).toContain('min 1234567.891  max 1234567.894');
    expect(lineOf(text, 'x', 'top')).toBe('    top: 1234567.894 (2), 1234567.891 (1), 1234567.892 (1), 1234567.893 (1)');
    expect(text).not.toContain('1234570');
  });

  it('text output: a tiny nonzero value or figure never shows as 0 or -0', () => {
    const text = formatProfile(p);
    expect(lineOf(text, 'tiny', 'nulls')).toContain('min -0.00004  max 0.00001234');
    const figures = lineOf(text, 'tiny', 'mean');
    expect(figures).toMatch(/^ {4}mean 0\.000001872 {2}stddev 0\.0000\d+/);
    expect(figures).not.toMatch(/ -?0( |$)/);
  });

  it('text output: computed figures keep 10 significant digits, quantiles stay as distinct as they are', () => {
    const text = formatProfile(p);
    const figures = lineOf(text, 'x', 'mean');
    expect(figures).toContain('mean 1234567.893');
    const qs = [...figures.matchAll(/p\d+ (\S+)/g)].map((m) => m[1]);
    expect(new Set(qs).size).toBe(new Set(col(p, 'x').quantiles!.map((q) => q.value)).size);
    // BIGINT quantiles are exact: p50 of 2^62 + 0..4 is 2^62 + 2, not the double 4611686018427388000.
    expect(lineOf(text, 'b', 'mean')).toContain('p50 4611686018427387906');
  });

  it("text output: text values are quoted, so '', ' ', '  ' and the text 'NULL' differ from each other and from NULL", () => {
    const text = formatProfile(p);
    expect(lineOf(text, 's', 'nulls')).toContain('min ""  max "NULL"');
    expect(lineOf(text, 's', 'top')).toBe('    top: "" (1), " " (1), "  " (1), "NULL" (1)');
  });

  it('HTML: values exact (thousands grouped), text quoted with its spaces kept', () => {
    const html = renderProfileHtml(p);
    expect(html).toContain('<tr><th>min</th><td>1,234,567.891</td></tr><tr><th>max</th><td>1,234,567.894</td></tr>');
    expect(html).toContain('<tr><th>min</th><td>-0.00004</td></tr>');
    expect(html).not.toContain('1,234,570');
    expect(html).toContain('<span class="v">&quot;  &quot;</span>');
    expect(html).toContain('<span class="v">&quot;NULL&quot;</span>');
    expect(html).toContain('.v{white-space:pre-wrap}');
    expect(html).toContain('p50 4,611,686,018,427,387,906');
  });
});

describe('quality messages never round a share onto 0% or 100%, and count characters right', () => {
  it('a share that is not all or nothing never shows as 100% or 0%', () => {
    expect(formatPercent(99.995)).toBe('>99.99%');
    expect(formatPercent(99.9999)).toBe('>99.99%');
    expect(formatPercent(99.99)).toBe('99.99%');
    expect(formatPercent(100)).toBe('100%');
    expect(formatPercent(0.004)).toBe('<0.01%');
    expect(formatPercent(0)).toBe('0%');
  });

  it('a length check says "1 character" and "6 characters", the unit once', async () => {
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: "SELECT * FROM (VALUES ('abcdefgh'), ('ab')) t(s)" } },
        {
          id: 'q',
          type: 'quality.check',
          params: {
            checks: [
              { name: 'len', kind: 'length_between', column: 's', min: 1, max: 6, severity: 'warn' },
              { name: 'one', kind: 'length_between', column: 's', max: 1, severity: 'warn' },
            ],
          },
        },
        { id: 'out', type: 'sink.csv', params: { path: 'out.csv', if_exists: 'overwrite' } },
      ],
      ['src -> q', 'q -> out'],
    );
    const { summary } = await run(doc, dir);
    expect(summary.status).toBe('succeeded');
    const checks = summary.quality!.nodes.flatMap((n) => n.checks);
    expect(checks.find((c) => c.name === 'len')!.expected).toBe('length between 1 and 6 characters');
    expect(checks.find((c) => c.name === 'one')!.expected).toBe('length at most 1 character');
    expect(describeFailure(checks.find((c) => c.name === 'one')!)).toContain('2 of 2 rows failed (100%), expected length at most 1 character');
  });
});
