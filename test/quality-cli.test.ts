import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../core/src/cli/exit-codes.js';
import { caudal } from './support/cli.js';
import { tempDir } from './support/pipeline.js';

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-quality-cli-');
  await writeFile(path.join(dir, 'people.csv'), 'id,email,age\n1,a@x.io,34\n2,,41\n3,c@x.io,-2\n3,d@x.io,57\n');
});

async function writePipeline(file: string, severity: string): Promise<string> {
  const doc = {
    format: 'caudal.pipeline/1',
    name: 'people checks',
    nodes: [
      { id: 'people', type: 'source.csv', params: { path: 'people.csv' } },
      {
        id: 'qc',
        type: 'quality.check',
        params: {
          checks: [
            { name: 'email present', kind: 'not_null', column: 'email', severity },
            { name: 'age sane', kind: 'between', column: 'age', min: 0, max: 130, severity: 'warn' },
          ],
        },
      },
      { id: 'out', type: 'sink.csv', params: { path: 'clean.csv', if_exists: 'overwrite' } },
    ],
    edges: [
      { from: 'people:out', to: 'qc:in' },
      { from: 'qc:out', to: 'out:in' },
    ],
  };
  const p = path.join(dir, file);
  await writeFile(p, JSON.stringify(doc, null, 2));
  return p;
}

describe('caudal run with quality checks', () => {
  it('exits with code 3 when an error check fails, names node, check and column, and writes the report', async () => {
    const p = await writePipeline('error.json', 'error');
    const artifacts = path.join(dir, 'artifacts-error');
    const r = await caudal(['run', p, '--artifacts-dir', artifacts, '--state-dir', path.join(dir, 'state')]);
    expect(r.code).toBe(EXIT.qualityFailed);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("node 'qc': 1 quality check with severity error failed");
    expect(r.stderr).toContain("'email present' (not_null, column 'email'): 1 of 4 rows failed (25%)");
    expect(r.stderr).toContain(`report: ${path.join(artifacts, 'quality.html')}`);
    expect(existsSync(path.join(artifacts, 'quality.html'))).toBe(true);
    expect(existsSync(path.join(dir, 'clean.csv'))).toBe(false);
  });

  it('exits with 0 when only warnings fail, and prints the score', async () => {
    const p = await writePipeline('warn.json', 'warn');
    const r = await caudal(['run', p, '--artifacts-dir', path.join(dir, 'artifacts-warn')]);
    expect(r.code).toBe(EXIT.ok);
    expect(r.stderr).toContain('◆ qc: quality score 0.0% (0 of 2 checks passed)');
    expect(r.stderr).toContain("! qc: quality check 'age sane' (between, column 'age'): 1 of 4 rows failed (25%)");
    const json = JSON.parse(await readFile(path.join(dir, 'artifacts-warn', 'quality.json'), 'utf8'));
    expect(json.nodes[0].checks.map((c: { name: string; passed: boolean }) => [c.name, c.passed])).toEqual([
      ['email present', false],
      ['age sane', false],
    ]);
  });

  it('--json prints the quality_result event', async () => {
    const p = await writePipeline('json.json', 'warn');
    const r = await caudal(['run', p, '--json', '--artifacts-dir', path.join(dir, 'artifacts-json')]);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; result?: { score: number } });
    expect(events.find((e) => e.type === 'quality_result')?.result?.score).toBe(0);
  });
});

describe('caudal profile', () => {
  it('prints a profile, as JSON, and writes an HTML page', async () => {
    const p = await writePipeline('profile.json', 'warn');
    const text = await caudal(['profile', p, '--node', 'people']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('people:out: all 4 rows');
    expect(text.stdout).toMatch(/email {2}VARCHAR {2}\(looks like email\)\n {4}nulls 1 \(25\.00%\) {2}distinct 3/);
    const html = path.join(dir, 'profile.html');
    const json = await caudal(['profile', p, '--node', 'people', '--exact', '--json', '--html', html]);
    expect(json.code).toBe(0);
    const result = JSON.parse(json.stdout);
    expect(result.columns.find((c: { name: string }) => c.name === 'age')).toMatchObject({ type: 'BIGINT', min: '-2', max: '57', distinct: 4, nulls: 0 });
    expect(await readFile(html, 'utf8')).toContain('<h1>Profile of <code>people:out</code></h1>');
    // Profiling again replaces the earlier page.
    expect((await caudal(['profile', p, '--node', 'people', '--html', html, '-q'])).code).toBe(0);
  });

  it('--html never replaces a file that is not a profile page unless --force, and says so before profiling', async () => {
    const p = await writePipeline('profile-typo.json', 'warn');
    const data = path.join(dir, 'people.csv');
    await writeFile(data, 'name,email\nAna,ana@example.com\n');
    const r = await caudal(['profile', p, '--node', 'people', '--html', data]);
    expect(r.code).toBe(EXIT.invalid);
    expect(r.stderr).toContain(`${data} exists and was not written by caudal profile: writing the profile would replace it`);
    expect(r.stdout).toBe('');
    expect(await readFile(data, 'utf8')).toBe('name,email\nAna,ana@example.com\n');
    expect((await caudal(['profile', p, '--node', 'people', '--html', data, '--force', '-q'])).code).toBe(0);
    expect(await readFile(data, 'utf8')).toMatch(/^<!doctype html>/);
  });

  it('needs --node', async () => {
    const p = await writePipeline('nonode.json', 'warn');
    const r = await caudal(['profile', p]);
    expect(r.code).toBe(EXIT.invalid);
    expect(r.stderr).toContain('profile needs --node <id>');
  });
});
