/**
 * The quality report opens in Chromium, offline, and shows the failing checks and its charts.
 * Runs inside `npm test` (vitest drives Chromium through Playwright); skipped, saying why, only
 * when Debian's Chromium is not installed (CI installs it).
 */
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from '@playwright/test';
import { describe, expect, it } from 'vitest';
import { runPipeline } from '../core/src/engine/engine.js';
import { removeProfile } from './support/chromium-profile.js';
import { pipeline, tempDir } from './support/pipeline.js';

const CHROMIUM = process.env.CAUDAL_CHROMIUM ?? '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`quality-report.test.ts: skipped, no Chromium at ${CHROMIUM} (apt-get install chromium, or set CAUDAL_CHROMIUM)`);

describe.skipIf(!hasChromium)('quality.html in Chromium', () => {
  it('opens offline and shows the score, the failing checks, their samples and the charts', async () => {
    const dir = await tempDir('caudal-quality-report-');
    const doc = pipeline(
      [
        {
          id: 'src',
          type: 'transform.sql',
          params: { query: "SELECT * FROM (VALUES (1, 'a@x.io', 5), (2, NULL, 500), (3, '<b>c</b>@x.io', 7)) t(id, email, qty)" },
        },
        {
          id: 'orders_qc',
          type: 'quality.check',
          params: {
            checks: [
              { name: 'email present', kind: 'not_null', column: 'email', severity: 'warn' },
              { name: 'qty in range', kind: 'between', column: 'qty', min: 1, max: 100, severity: 'quarantine' },
              { name: 'ids unique', kind: 'unique', columns: ['id'], severity: 'warn' },
              { name: 'enough rows', kind: 'row_count_between', min: 1, severity: 'warn' },
            ],
          },
        },
      ],
      ['src -> orders_qc'],
      { name: 'report test' },
    );
    const artifactsDir = path.join(dir, 'artifacts');
    const summary = await runPipeline({ pipeline: doc, baseDir: dir, artifactsDir, stateDir: path.join(dir, 'state') });
    expect(summary.status).toBe('succeeded');
    const html = summary.quality!.artifacts!.html;

    const profile = mkdtempSync(path.join(os.tmpdir(), 'caudal-chromium-'));
    const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: ARGS, headless: true });
    try {
      const requests: string[] = [];
      context.on('request', (r) => requests.push(r.url()));
      const page = context.pages()[0] ?? (await context.newPage());
      await page.goto(pathToFileURL(html).href);
      await expect.poll(() => page.title()).toBe('Quality report: report test');
      // Score: 2 of 4 checks passed.
      expect(await page.locator('#overall-score').innerText()).toContain('50.0%');
      const failing = await page.locator('ul.failing li').allInnerTexts();
      expect(failing).toHaveLength(2);
      expect(failing.join('\n')).toContain("'email present' (not_null, column 'email'): 1 of 3 rows failed");
      expect(failing.join('\n')).toContain("'qty in range' (between, column 'qty'): 1 of 3 rows failed");
      // Each check row says pass or fail.
      const row = (name: string) => page.locator(`tr[data-check="${name}"]`);
      expect(await row('qty in range').locator('.badge').innerText()).toBe('FAIL');
      expect(await row('ids unique').locator('.badge').innerText()).toBe('PASS');
      // Sample failing rows open on click; user text is shown as text, not markup.
      await row('email present').locator('summary').click();
      expect(await row('email present').locator('table.samples').innerText()).toContain('NULL');
      await row('qty in range').locator('summary').click();
      expect(await row('qty in range').locator('table.samples').innerText()).toContain('500');
      expect(await page.locator('b').count()).toBe(0);
      // Charts render: the score ring and one bar per check.
      const ring = await page.locator('svg.ring').first().boundingBox();
      expect(ring!.width).toBeGreaterThan(50);
      expect(await page.locator('svg.bars text').filter({ hasText: 'email present' }).count()).toBe(1);
      // Self-contained: nothing but the file itself was requested.
      expect(requests).toEqual([pathToFileURL(html).href]);
    } finally {
      await context.close();
      await removeProfile(profile);
    }
  });
});
