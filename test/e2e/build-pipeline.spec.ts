/**
 * The "Done when" flow of the studio issue, as a user does it: build a pipeline from an empty
 * canvas with the palette, connect, configure through the generated forms (a bad expression shows
 * its error, then gets fixed), preview each step, add a Parquet sink, run, see row counts, save,
 * reload, undo/redo, and check the written Parquet file's content.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { test, expect } from './fixtures.js';
import { connectPorts, dragFromPalette, edgeCount, node, screenshot, selectNode, typeSql } from './helpers.js';

const COUNTRIES = ['ES', 'FR', 'DE', 'IT'];

/** 2,000 orders; every 5th is cancelled; amounts from 0.0 to 99.9. */
function writeOrders(dir: string): Array<{ country: string; amount: number; status: string }> {
  mkdirSync(path.join(dir, 'data'), { recursive: true });
  const rows = Array.from({ length: 2000 }, (_, i) => ({ id: i + 1, country: COUNTRIES[i % 4]!, amount: ((i * 37) % 1000) / 10, status: i % 5 === 0 ? 'cancelled' : 'completed' }));
  writeFileSync(path.join(dir, 'data', 'orders.csv'), 'order_id,country,amount,status\n' + rows.map((r) => `${r.id},${r.country},${r.amount.toFixed(1)},${r.status}`).join('\n') + '\n');
  return rows;
}

async function readParquet(file: string): Promise<Array<Record<string, unknown>>> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    const reader = await conn.runAndReadAll(`SELECT country, CAST(orders AS INTEGER) AS orders, CAST(revenue AS DOUBLE) AS revenue FROM read_parquet('${file.replace(/'/g, "''")}') ORDER BY country`);
    return reader.getRowObjectsJS() as Array<Record<string, unknown>>;
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

test('build, preview, run, save, reload, undo/redo a pipeline from scratch', async ({ studioPage: page, workspace }) => {
  const orders = writeOrders(workspace);
  await expect(page.locator('.palette-item').first()).toBeVisible();
  await expect(page.getByTestId('doc-title')).toContainText('unsaved');

  // Search the palette by an alias.
  await page.getByLabel('Search nodes').fill('group by');
  await expect(page.locator('.palette-item .palette-title', { hasText: /^Aggregate$/ })).toBeVisible();
  await expect(page.locator('.palette-item .palette-title', { hasText: /^Filter$/ })).toHaveCount(0);
  await page.getByLabel('Search nodes').fill('');

  // --- CSV source ---------------------------------------------------------------------------
  await dragFromPalette(page, 'CSV file', { x: 130, y: 90 });
  await expect(node(page, 'csv_source')).toBeVisible();
  await expect(page.locator('.inspector[data-node-id="csv_source"]')).toBeVisible();
  await page.locator('.inspector').getByLabel('File or pattern', { exact: true }).fill('data/orders.csv');
  // The preview of the selected source shows the file's rows and typed columns.
  await expect(page.getByTestId('preview-status')).toContainText('1,000 rows', { timeout: 30_000 });
  await expect(page.locator('.grid-th .th-name', { hasText: 'amount' })).toBeVisible();
  await expect(page.locator('.grid-th', { hasText: 'amount' }).locator('.th-type')).toContainText('DOUBLE');
  // Thousands of rows: the grid keeps only the visible rows in the page and scrolls to the last one.
  await page.getByLabel('Rows to preview').selectOption('10000');
  await expect(page.getByTestId('preview-status')).toContainText('2,000 rows · 4 columns', { timeout: 30_000 });
  expect(await page.locator('.grid-row').count()).toBeLessThan(80);
  await page.locator('.grid').evaluate((el) => el.scrollTo(0, el.scrollHeight));
  await expect(page.locator('.grid-row .grid-rownum', { hasText: /^2000$/ })).toBeVisible();
  await page.getByLabel('Rows to preview').selectOption('1000');

  // --- Filter, connected, with a bad expression first --------------------------------------------
  await dragFromPalette(page, 'Filter', { x: 400, y: 90 });
  await expect(node(page, 'filter')).toBeVisible();
  await connectPorts(page, ['csv_source', 'out'], ['filter', 'in']);
  await expect.poll(() => edgeCount(page)).toBe(1);
  await selectNode(page, 'filter');
  await typeSql(page, 'Keep rows where', "stauts = 'completed' AND amount > 10");
  const conditionField = page.locator('.inspector .field[data-field="condition"]');
  await expect(conditionField.locator('.field-error')).toContainText(/stauts/, { timeout: 30_000 });
  await expect(node(page, 'filter').getByTestId('problem-badge')).toBeVisible();
  await page.getByTestId('check-state').click();
  await expect(page.getByRole('menu', { name: 'Problems' })).toContainText("unknown column 'stauts'");
  await page.keyboard.press('Escape');
  await screenshot(page, 'inspector-expression-error');
  await typeSql(page, 'Keep rows where', "status = 'completed' AND amount > 10");
  await expect(conditionField.locator('.field-error')).toHaveCount(0, { timeout: 30_000 });
  await expect(page.getByTestId('preview-status')).toContainText('rows', { timeout: 30_000 });
  const expectedFiltered = orders.filter((o) => o.status === 'completed' && o.amount > 10);
  await expect(page.getByTestId('preview-status')).toContainText(`${Math.min(1000, expectedFiltered.length).toLocaleString('en-US')} rows`);

  // --- Aggregate, configured with column pickers fed by the filter's schema ----------------------
  await dragFromPalette(page, 'Aggregate', { x: 670, y: 90 });
  await expect(node(page, 'aggregate')).toBeVisible();
  await connectPorts(page, ['filter', 'out'], ['aggregate', 'in']);
  await expect.poll(() => edgeCount(page)).toBe(2);
  // A refused connection says why: aggregate → filter would close a loop.
  await connectPorts(page, ['aggregate', 'out'], ['filter', 'in']);
  await expect(page.locator('.toast.error')).toContainText('cycle');
  expect(await edgeCount(page)).toBe(2);
  await page.locator('.toast.error').click(); // a click dismisses a notice
  await expect(page.locator('.toast.error')).toHaveCount(0);

  await selectNode(page, 'aggregate');
  const inspector = page.locator('.inspector');
  await expect(inspector.getByLabel('Add to Group by').locator('option', { hasText: 'country' })).toHaveCount(1, { timeout: 30_000 });
  await inspector.getByLabel('Add to Group by').selectOption('country');
  await inspector.getByRole('button', { name: '+ Add aggregation' }).click();
  await inspector.getByLabel('Output column').nth(0).fill('orders');
  await inspector.getByLabel('Function').nth(0).selectOption('count');
  await inspector.getByRole('button', { name: '+ Add aggregation' }).click();
  await inspector.getByLabel('Output column').nth(1).fill('revenue');
  await inspector.getByLabel('Function').nth(1).selectOption('sum');
  await inspector.getByLabel('Column', { exact: true }).nth(1).selectOption('amount');
  await expect(page.getByTestId('preview-status')).toContainText('4 rows', { timeout: 30_000 });
  await expect(page.locator('.grid-th .th-name', { hasText: 'revenue' })).toBeVisible();

  // --- Parquet sink ---------------------------------------------------------------------------
  await dragFromPalette(page, 'Write Parquet', { x: 670, y: 260 });
  await expect(node(page, 'parquet_sink')).toBeVisible();
  await connectPorts(page, ['aggregate', 'out'], ['parquet_sink', 'in']);
  await expect.poll(() => edgeCount(page)).toBe(3);
  await selectNode(page, 'parquet_sink');
  await inspector.getByLabel('File', { exact: true }).fill('out/revenue_by_country.parquet');
  await inspector.getByLabel('If the file exists').selectOption('overwrite');
  await expect(page.getByTestId('check-state')).toHaveText('valid', { timeout: 30_000 });
  // Tidy up with auto-layout (one undo step) before the picture.
  await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('l');
  await expect.poll(async () => Math.abs((await node(page, 'parquet_sink').boundingBox())!.y - (await node(page, 'aggregate').boundingBox())!.y)).toBeLessThan(40);
  await selectNode(page, 'aggregate');
  await expect(page.getByTestId('preview-status')).toContainText('4 rows');
  await screenshot(page, 'canvas-pipeline');

  // --- Run ---------------------------------------------------------------------------------------
  await page.getByLabel('Count rows at every step').check();
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByTestId('run-status')).toContainText('succeeded', { timeout: 60_000 });
  await expect(node(page, 'parquet_sink').getByTestId('run-badge')).toContainText('4 rows');
  await expect(node(page, 'csv_source').getByTestId('run-badge')).toContainText('2,000 rows');
  await expect(node(page, 'filter').getByTestId('run-badge')).toContainText(`${expectedFiltered.length.toLocaleString('en-US')} rows`);
  await expect(node(page, 'aggregate').getByTestId('run-badge')).toContainText('4 rows');
  await expect(page.getByTestId('log-lines')).toContainText('Run succeeded');
  await screenshot(page, 'run-finished');

  // The file has the aggregate of the filtered orders.
  const out = path.join(workspace, 'out', 'revenue_by_country.parquet');
  expect(existsSync(out)).toBe(true);
  const rows = await readParquet(out);
  const expected = COUNTRIES.slice()
    .sort()
    .map((c) => {
      const mine = expectedFiltered.filter((o) => o.country === c);
      return { country: c, orders: mine.length, revenue: mine.reduce((s, o) => s + o.amount, 0) };
    });
  expect(rows.map((r) => r.country)).toEqual(expected.map((r) => r.country));
  expect(rows.map((r) => r.orders)).toEqual(expected.map((r) => r.orders));
  rows.forEach((r, i) => expect(r.revenue as number).toBeCloseTo(expected[i]!.revenue, 6));

  // --- Save --------------------------------------------------------------------------------------
  const file = path.join(workspace, 'revenue.caudal.json');
  await page.keyboard.press('ControlOrMeta+S');
  await page.getByLabel('File path').fill(file);
  await page.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
  await expect(page.getByTestId('doc-title')).toContainText(file);
  await expect(page.getByTestId('doc-title').locator('.dirty')).toHaveCount(0);
  const saved = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Array<{ id: string; type: string; params: Record<string, unknown> }>; edges: unknown[] };
  expect(saved.nodes.map((n) => n.type)).toEqual(['source.csv', 'transform.filter', 'transform.aggregate', 'sink.parquet']);
  expect(saved.edges).toHaveLength(3);
  expect(saved.nodes[1]!.params).toEqual({ condition: "status = 'completed' AND amount > 10" });

  // --- Reload and open the saved file -----------------------------------------------------------
  await page.reload();
  await expect(page.locator('.palette-item').first()).toBeVisible();
  await expect(page.locator('.react-flow__node')).toHaveCount(0);
  // The saved file is listed under recent files.
  await page.getByRole('button', { name: 'File', exact: true }).click();
  await expect(page.getByRole('menuitem', { name: /revenue\.caudal\.json/ })).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.getByRole('menuitem', { name: /revenue\.caudal\.json/ })).toHaveCount(0);
  await page.keyboard.press('ControlOrMeta+O');
  await page.getByLabel('File path').fill(file);
  await page.getByRole('dialog').getByRole('button', { name: 'Open' }).click();
  await expect(page.locator('.react-flow__node')).toHaveCount(4);
  await expect.poll(() => edgeCount(page)).toBe(3);
  await expect(page.getByTestId('doc-title')).toContainText('revenue.caudal.json');

  // --- Undo / redo ----------------------------------------------------------------------------------
  await selectNode(page, 'filter');
  await typeSql(page, 'Keep rows where', "status = 'completed'");
  await page.locator('.react-flow__pane').click({ position: { x: 20, y: 20 } });
  await node(page, 'filter').locator('.node-name').click();
  await page.keyboard.press('Delete');
  await expect(page.locator('.react-flow__node')).toHaveCount(3);
  await expect.poll(() => edgeCount(page)).toBe(1);
  await expect(page.getByTestId('doc-title').locator('.dirty')).toHaveCount(1);
  await page.keyboard.press('ControlOrMeta+Z'); // the delete, nodes and edges together
  await expect(page.locator('.react-flow__node')).toHaveCount(4);
  await expect.poll(() => edgeCount(page)).toBe(3);
  await selectNode(page, 'filter');
  await expect(page.locator('.inspector .cm-content[aria-label="Keep rows where"]')).toHaveText("status = 'completed'");
  await page.keyboard.press('Escape');
  await page.locator('.react-flow__pane').click({ position: { x: 20, y: 20 } });
  await page.keyboard.press('ControlOrMeta+Z'); // all the typing in the condition is one step
  await selectNode(page, 'filter');
  await expect(page.locator('.inspector .cm-content[aria-label="Keep rows where"]')).toHaveText("status = 'completed' AND amount > 10");
  await expect(page.getByTestId('doc-title').locator('.dirty')).toHaveCount(0); // back to the saved document
  await page.locator('.react-flow__pane').click({ position: { x: 20, y: 20 } });
  await page.keyboard.press('ControlOrMeta+Shift+Z');
  await page.keyboard.press('ControlOrMeta+Shift+Z');
  await expect(page.locator('.react-flow__node')).toHaveCount(3);
  await expect(node(page, 'filter')).toHaveCount(0);
  await page.keyboard.press('ControlOrMeta+Z');
  await expect(page.locator('.react-flow__node')).toHaveCount(4);
  await selectNode(page, 'aggregate');
  await expect(page.getByTestId('preview-status')).toContainText('4 rows', { timeout: 30_000 });
  await expect(page.getByTestId('check-state')).toHaveText('valid', { timeout: 30_000 });
  await screenshot(page, 'preview-aggregate');
});
