/**
 * Accessibility of the main screens, checked with axe-core (injected into the page): no serious or
 * critical violation (contrast, names of controls, roles, labels) on the empty studio, a pipeline
 * with a node's form and its preview, the quality checks form, a run's log, and the dialogs.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { test, expect } from './fixtures.js';
import { launchTo, selectNode } from './helpers.js';
import { seriousViolations } from './axe.js';

test('main screens have no serious or critical accessibility violations', async ({ studioPage: page, workspace, studio }) => {
  mkdirSync(path.join(workspace, 'data'), { recursive: true });
  writeFileSync(path.join(workspace, 'data', 'orders.csv'), 'order_id,country,amount\n' + Array.from({ length: 50 }, (_, i) => `${i + 1},${['ES', 'FR'][i % 2]},${i * 1.5}`).join('\n') + '\n');
  const file = path.join(workspace, 'a11y.caudal.json');
  writeFileSync(
    file,
    JSON.stringify({
      format: 'caudal.pipeline/1',
      name: 'Accessibility',
      description: 'Orders checked and summed by country.',
      nodes: [
        { id: 'orders', type: 'source.csv', name: 'Orders', params: { path: 'data/orders.csv' } },
        { id: 'checks', type: 'quality.check', name: 'Checks', params: { checks: [{ kind: 'not_null', name: 'amount_set', column: 'amount' }, { kind: 'between', name: 'amount_range', column: 'amount', min: 0, max: 100, severity: 'warn' }] } },
        { id: 'by_country', type: 'transform.aggregate', name: 'By country', params: { group_by: ['country'], aggregations: [{ name: 'total', function: 'sum', column: 'amount' }] } },
        { id: 'out', type: 'sink.csv', name: 'Report', params: { path: 'out/report.csv', if_exists: 'overwrite' } },
      ],
      edges: [
        { from: 'orders:out', to: 'checks:in' },
        { from: 'checks:out', to: 'by_country:in' },
        { from: 'by_country:out', to: 'out:in' },
      ],
      layout: { nodes: { orders: { x: 0, y: 0 }, checks: { x: 260, y: 0 }, by_country: { x: 520, y: 0 }, out: { x: 780, y: 0 } } },
    }),
  );
  const found: string[] = [];

  await expect(page.getByRole('region', { name: 'Getting started' })).toBeVisible();
  found.push(...(await seriousViolations(page, 'empty studio with getting started')));

  await launchTo(page, studio.url, file, 4);
  await expect(page.getByTestId('check-state')).toHaveText('valid', { timeout: 30_000 });
  await selectNode(page, 'orders');
  await expect(page.getByTestId('preview-status')).toContainText('50 rows', { timeout: 30_000 });
  found.push(...(await seriousViolations(page, 'source form and preview')));

  await selectNode(page, 'checks');
  await page.locator('.inspector').getByText('More settings').first().click();
  found.push(...(await seriousViolations(page, 'quality checks form')));

  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByTestId('run-status')).toContainText('succeeded', { timeout: 60_000 });
  found.push(...(await seriousViolations(page, 'run log with node badges')));

  await page.getByRole('tab', { name: 'Run history' }).click();
  await page.getByRole('table', { name: 'Run history' }).locator('tbody tr').first().click();
  found.push(...(await seriousViolations(page, 'run history')));

  await page.keyboard.press('ControlOrMeta+O');
  await expect(page.getByRole('dialog', { name: 'Open pipeline' })).toBeVisible();
  found.push(...(await seriousViolations(page, 'open dialog')));
  await page.keyboard.press('Escape');

  await page.getByRole('button', { name: 'File', exact: true }).click();
  await page.getByRole('menuitem', { name: 'Open an example…' }).click();
  await expect(page.getByRole('dialog', { name: 'Open an example' })).toContainText('E-commerce');
  found.push(...(await seriousViolations(page, 'examples dialog')));

  expect(found, found.join('\n\n')).toEqual([]);
});
