/** The Schedules view: a project's jobs, run now, the history chart, pause and resume. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test, expect } from './fixtures.js';
import { screenshot } from './helpers.js';

test('schedules: see the jobs, run one now, read its history, pause and resume', async ({ studioPage: page, workspace, studio }) => {
  mkdirSync(path.join(workspace, 'pipelines'));
  const pipeline = path.join(workspace, 'pipelines', 'orders.json');
  writeFileSync(
    pipeline,
    JSON.stringify({
      format: 'caudal.pipeline/1',
      name: 'Orders',
      params: { n: { type: 'number', default: 10 } },
      nodes: [
        { id: 'orders', type: 'transform.sql', params: { query: 'SELECT range AS id, range * 2 AS amount FROM range($n)' } },
        { id: 'out', type: 'sink.csv', params: { path: 'out/orders.csv', if_exists: 'overwrite' } },
      ],
      edges: [{ from: 'orders:out', to: 'out:in' }],
      layout: { nodes: { orders: { x: 0, y: 0 }, out: { x: 260, y: 0 } } },
    }),
  );
  writeFileSync(
    path.join(workspace, 'caudal.project.json'),
    JSON.stringify({
      format: 'caudal.project/1',
      name: 'Shop',
      timezone: 'Europe/Madrid',
      jobs: { nightly: { pipeline: 'pipelines/orders.json', schedule: '30 2 * * *', params: { n: 1234 } }, report: { pipeline: 'pipelines/orders.json', depends_on: ['nightly'] } },
    }),
  );
  await page.goto(`${studio.url}&open=${encodeURIComponent(pipeline)}`);
  await expect(page.locator('.react-flow__node')).toHaveCount(2);
  await page.getByRole('button', { name: 'File', exact: true }).click();
  await page.getByRole('menuitem', { name: 'Schedules…' }).click();
  const view = page.getByRole('dialog', { name: 'Schedules' });
  // the project next to the open pipeline is found by itself
  await expect(view.getByLabel('Project file')).toHaveValue(path.join(workspace, 'caudal.project.json'));
  await expect(view.getByTestId('scheduler-status')).toContainText('no scheduler running');
  const nightly = view.locator('tr[data-job="nightly"]');
  await expect(nightly).toContainText('30 2 * * * (Europe/Madrid)');
  await expect(nightly).toContainText(/in \d+ (min|h)/);
  await expect(view.locator('tr[data-job="report"]')).toContainText('after nightly');
  await expect(nightly.getByTestId('job-status')).toHaveText('never run');

  await nightly.click();
  await nightly.getByRole('button', { name: 'Run now' }).click();
  await expect(view.getByRole('status')).toContainText('nightly: started');
  await expect(view.getByTestId('history-chart').locator('rect.bar')).toHaveCount(1, { timeout: 60_000 });
  await expect(view.getByTestId('history-chart')).toContainText('most rows 1,234');
  await nightly.getByRole('button', { name: 'Run now' }).click();
  await expect(view.getByTestId('history-chart').locator('rect.bar')).toHaveCount(2, { timeout: 60_000 });

  await nightly.getByRole('button', { name: 'Pause' }).click();
  await expect(nightly).toContainText('paused');
  await expect(nightly.getByRole('button', { name: 'Resume' })).toBeVisible();
  await screenshot(page, 'schedules');
  await nightly.getByRole('button', { name: 'Resume' }).click();
  await expect(nightly.getByRole('button', { name: 'Pause' })).toBeVisible();
  await expect(nightly).toContainText(/in \d+ (min|h)/);
});
