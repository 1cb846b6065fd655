/* global document, window, MutationObserver, requestAnimationFrame, innerWidth, innerHeight -- functions passed to page.evaluate run in the browser */
/**
 * bench/ui: the studio in Debian's Chromium against `caudal serve` (the real engine), measuring
 *   1. time to open the studio (navigation → palette and canvas ready),
 *   2. time from selecting a node to its preview rows on the 10M-row e-commerce example
 *      (streaming chains and a chain with a blocking step),
 *   3. canvas frame times while dragging with 300 nodes on screen,
 *   4. "edit → rows": from a user's edit of a node (typing an expression, picking a function) to
 *      the preview rows that follow from it, on a 600-row CSV and on the 10M-row example.
 *
 *   npm run build && npm run build:studio && node bench/ui/run.js [--orders 10000000] [--data DIR] [--reps 3] [--only open|preview|canvas|edit]
 *
 * The data is generated once (like bench/engine) into DIR (default: the OS temp folder).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from '@playwright/test';
import { ensureEcommerceData } from '../shared/ecommerce-data.js';
import { manyNodesPipeline } from './many-nodes.js';
import { selectThenRows, typeThenRows } from './edit-rows.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const { values } = parseArgs({ options: { orders: { type: 'string', default: '10000000' }, data: { type: 'string' }, reps: { type: 'string', default: '3' }, only: { type: 'string' } } });
const orders = Number(values.orders);
const reps = Number(values.reps);
const dataDir = values.data ?? path.join(os.tmpdir(), `caudal-bench-${orders}`);
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const ms = (x) => `${Math.round(x)} ms`;

if (!existsSync(path.join(ROOT, 'out/renderer/index.html'))) throw new Error('build the studio first: npm run build:studio');
await ensureEcommerceData(orders, { dataDir });

const workspace = mkdtempSync(path.join(os.tmpdir(), 'caudal-bench-ui-'));
symlinkSync(dataDir, path.join(workspace, 'data'));
const example = path.join(workspace, 'ecommerce.json');
writeFileSync(example, readFileSync(path.join(ROOT, 'resources/examples/ecommerce/pipeline.json')));
const many = path.join(workspace, 'many.json');
writeFileSync(many, JSON.stringify(manyNodesPipeline(300), null, 2));
// The issue's small case: 600 orders, CSV → filter → aggregate.
writeFileSync(path.join(workspace, 'small.csv'), 'order_id,country,amount,status\n' + Array.from({ length: 600 }, (_, i) => `${i + 1},${['ES', 'FR', 'DE', 'IT'][i % 4]},${((i * 37) % 1000) / 10},${i % 5 ? 'completed' : 'cancelled'}`).join('\n') + '\n');
const small = path.join(workspace, 'small.json');
writeFileSync(
  small,
  JSON.stringify({
    format: 'caudal.pipeline/1',
    name: 'Small',
    nodes: [
      { id: 'orders', type: 'source.csv', params: { path: 'small.csv' } },
      { id: 'completed', type: 'transform.filter', params: { condition: "status = 'completed'" } },
      { id: 'by_country', type: 'transform.aggregate', params: { group_by: ['country'], aggregations: [{ name: 'total', function: 'sum', column: 'amount' }] } },
    ],
    edges: [
      { from: 'orders:out', to: 'completed:in' },
      { from: 'completed:out', to: 'by_country:in' },
    ],
    layout: { nodes: { orders: { x: 0, y: 0 }, completed: { x: 260, y: 0 }, by_country: { x: 520, y: 0 } } },
  }),
);

const serve = spawn(process.execPath, [path.join(ROOT, 'bin/caudal.js'), 'serve', '--port', '0'], { cwd: workspace, stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise((resolve, reject) => {
  let out = '';
  serve.stdout.on('data', (d) => {
    out += d;
    const m = /(http:\/\/127\.0\.0\.1:\d+\/\S*)/.exec(out);
    if (m) resolve(m[1]);
  });
  serve.on('exit', (c) => reject(new Error(`caudal serve exited with ${c}`)));
});
const profile = mkdtempSync(path.join(os.tmpdir(), 'caudal-bench-chromium-'));
const context = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', args: ARGS, viewport: { width: 1600, height: 1000 } });
const withOpen = (file) => `${url}&open=${encodeURIComponent(file)}`;

try {
  console.log(`Chromium ${context.browser()?.version() ?? ''}, ${os.cpus().length} cores, ${orders.toLocaleString('en-US')} orders\n`);

  const want = (part) => !values.only || values.only === part;
  // 1. Open the studio.
  const opens = [];
  for (let i = 0; want('open') && i < reps + 1; i++) {
    const page = await context.newPage();
    const t0 = Date.now();
    await page.goto(url);
    await page.locator('.palette-item').first().waitFor();
    await page.locator('.react-flow__pane').waitFor();
    opens.push(Date.now() - t0);
    await page.close();
  }
  if (want('open')) console.log(`open the studio (navigation → palette and canvas ready): first ${ms(opens[0])}, median of next ${reps} ${ms(median(opens.slice(1)))}`);

  // 2. Select a node → its preview rows, on the 10M-row example.
  if (want('preview')) {
    const page = await context.newPage();
    await page.goto(withOpen(example));
    await page.locator('.react-flow__node').first().waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid="check-state"]')?.textContent !== 'checking…');
    /** Time from the pointerdown on `target` to preview rows on screen, measured inside the page. */
    const timed = async (target) => {
      await page.evaluate(() => {
        const b = (window.__bench = { start: 0, end: 0, text: '' });
        document.addEventListener('pointerdown', () => (b.start = performance.now()), { capture: true, once: true });
        const done = () => {
          const s = document.querySelector('[data-testid="preview-status"]')?.textContent ?? '';
          const err = document.querySelector('[data-testid="preview-error"]');
          if (b.start && (/\d rows/.test(s) && !s.includes('Loading') ? true : !!err)) {
            b.end = performance.now();
            b.text = err ? `error: ${err.textContent}` : s;
            obs.disconnect();
          }
        };
        const obs = new MutationObserver(done);
        obs.observe(document.body, { subtree: true, childList: true, characterData: true });
      });
      await target.click();
      await page.waitForFunction(() => window.__bench.end > 0, null, { timeout: 120_000 });
      return page.evaluate(() => ({ ms: window.__bench.end - window.__bench.start, text: window.__bench.text }));
    };
    const cases = [
      ['orders', 'CSV source (819 MB file)'],
      ['clean_orders', 'streaming chain: source → derive'],
      ['valid_orders', 'streaming chain: source → derive → filter'],
      ['enriched', 'three-way join (blocking)'],
      ['revenue_by_country', 'join → derive → GROUP BY (blocking)'],
    ];
    for (const [id, label] of cases) {
      const first = await timed(page.locator(`.react-flow__node[data-id="${id}"] .node-name`));
      const again = [];
      for (let i = 0; i < reps - 1; i++) again.push((await timed(page.getByRole('button', { name: 'Refresh' }))).ms);
      const sampled = first.text.includes('sampled') ? ' (sampled)' : '';
      console.log(`select → preview rows  ${label.padEnd(44)} ${ms(first.ms).padStart(8)}${again.length ? `, refresh median ${ms(median(again))}` : ''}  [${first.text}]${sampled}`);
  }
  await page.close();
  }

  // 4. Edit → rows, on the small file and on the 10M-row example.
  if (want('edit')) {
    const page = await context.newPage();
    const settle = async () => {
      await page.waitForFunction(() => document.querySelector('[data-testid="check-state"]')?.textContent !== 'checking…', null, { timeout: 600_000 });
      await page.waitForFunction(() => /\d rows?\b/.test(document.querySelector('[data-testid="preview-status"]')?.textContent ?? '') && !document.querySelector('[data-testid="preview-status"]')?.textContent?.includes('out of date'), null, { timeout: 600_000 });
    };
    const report = (label, runs) =>
      console.log(`edit → rows  ${label.padEnd(58)} median ${ms(median(runs.map((r) => r.ms)))}, max ${ms(Math.max(...runs.map((r) => r.ms)))}; spinner shown ${runs.filter((r) => r.spinner).length}/${runs.length}  [${runs.at(-1).text}]`);
    const cases = [
      [small, 'completed', 'by_country', '600-row CSV'],
      [example, 'valid_orders', 'revenue_by_country', '10M-row example'],
    ];
    for (const [file, filterId, aggId, what] of cases) {
      await page.goto(withOpen(file));
      await page.locator('.react-flow__node').first().waitFor();
      // Typing a filter condition (streaming chain: LIMIT stops early).
      await page.locator(`.react-flow__node[data-id="${filterId}"] .node-name`).click();
      await settle();
      const typed = [];
      const conditions = what.startsWith('600') ? ["status = 'completed' AND amount > 10", "status = 'completed' AND amount > 20"] : ["status IN ('completed', 'shipped') AND quantity > 1", "status IN ('completed', 'shipped') AND order_date >= $since"];
      for (let i = 0; i < reps; i++) {
        typed.push(await typeThenRows(page, 'Keep rows where', conditions[i % 2]));
        await settle();
      }
      report(`${what}: type a filter condition (last key → rows)`, typed);
      if (what.startsWith('600')) {
        // Picking another aggregate function (a blocking step over the filtered rows).
        await page.locator(`.react-flow__node[data-id="${aggId}"] .node-name`).click();
        await settle();
        const picked = [];
        const fns = ['avg', 'max', 'sum'];
        for (let i = 0; i < reps; i++) {
          picked.push(await selectThenRows(page, page.locator('.inspector').getByLabel('Function'), fns[i % 3]));
          await settle();
        }
        report(`${what}: pick an aggregate function (change → rows)`, picked);
      }
    }
    await page.close();
  }

  // 3. Frame times while dragging with 300 nodes on screen.
  if (want('canvas')) {
    const big = await context.newPage();
    await big.goto(withOpen(many));
    await big.locator('.react-flow__node').nth(299).waitFor({ state: 'attached' });
    await big.waitForTimeout(1500); // fit view, first check
    const onScreen = await big.evaluate(() => [...document.querySelectorAll('.react-flow__node')].filter((n) => { const r = n.getBoundingClientRect(); return r.right > 0 && r.bottom > 0 && r.left < innerWidth && r.top < innerHeight; }).length);
    // Headless Chromium paces requestAnimationFrame at 60 Hz whatever the flags, so frame intervals
    // read 16.7 ms whenever a frame fits in one vsync. The main thread's busy time per frame (from
    // the DevTools Performance domain: script, style, layout, paint recording) says what a frame costs.
    const cdp = await big.context().newCDPSession(big);
    await cdp.send('Performance.enable');
    const busyMs = async () => {
      const { metrics } = await cdp.send('Performance.getMetrics');
      return (metrics.find((m) => m.name === 'TaskDuration')?.value ?? 0) * 1000;
    };
    const dragFrames = async (select) => {
      if (select) await big.keyboard.press('Control+A');
      const box = await big.locator('.react-flow__node[data-id="f_7_7"]').boundingBox();
      await big.evaluate(() => {
        const f = (window.__frames = []);
        let last = performance.now();
        const tick = (t) => {
          f.push(t - last);
          last = t;
          if (window.__frames === f) requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
      });
      await big.mouse.move(box.x + 20, box.y + 10);
      await big.mouse.down();
      const busy0 = await busyMs();
      for (let i = 1; i <= 120; i++) await big.mouse.move(box.x + 20 + i * 3, box.y + 10 + Math.sin(i / 10) * 60);
      const busy = (await busyMs()) - busy0;
      await big.mouse.up();
      const frames = await big.evaluate(() => {
        const f = window.__frames.slice(2);
        window.__frames = null;
        return f;
      });
      await big.keyboard.press('Escape');
      return { frames, busyPerFrame: busy / Math.max(1, frames.length) };
    };
    const one = await dragFrames(false);
    const all = await dragFrames(true);
    const line = (r) =>
      `median frame interval ${r.frames.length ? median(r.frames).toFixed(1) : '–'} ms, p95 ${pct(r.frames, 95).toFixed(1)} ms over ${r.frames.length} frames; main-thread work ${r.busyPerFrame.toFixed(1)} ms per frame (mean)`;
    console.log(`\ncanvas with 300 nodes (${onScreen} on screen):`);
    console.log(`  drag one node:        ${line(one)}`);
    console.log(`  drag all 300 nodes:   ${line(all)}`);
    await big.close();
  }
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
  serve.kill('SIGTERM');
  rmSync(workspace, { recursive: true, force: true });
}
