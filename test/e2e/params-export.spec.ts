/**
 * Pipeline params prompted before a run, "run up to here", column completion in the SQL editor,
 * the profile tab, and exporting the pipeline JSON for headless use.
 */
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { test, expect } from './fixtures.js';
import { node, screenshot, selectNode, typeSql } from './helpers.js';

test('params prompt, run up to here, SQL completion, profile, export', async ({ studioPage: page, workspace, studio }) => {
  writeFileSync(path.join(workspace, 'sales.csv'), 'day,region,amount\n' + Array.from({ length: 60 }, (_, i) => `2024-01-${String((i % 28) + 1).padStart(2, '0')},${['north', 'south', 'east'][i % 3]},${i * 2}`).join('\n') + '\n');
  const file = path.join(workspace, 'sales.caudal.json');
  writeFileSync(
    file,
    JSON.stringify({
      format: 'caudal.pipeline/1',
      name: 'Sales',
      params: { min_amount: { type: 'number', default: 10, description: 'Smallest sale kept' } },
      nodes: [
        { id: 'sales', type: 'source.csv', params: { path: 'sales.csv' } },
        { id: 'big', type: 'transform.filter', params: { condition: 'amount >= $min_amount' } },
        { id: 'sink', type: 'sink.json', params: { path: 'out/big.json', if_exists: 'overwrite' } },
      ],
      edges: [
        { from: 'sales:out', to: 'big:in' },
        { from: 'big:out', to: 'sink:in' },
      ],
      layout: { nodes: { sales: { x: 0, y: 0 }, big: { x: 260, y: 0 }, sink: { x: 520, y: 0 } } },
    }),
  );
  await page.goto(`${studio.url}&open=${encodeURIComponent(file)}`);
  await expect(page.locator('.react-flow__node')).toHaveCount(3);

  // Column completion from the input schema while typing an expression.
  await selectNode(page, 'big');
  await typeSql(page, 'Keep rows where', 'amount >= $min_amount AND reg');
  await expect(page.locator('.cm-tooltip-autocomplete')).toContainText('region', { timeout: 20_000 });
  await expect(page.getByTestId('check-state')).not.toHaveText('checking…');
  await expect(page.locator('.cm-tooltip-autocomplete li[aria-selected="true"]')).toContainText('region');
  await page.keyboard.press('Enter');
  await page.keyboard.type(" <> 'east'");
  await expect(page.locator('.inspector .cm-content[aria-label="Keep rows where"]')).toHaveText("amount >= $min_amount AND region <> 'east'");

  // The params dialog asks before the run; the value given is used.
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Run with params' });
  await expect(dialog.getByLabel('min_amount')).toHaveValue('10');
  await dialog.getByLabel('min_amount').fill('100');
  await dialog.getByRole('button', { name: 'Run' }).click();
  await expect(page.getByTestId('run-status')).toContainText('succeeded', { timeout: 60_000 });
  const written = readFileSync(path.join(workspace, 'out', 'big.json'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { amount: number; region: string });
  const expected = Array.from({ length: 60 }, (_, i) => ({ amount: i * 2, region: ['north', 'south', 'east'][i % 3]! })).filter((r) => r.amount >= 100 && r.region !== 'east');
  expect(written.map((r) => r.amount).sort((a, b) => a - b)).toEqual(expected.map((r) => r.amount));
  await expect(node(page, 'sink').getByTestId('run-badge')).toContainText(`${expected.length} rows`);

  // Run up to here: only the node and its upstream run (the sink is skipped).
  await selectNode(page, 'big');
  await page.getByRole('button', { name: 'Run up to here' }).click();
  await page.getByRole('dialog', { name: 'Run with params' }).getByRole('button', { name: 'Run' }).click();
  await expect(page.getByTestId('run-status')).toContainText('succeeded', { timeout: 60_000 });
  await expect(node(page, 'sink').getByTestId('run-badge')).toHaveCount(0);
  await expect(node(page, 'big').getByTestId('run-badge')).toContainText('ok');

  // Profile of the source: every column with its figures.
  await selectNode(page, 'sales');
  await page.getByRole('tab', { name: 'Profile' }).click();
  await page.getByRole('button', { name: 'Exact profile (all rows)' }).click();
  const profile = page.getByRole('table', { name: 'Column profile' });
  await expect(profile).toContainText('region', { timeout: 30_000 });
  await expect(profile.locator('tr', { hasText: 'region' })).toContainText('3');
  await expect(page.getByTestId('profile-status')).toContainText('60 rows');
  await screenshot(page, 'profile');

  // Export the pipeline JSON for headless use.
  const exported = path.join(workspace, 'exported.json');
  await page.getByRole('button', { name: 'File', exact: true }).click();
  await page.getByRole('menuitem', { name: 'Export pipeline JSON…' }).click();
  await page.getByLabel('File path').fill(exported);
  await page.getByRole('dialog').getByRole('button', { name: 'Export' }).click();
  await expect.poll(() => existsSync(exported)).toBe(true);
  const doc = JSON.parse(readFileSync(exported, 'utf8')) as { nodes: Array<{ id: string; params: Record<string, unknown> }> };
  expect(doc.nodes.find((n) => n.id === 'big')!.params.condition).toBe("amount >= $min_amount AND region <> 'east'");
});
