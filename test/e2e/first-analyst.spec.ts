/**
 * Issue 14's five blocking problems, each as a first-time analyst meets it: only drags, clicks and
 * typing (no store calls), checked on what the screen shows and on the files the studio writes.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { launchChromium, test, expect } from './fixtures.js';
import { connectPorts, dragFromPalette, launchTo, node, saveAs, screenshot, selectNode } from './helpers.js';

/** 600 orders, `;`-separated, with a header. */
function writeOrders(dir: string): void {
  mkdirSync(path.join(dir, 'data'), { recursive: true });
  const rows = Array.from({ length: 600 }, (_, i) => `${i + 1};${['ES', 'FR', 'DE'][i % 3]};${((i * 37) % 1000) / 10};${i % 5 ? 'completed' : 'cancelled'}`);
  writeFileSync(path.join(dir, 'data', 'orders.csv'), `order_id;country;amount;status\n${rows.join('\n')}\n`);
}

test('1. quality checks are set up in the form: a check picked by kind, its fields with column pickers, then run', async ({ studioPage: page, workspace }) => {
  writeOrders(workspace);
  await dragFromPalette(page, 'CSV file', { x: 120, y: 100 });
  await page.locator('.inspector').getByLabel('File or pattern', { exact: true }).fill('data/orders.csv');
  await dragFromPalette(page, 'Quality checks', { x: 420, y: 100 });
  await connectPorts(page, ['csv_source', 'out'], ['check', 'in']);
  await selectNode(page, 'check');
  const inspector = page.locator('.inspector');

  // A check is chosen by kind; its own fields follow, with the input's columns to pick from.
  await inspector.getByLabel('Add check').selectOption({ label: 'Not null' });
  const first = inspector.getByRole('group', { name: 'Check 1' });
  await expect(first.getByLabel('Check name')).toHaveValue('not_null_1');
  await expect(first.getByLabel('Column', { exact: true }).locator('option', { hasText: 'amount · DOUBLE' })).toHaveCount(1, { timeout: 30_000 });
  await first.getByLabel('Column', { exact: true }).selectOption('amount');

  await inspector.getByLabel('Add check').selectOption({ label: 'Between' });
  const second = inspector.getByRole('group', { name: 'Check 2' });
  await second.getByLabel('Column', { exact: true }).selectOption('amount');
  await second.getByRole('textbox', { name: 'Minimum', exact: true }).fill('0');
  await second.getByRole('textbox', { name: 'Maximum', exact: true }).fill('50');
  await second.getByText('More settings').click();
  await second.getByLabel('Severity').selectOption({ label: 'warn' });

  await inspector.getByLabel('Add check').selectOption({ label: 'In set' });
  const third = inspector.getByRole('group', { name: 'Check 3' });
  await third.getByLabel('Column', { exact: true }).selectOption('country');
  for (const [i, v] of ['ES', 'FR', 'DE'].entries()) {
    await third.getByRole('button', { name: '+ Add allowed value' }).click();
    await third.getByRole('textbox', { name: `Allowed values ${i + 1}`, exact: true }).fill(v);
  }
  // Switching a check's kind keeps what both kinds have (its name and column).
  await third.getByLabel('Kind of check 3').selectOption({ label: 'Not null' });
  await expect(third.getByLabel('Column', { exact: true })).toHaveValue('country');
  await page.keyboard.press('ControlOrMeta+Z');
  await expect(third.getByRole('textbox', { name: 'Allowed values 3', exact: true })).toHaveValue('DE');

  await expect(page.getByTestId('check-state')).toHaveText('valid', { timeout: 30_000 });
  await expect(page.getByTestId('preview-status')).toContainText('600 rows', { timeout: 30_000 });
  await screenshot(page, 'quality-checks-form');

  // The run checks the data: amounts above 50 fail the (warn) range check, the rest pass.
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByTestId('run-status')).toContainText('succeeded', { timeout: 60_000 });
  await expect(node(page, 'check').getByTestId('quality-badge')).toContainText('1 failed');

  // What is saved is the structure the engine reads, not text.
  const file = path.join(workspace, 'checks.caudal.json');
  await saveAs(page, file);
  const saved = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Array<{ id: string; params: { checks?: unknown[] } }> };
  expect(saved.nodes.find((n) => n.id === 'check')!.params.checks).toEqual([
    { kind: 'not_null', name: 'not_null_1', column: 'amount' },
    { kind: 'between', name: 'between_1', column: 'amount', min: 0, max: 50, severity: 'warn' },
    { kind: 'in_set', name: 'in_set_1', column: 'country', values: ['ES', 'FR', 'DE'] },
  ]);
});

test('2. a half-configured node elsewhere blocks neither the previews nor a run of the rest', async ({ studioPage: page, workspace, studio }) => {
  writeOrders(workspace);
  const file = path.join(workspace, 'by_country.caudal.json');
  writeFileSync(
    file,
    JSON.stringify({
      format: 'caudal.pipeline/1',
      name: 'By country',
      nodes: [
        { id: 'orders', type: 'source.csv', name: 'Orders', params: { path: 'data/orders.csv' } },
        { id: 'by_country', type: 'transform.aggregate', name: 'By country', params: { group_by: ['country'], aggregations: [{ name: 'orders', function: 'count' }] } },
        { id: 'out', type: 'sink.parquet', name: 'Report', params: { path: 'out/by_country.parquet', if_exists: 'overwrite' } },
      ],
      edges: [
        { from: 'orders:out', to: 'by_country:in' },
        { from: 'by_country:out', to: 'out:in' },
      ],
      layout: { nodes: { orders: { x: 0, y: 0 }, by_country: { x: 260, y: 0 }, out: { x: 520, y: 0 } } },
    }),
  );
  await launchTo(page, studio.url, file, 3);
  // A Filter dropped and connected, but left without its condition.
  await dragFromPalette(page, 'Filter', { x: 300, y: 260 });
  await connectPorts(page, ['orders', 'out'], ['filter', 'in']);
  await expect(page.getByTestId('check-state')).toContainText('1 problem', { timeout: 30_000 });

  await selectNode(page, 'orders');
  await expect(page.getByTestId('preview-status')).toContainText('600 rows', { timeout: 30_000 });
  await expect(page.getByTestId('preview-setup')).toHaveCount(0);
  await selectNode(page, 'by_country');
  await expect(page.getByTestId('preview-status')).toContainText('3 rows', { timeout: 30_000 });

  // Run: the studio offers to run what is ready and names what it leaves out.
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Run the ready part?' });
  await expect(dialog).toContainText('Filter');
  await expect(dialog).toContainText('Required: write an expression.');
  await screenshot(page, 'run-ready-part');
  await dialog.getByRole('button', { name: 'Run the ready part' }).click();
  await expect(page.getByTestId('run-status')).toContainText('succeeded', { timeout: 60_000 });
  await expect(node(page, 'out').getByTestId('run-badge')).toContainText('3 rows');
  expect(existsSync(path.join(workspace, 'out', 'by_country.parquet'))).toBe(true);
});

test('3. a large pipeline stays readable at 1280×720: fit keeps names legible, panels resize and collapse, nothing covers a node', async ({ studio, workspace }) => {
  // 36 nodes: six chains of source → filter → derive → sort → limit → sink.
  const nodes: unknown[] = [];
  const edges: unknown[] = [];
  const layout: Record<string, { x: number; y: number }> = {};
  const steps: Array<[string, Record<string, unknown>]> = [
    ['source.csv', { path: 'data/orders.csv' }],
    ['transform.filter', { condition: 'amount > 1' }],
    ['transform.derive', { columns: [{ name: 'double_amount', expression: 'amount * 2' }] }],
    ['transform.sort', { by: [{ column: 'amount' }] }],
    ['transform.limit', { count: 10 }],
    ['sink.csv', { path: 'out/x.csv' }],
  ];
  for (let c = 0; c < 6; c++)
    steps.forEach(([type, params], s) => {
      const id = `n${c}_${s}`;
      nodes.push({ id, type, name: `Step ${s + 1} of chain ${c + 1}`, params: type === 'sink.csv' ? { path: `out/chain_${c}.csv` } : params });
      layout[id] = { x: s * 260, y: c * 150 };
      if (s > 0) edges.push({ from: `n${c}_${s - 1}:out`, to: `${id}:in` });
    });
  writeOrders(workspace);
  const file = path.join(workspace, 'large.caudal.json');
  writeFileSync(file, JSON.stringify({ format: 'caudal.pipeline/1', name: 'Large', nodes, edges, layout: { nodes: layout } }));
  const { page, close } = await launchChromium({ width: 1280, height: 720 });
  try {
    // A fresh canvas has no empty minimap box.
    await page.goto(studio.url);
    await expect(page.locator('.palette-item').first()).toBeVisible();
    await expect(page.locator('.react-flow__minimap')).toHaveCount(0);
    await launchTo(page, studio.url, file, 36);
    // The toolbar stays on one line.
    expect((await page.locator('.toolbar').boundingBox())!.height).toBeLessThan(48);
    await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('f');
    await page.waitForTimeout(400);
    // After fit every node name is at least 10 px tall on screen.
    const heights = await page.locator('.node-name').evaluateAll((els) => els.map((e) => parseFloat(getComputedStyle(e).fontSize) * Number(getComputedStyle(e.closest('.canvas')!).getPropertyValue('--zoom'))));
    expect(Math.min(...heights)).toBeGreaterThanOrEqual(10);
    // The minimap covers no node.
    const map = (await page.locator('.react-flow__minimap').boundingBox())!;
    for (const box of await page.locator('.react-flow__node').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().toJSON() as DOMRect))) {
      const overlaps = box.x < map.x + map.width && box.x + box.width > map.x && box.y < map.y + map.height && box.y + box.height > map.y;
      expect(overlaps).toBe(false);
    }
    await screenshot(page, 'large-pipeline-fit');

    // Panels: drag the palette's edge wider, hide the inspector and the data panel, and bring them back.
    const canvasBefore = (await page.getByTestId('canvas').boundingBox())!;
    const splitter = page.getByRole('separator', { name: 'Resize the palette' });
    const s = (await splitter.boundingBox())!;
    await page.mouse.move(s.x + 1, s.y + 200);
    await page.mouse.down();
    await page.mouse.move(s.x + 81, s.y + 200, { steps: 6 });
    await page.mouse.up();
    expect((await page.locator('.side-left').boundingBox())!.width).toBeGreaterThan(270);
    await page.getByRole('button', { name: 'Hide the inspector' }).click();
    await page.getByRole('button', { name: 'Hide the data panel' }).click();
    const canvasAfter = (await page.getByTestId('canvas').boundingBox())!;
    expect(canvasAfter.width).toBeGreaterThan(canvasBefore.width + 200);
    expect(canvasAfter.height).toBeGreaterThan(canvasBefore.height + 150);
    await page.getByRole('button', { name: 'Show the inspector' }).click();
    await page.getByRole('button', { name: 'Show the data panel' }).click();
    await expect(page.getByRole('tab', { name: 'Preview' })).toBeVisible();
    // The sizes are kept for the next visit.
    await page.reload();
    expect((await page.locator('.side-left').boundingBox())!.width).toBeGreaterThan(270);
  } finally {
    await close();
  }
});

test('4. "First row is a header" shows auto with what was detected; yes and no are explicit, auto removes the setting', async ({ studioPage: page, workspace }) => {
  writeOrders(workspace);
  await dragFromPalette(page, 'CSV file', { x: 120, y: 100 });
  const inspector = page.locator('.inspector');
  await inspector.getByLabel('File or pattern', { exact: true }).fill('data/orders.csv');
  const header = inspector.getByRole('radiogroup', { name: 'First row is a header' });
  await expect(header.getByRole('radio', { name: 'Auto (yes)' })).toHaveAttribute('aria-checked', 'true', { timeout: 30_000 });
  // What the delimiter was detected as shows where the user would type it.
  await expect(inspector.getByLabel('Delimiter', { exact: true })).toHaveAttribute('placeholder', 'auto: ;');
  await expect(page.locator('.grid-th .th-name', { hasText: 'country' })).toBeVisible({ timeout: 30_000 });
  await screenshot(page, 'csv-header-auto');

  await header.getByRole('radio', { name: 'No', exact: true }).click();
  await expect(page.locator('.grid-th .th-name', { hasText: 'column0' })).toBeVisible({ timeout: 30_000 });
  await header.getByRole('radio', { name: 'Yes', exact: true }).click();
  await expect(page.locator('.grid-th .th-name', { hasText: 'country' })).toBeVisible({ timeout: 30_000 });
  await header.getByRole('radio', { name: /^Auto/ }).click();
  await expect(header.getByRole('radio', { name: 'Auto (yes)' })).toHaveAttribute('aria-checked', 'true');

  const file = path.join(workspace, 'auto.caudal.json');
  await saveAs(page, file);
  const saved = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Array<{ params: Record<string, unknown> }> };
  expect(saved.nodes[0]!.params).toEqual({ path: 'data/orders.csv' });
});

test('5. problems wait until a field is finished, speak the form\'s words, and the inspector never overflows', async ({ studioPage: page, workspace }) => {
  writeOrders(workspace);
  await dragFromPalette(page, 'CSV file', { x: 120, y: 100 });
  await page.locator('.inspector').getByLabel('File or pattern', { exact: true }).fill('data/orders.csv');
  await expect(page.getByTestId('preview-status')).toContainText('600 rows', { timeout: 30_000 });
  await dragFromPalette(page, 'Aggregate', { x: 420, y: 100 });
  await connectPorts(page, ['csv_source', 'out'], ['aggregate', 'in']);
  await selectNode(page, 'aggregate');

  // Freshly dropped: no developer messages, no "preview failed", a calm "needs setup".
  const inspector = page.locator('.inspector');
  await expect(node(page, 'aggregate').getByTestId('setup-badge')).toBeVisible({ timeout: 30_000 });
  await expect(node(page, 'aggregate').getByTestId('problem-badge')).toHaveCount(0);
  await expect(page.getByTestId('preview-setup')).toContainText('Finish setting up this node', { timeout: 30_000 });
  await expect(page.getByTestId('preview-setup')).toContainText('Aggregations: Add at least one aggregation.');
  await expect(page.locator('body')).not.toContainText('Invalid input');
  await expect(page.locator('body')).not.toContainText('preview failed');
  await expect(inspector.locator('.field-error')).toHaveCount(0);
  await expect(page.getByTestId('setup-hint')).toBeVisible();

  // An aggregation shows only the settings its function uses.
  await inspector.getByRole('button', { name: '+ Add aggregation' }).click();
  const agg = inspector.getByRole('group', { name: 'Aggregation 1' });
  await agg.getByLabel('Function').selectOption('sum');
  await expect(agg.getByLabel('Separator')).toHaveCount(0);
  await expect(agg.getByLabel('Percentile')).toHaveCount(0);
  await agg.getByLabel('Function').selectOption('percentile');
  await expect(agg.getByLabel('Percentile')).toBeVisible();
  await agg.getByLabel('Function').selectOption('sum');
  await agg.getByLabel('Column', { exact: true }).selectOption('amount');
  await expect(page.getByTestId('check-state')).toContainText('1 problem', { timeout: 30_000 });
  // The name is not filled in yet, but the user has not left it: no error under it yet.
  await expect(agg.locator('[data-field="aggregations[0].name"] .field-error')).toHaveCount(0);

  // Leaving the node shows the rest; the problem list names fields by their labels.
  await selectNode(page, 'csv_source');
  await selectNode(page, 'aggregate');
  await expect(agg.locator('[data-field="aggregations[0].name"] .field-error')).toHaveText('Required.', { timeout: 30_000 });
  await expect(node(page, 'aggregate').getByTestId('problem-badge')).toBeVisible();
  await page.getByTestId('check-state').click();
  const list = page.getByRole('menu', { name: 'Problems' });
  await expect(list).toContainText('Aggregate › Aggregation 1 › Output column: Required.');
  await expect(list).not.toContainText('nodes[');
  await page.keyboard.press('Escape');
  await screenshot(page, 'errors-in-form-words');

  // Long text never makes the inspector scroll sideways.
  await agg.getByLabel('Output column').fill('a_very_long_output_column_name_that_keeps_going_and_going_and_going_well_past_the_panel');
  const overflow = await inspector.evaluate((el) => el.scrollWidth - el.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await expect(page.getByTestId('preview-status')).toContainText('1 row ·', { timeout: 30_000 });
});
