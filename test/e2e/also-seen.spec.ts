/**
 * Issue 14's "also seen" list, as a user meets each item: getting started with an example and its
 * description, renaming, a second tab, where new and pasted nodes land, "did you mean" for a file,
 * number formatting in the grid, a SQL syntax error on its token, and an empty run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test, expect } from './fixtures.js';
import { addFromPalette, connectPorts, node, saveAs, screenshot, selectNode, typeSql } from './helpers.js';

test('getting started, examples, naming, second tab, placement, did you mean, numbers, syntax errors, empty runs', async ({ studioPage: page, workspace, studio }) => {
  // An empty pipeline says so instead of "succeeding".
  await expect(page.locator('.palette-item').first()).toBeVisible();
  // Pressed again if the first press found the window still loading (once seen on a loaded CI machine).
  await expect(async () => {
    await page.keyboard.press('ControlOrMeta+Enter');
    await expect(page.locator('.toast')).toContainText('Nothing to run yet', { timeout: 3_000 });
  }).toPass({ timeout: 20_000 });

  // Getting started offers the examples; the opened copy shows its description.
  const start = page.getByRole('region', { name: 'Getting started' });
  await expect(start).toContainText('Build a pipeline');
  await screenshot(page, 'getting-started');
  await start.getByRole('button', { name: /Orders: clean, normalize/ }).click();
  await expect(page.locator('.react-flow__node').first()).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('pipeline-description')).toContainText('Messy order and customer exports');
  await expect(page.getByTestId('doc-title')).toContainText(path.join('examples', 'order-rules', 'pipeline.json'));
  await expect(page.getByTestId('check-state')).toHaveText('valid', { timeout: 30_000 });

  await selectNode(page, 'orders');
  await expect(page.getByTestId('preview-status')).toContainText('rows', { timeout: 30_000 });

  // A second tab on the bare address (no token in it) opens the studio too.
  const second = await page.context().newPage();
  await second.goto(new URL(studio.url).origin + '/');
  await expect(second.locator('.palette-item').first()).toBeVisible({ timeout: 30_000 });
  await second.close();

  // A new pipeline; its name changes from the title; a new node from the palette lands in view.
  await page.getByRole('button', { name: 'File', exact: true }).click();
  await page.getByRole('menuitem', { name: /^New/ }).click();
  await page.getByTestId('doc-title').click();
  await page.getByLabel('Pipeline name').fill('Numbers');
  await expect(page.getByTestId('doc-title')).toContainText('Numbers');
  mkdirSync(path.join(workspace, 'data'), { recursive: true });
  writeFileSync(path.join(workspace, 'data', 'sales.csv'), 'id,price\n1,0.1\n2,89449.99999999999\n3,0.30000000000000004\n');
  await addFromPalette(page, 'CSV file');
  const canvas = (await page.getByTestId('canvas').boundingBox())!;
  const added = (await node(page, 'csv_source').boundingBox())!;
  expect(added.x).toBeGreaterThan(canvas.x);
  expect(added.x + added.width).toBeLessThan(canvas.x + canvas.width);
  expect(added.y + added.height).toBeLessThan(canvas.y + canvas.height);

  // Browse… picks a file on the host; it is written relative to the pipeline's folder.
  await page.locator('.inspector').getByRole('button', { name: 'Browse for File or pattern' }).click();
  const browse = page.getByRole('dialog', { name: 'Choose file or pattern' });
  await browse.getByRole('button', { name: /data$/ }).click();
  await browse.getByRole('button', { name: /sales\.csv$/ }).click();
  await browse.getByRole('button', { name: 'Choose' }).click();
  await expect(page.locator('.inspector').getByLabel('File or pattern', { exact: true })).toHaveValue('data/sales.csv');

  // A mistyped file name gets a suggestion that fixes it in one click.
  await page.locator('.inspector').getByLabel('File or pattern', { exact: true }).fill('data/sale.csv');
  await page.locator('.inspector').getByLabel('Node name').click();
  await page.locator('.inspector .suggestion').getByRole('button', { name: 'data/sales.csv' }).click({ timeout: 30_000 });
  await expect(page.getByTestId('preview-status')).toContainText('3 rows', { timeout: 30_000 });
  // Numbers are right-aligned and shown without binary noise.
  await expect(page.locator('.grid-row').nth(1).locator('.grid-td').nth(1)).toHaveText('89450');
  await expect(page.locator('.grid-td.num').first()).toHaveCSS('text-align', 'right');
  await expect(page.locator('.grid-row').nth(2).locator('.grid-td').nth(1)).toHaveText('0.3');

  // Paste lands where the pointer is, not on top of the original.
  await page.keyboard.press('Escape');
  await node(page, 'csv_source').locator('.node-name').click();
  await page.keyboard.press('ControlOrMeta+C');
  await page.mouse.move(canvas.x + 120, canvas.y + canvas.height - 120);
  await page.keyboard.press('ControlOrMeta+V');
  await expect(page.locator('.react-flow__node')).toHaveCount(2);
  const copy = (await node(page, 'csv_source_2').boundingBox())!;
  expect(Math.abs(copy.y - added.y)).toBeGreaterThan(40);

  // A syntax error is underlined at its token, not over the whole expression.
  await addFromPalette(page, 'Filter');
  await page.locator('.inspector').getByLabel('Node name').fill('Cheap');
  await page.keyboard.press('Escape');
  await connectPorts(page, ['csv_source', 'out'], ['filter', 'in']);
  await selectNode(page, 'filter');
  await typeSql(page, 'Keep rows where', 'price < 10 id > 1');
  const mark = page.locator('.inspector .cm-lintRange-error');
  await expect(mark).toHaveText('id', { timeout: 30_000 });

  // Saved as: the file keeps the name given.
  await typeSql(page, 'Keep rows where', 'price < 10');
  await saveAs(page, path.join(workspace, 'numbers.caudal.json'));
  await expect(page.getByTestId('doc-title')).toContainText('Numbers');
});
