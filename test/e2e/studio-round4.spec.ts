import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { test, expect } from './fixtures.js';
import { launchTo, node, saveAs, selectNode } from './helpers.js';

/**
 * What a hostile tester found in the studio: numbers the forms rounded without a word, problems
 * not checked again after Save as into another folder, a file without a layout opening with every
 * card on one spot, and two nodes with one id of which only one could be seen.
 */

type Saved = { params?: Record<string, { type: string; default?: unknown }>; nodes: Array<{ id: string; name?: string; type: string; params: Record<string, unknown> }>; layout?: { nodes: Record<string, { x: number; y: number }> } };
const saved = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Saved;

function writePipeline(file: string, doc: Record<string, unknown>): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify({ format: 'caudal.pipeline/1', name: 'Round 4', nodes: [], edges: [], ...doc }, null, 2));
  return file;
}

async function save(page: Page, file: string, ready: (doc: Saved) => boolean): Promise<Saved> {
  await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('ControlOrMeta+S');
  await expect.poll(() => ready(saved(file))).toBe(true);
  return saved(file);
}

/** The cards' boxes on screen, and whether any two of them overlap. */
async function overlapping(page: Page): Promise<boolean> {
  const boxes = await page.locator('.react-flow__node').evaluateAll((els) => els.map((e) => e.getBoundingClientRect()).map((r) => ({ x: r.x, y: r.y, w: r.width, h: r.height })));
  return boxes.some((a, i) => boxes.some((b, j) => i < j && a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h));
}

const NUMBERS = { id: 'numbers', type: 'transform.sql', params: { query: 'SELECT range::BIGINT AS id FROM range(10)' } };

test('a number a JSON number would round is kept as its digits where the file takes them, and refused where it does not', async ({ studioPage: page, workspace, studio }) => {
  const file = writePipeline(path.join(workspace, 'exact.caudal.json'), {
    params: { lim: { type: 'number', default: 10 } },
    nodes: [NUMBERS, { id: 'qc', type: 'quality.check', params: { samples: 5, checks: [{ name: 'id range', kind: 'between', column: 'id', min: 0, max: 10, weight: 2 }] } }],
    edges: [{ from: 'numbers:out', to: 'qc:in' }],
    layout: { nodes: { numbers: { x: 0, y: 0 }, qc: { x: 300, y: 0 } } },
  });
  await launchTo(page, studio.url, file, 2);
  await selectNode(page, 'qc');
  const inspector = page.locator('.inspector');

  // Sample failing rows and Weight take no text: the field says why, and what it takes; nothing is written.
  await inspector.getByLabel('Sample failing rows', { exact: true }).fill('99999999999999999999');
  const samples = inspector.locator('[data-field="samples"] .field-error');
  await expect(samples).toContainText('99999999999999999999 cannot be kept exactly');
  await expect(samples).toContainText('it would be saved as 100000000000000000000');
  await expect(samples).toContainText('Enter a whole number from 0 to 100.');
  const check = inspector.getByRole('group', { name: 'Check 1' });
  await check.getByLabel('Weight', { exact: true }).fill('99999999999999999999');
  await expect(check.locator('[data-field="checks[0].weight"] .field-error')).toContainText('cannot be kept exactly');

  // The bounds of a Between check on a BIGINT column keep every digit, as text.
  await check.getByLabel('Minimum', { exact: true }).fill('9007199254740993');
  await check.getByLabel('Maximum', { exact: true }).fill('12345678901234567890123');
  await check.getByLabel('Maximum', { exact: true }).blur();
  await expect(check.getByLabel('Minimum', { exact: true })).toHaveValue('9007199254740993');

  let doc = await save(page, file, (d) => (d.nodes[1]!.params.checks as Array<Record<string, unknown>>)[0]!.max !== 10);
  expect(doc.nodes[1]!.params.samples).toBe(5);
  expect(doc.nodes[1]!.params.checks).toEqual([{ name: 'id range', kind: 'between', column: 'id', min: '9007199254740993', max: '12345678901234567890123', weight: 2 }]);

  // A number param's default is saved as the string of its digits, as the pipeline format says.
  await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
  const params = page.locator('.inspector').getByRole('region', { name: 'Params' });
  await params.getByLabel('Default of lim').fill('9007199254740993');
  await params.getByLabel('Default of lim').blur();
  doc = await save(page, file, (d) => d.params!.lim!.default !== 10);
  expect(doc.params!.lim).toEqual({ type: 'number', default: '9007199254740993' });
});

test('after Save as into another folder, the problems and the preview are those of the new folder', async ({ studioPage: page, workspace, studio }) => {
  const here = path.join(workspace, 'here');
  const there = path.join(workspace, 'there');
  mkdirSync(there, { recursive: true });
  mkdirSync(here, { recursive: true });
  writeFileSync(path.join(here, 'orders.csv'), 'id,amount\n1,10\n2,20\n');
  const file = writePipeline(path.join(here, 'orders.caudal.json'), {
    nodes: [{ id: 'orders', type: 'source.csv', params: { path: 'orders.csv' } }],
    layout: { nodes: { orders: { x: 0, y: 0 } } },
  });
  await launchTo(page, studio.url, file, 1);
  await expect(page.getByTestId('check-state')).toHaveText('valid', { timeout: 30_000 });
  await selectNode(page, 'orders');
  await expect(page.getByTestId('preview-status')).toContainText('2 rows', { timeout: 30_000 });

  // orders.csv is not next to the new file: the relative path now names no file.
  const moved = path.join(there, 'moved.caudal.json');
  await saveAs(page, moved);
  await expect(page.getByTestId('doc-title')).toContainText(moved);
  await expect(page.getByTestId('check-state')).toContainText('problem', { timeout: 30_000 });
  await expect(node(page, 'orders').getByTestId('problem-badge')).toBeVisible();
  await expect(page.locator('[data-testid="preview-error"], [data-testid="preview-setup"]')).toBeVisible({ timeout: 30_000 });
  await expect(page.getByRole('table', { name: 'Preview rows' })).toHaveCount(0);

  // And back next to the data: valid again, with its rows.
  const back = path.join(here, 'back.caudal.json');
  await saveAs(page, back);
  await expect(page.getByTestId('doc-title')).toContainText(back);
  await expect(page.getByTestId('check-state')).toHaveText('valid', { timeout: 30_000 });
  await expect(page.getByTestId('preview-status')).toContainText('2 rows', { timeout: 30_000 });
});

test('a file without a layout opens with every card in its own place, and nothing to save', async ({ studioPage: page, workspace, studio }) => {
  const filter = (id: string, from: string) => [{ id, type: 'transform.filter', params: { condition: 'id > 1' } }, { from: `${from}:out`, to: `${id}:in` }] as const;
  const [f1, e1] = filter('first', 'numbers');
  const [f2, e2] = filter('second', 'first');
  const [f3, e3] = filter('third', 'numbers');
  const file = writePipeline(path.join(workspace, 'bare.caudal.json'), { nodes: [NUMBERS, f1, f2, f3], edges: [e1, e2, e3] });
  await launchTo(page, studio.url, file, 4);
  expect(await overlapping(page)).toBe(false);
  await expect(page.getByTestId('doc-title')).not.toContainText('●');
  // Each card takes its own clicks.
  for (const id of ['numbers', 'first', 'second', 'third']) await selectNode(page, id);

  // Some placed, some not: the placed ones stay, the others go where no card is.
  const some = writePipeline(path.join(workspace, 'some.caudal.json'), { nodes: [NUMBERS, f1, f2, f3], edges: [e1, e2, e3], layout: { nodes: { numbers: { x: 0, y: 0 }, second: { x: 600, y: 0 } } } });
  await launchTo(page, studio.url, some, 4);
  expect(await overlapping(page)).toBe(false);
  await expect(page.getByTestId('doc-title')).not.toContainText('●');
  // Saved, the file keeps the places it had and gains the new ones.
  await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('ControlOrMeta+S');
  await expect.poll(() => Object.keys(saved(some).layout?.nodes ?? {}).sort()).toEqual(['first', 'numbers', 'second', 'third']);
  expect(saved(some).layout!.nodes.numbers).toEqual({ x: 0, y: 0 });
  expect(saved(some).layout!.nodes.second).toEqual({ x: 600, y: 0 });
});

test('two nodes with one id: both are shown, the second is named in words and can be given an id of its own or deleted', async ({ studioPage: page, workspace, studio }) => {
  const file = writePipeline(path.join(workspace, 'twice.caudal.json'), {
    nodes: [
      { id: 'nasty', type: 'transform.sql', name: 'Numbers', params: { query: 'SELECT 1 AS id' } },
      { id: 'nasty', type: 'transform.sql', name: 'Nasty twin', params: { query: 'SELECT 2 AS id' } },
    ],
    layout: { nodes: { nasty: { x: 0, y: 0 } } },
  });
  await launchTo(page, studio.url, file, 2);
  const twin = node(page, 'nasty#1');
  await expect(twin).toContainText('Nasty twin');
  expect(await overlapping(page)).toBe(false);

  // The problem is the twin's, in words: which node has the id, and what to do; never a JSON path.
  await expect(twin.getByTestId('problem-badge')).toBeVisible({ timeout: 30_000 });
  await expect(node(page, 'nasty').getByTestId('problem-badge')).toHaveCount(0);
  await page.getByTestId('check-state').click();
  const entry = page.getByRole('menu', { name: 'Problems' }).getByRole('menuitem').filter({ hasText: 'Nasty twin' });
  await expect(entry).toContainText("Another node, SQL 'Numbers', has the id 'nasty' too");
  await expect(entry).toContainText('Give this node an id of its own, or delete it.');
  await expect(entry).not.toContainText('nodes[');
  await entry.click();
  const inspector = page.locator('.inspector[data-node-id="nasty#1"]');
  await expect(inspector).toBeVisible();

  // An id of its own makes it a node like any other.
  await expect(inspector.getByLabel('New node id')).toHaveValue('nasty_2');
  await inspector.getByLabel('New node id').fill('nasty');
  await expect(inspector.getByRole('form', { name: 'Own id' }).getByRole('alert')).toContainText('Another node has the id nasty: choose another.');
  await inspector.getByLabel('New node id').fill('twin');
  await inspector.getByRole('button', { name: 'Give it this id' }).click();
  await expect(page.locator('.inspector[data-node-id="twin"]')).toBeVisible();
  await expect(page.getByTestId('check-state')).toHaveText('valid', { timeout: 30_000 });
  const renamed = await save(page, file, (d) => d.nodes[1]!.id === 'twin');
  expect(renamed.nodes.map((n) => [n.id, n.name])).toEqual([
    ['nasty', 'Numbers'],
    ['twin', 'Nasty twin'],
  ]);

  // Undone, the twin is back; deleted, only the node the id names is left.
  await page.keyboard.press('ControlOrMeta+Z');
  await expect(node(page, 'nasty#1')).toBeVisible();
  await selectNode(page, 'nasty#1');
  await page.locator('.inspector[data-node-id="nasty#1"]').getByRole('button', { name: 'Delete this node' }).click();
  await expect(page.locator('.react-flow__node')).toHaveCount(1);
  await expect(page.getByTestId('check-state')).toHaveText('valid', { timeout: 30_000 });
  const left = await save(page, file, (d) => d.nodes.length === 1);
  expect(left.nodes).toEqual([{ id: 'nasty', type: 'transform.sql', name: 'Numbers', params: { query: 'SELECT 1 AS id' } }]);
});
