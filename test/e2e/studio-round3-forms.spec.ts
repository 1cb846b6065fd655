import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { test, expect } from './fixtures.js';
import { launchTo, selectNode } from './helpers.js';

/**
 * What the file holds is what the form shows and what a save writes back: line breaks and CRLF in
 * the pipeline's texts, values the form has no option for, kinds and node types this version does
 * not know. And the Connections dialog asks before throwing a typed connection away.
 */

type Saved = { description?: string; params?: Record<string, { type: string; description?: string }>; nodes: Array<{ id: string; type: string; params: Record<string, unknown> }> };
const saved = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Saved;

async function open(page: Page, url: string, workspace: string, doc: Record<string, unknown>): Promise<string> {
  const file = path.join(workspace, 'p.caudal.json');
  const nodes = (doc.nodes ?? []) as Array<{ id: string }>;
  const layout = { nodes: Object.fromEntries(nodes.map((n, i) => [n.id, { x: i * 260, y: 0 }])) };
  await writeFile(file, JSON.stringify({ format: 'caudal.pipeline/1', name: 'Forms', nodes: [], edges: [], ...doc, layout }, null, 2));
  await launchTo(page, url, file, nodes.length);
  return file;
}

async function save(page: Page, file: string, ready: (doc: Saved) => boolean): Promise<Saved> {
  await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('ControlOrMeta+S');
  await expect.poll(() => ready(saved(file))).toBe(true);
  return saved(file);
}

const SRC = { id: 'src', type: 'transform.sql', params: { query: "SELECT range AS id, 'a' AS s FROM range(10)" } };

test("a param's description keeps its line breaks, and the pipeline's description its CRLF line endings", async ({ studioPage: page, workspace, studio }) => {
  const file = await open(page, studio.url, workspace, {
    description: 'Line one\r\nLine two',
    params: { region: { type: 'string', default: 'eu', description: 'Which region.\nOne of eu, us.' } },
    nodes: [SRC],
  });
  const inspector = page.locator('.inspector[data-pipeline]');
  const paramDescription = inspector.getByLabel('Description of region');
  await expect(paramDescription).toHaveValue('Which region.\nOne of eu, us.');
  await paramDescription.press('ControlOrMeta+End');
  await paramDescription.pressSequentially('!');
  await paramDescription.press('Tab');
  const description = inspector.getByLabel('Description', { exact: true });
  await description.press('ControlOrMeta+End');
  await description.pressSequentially('!');
  await description.press('Tab');
  const doc = await save(page, file, (d) => d.description !== 'Line one\r\nLine two' && d.params!.region!.description!.endsWith('!'));
  expect(doc.params!.region!.description).toBe('Which region.\nOne of eu, us.!');
  expect(doc.description).toBe('Line one\r\nLine two!');
});

test('a value that is none of the options shows as it is, and can be changed back to the default', async ({ studioPage: page, workspace, studio }) => {
  const file = await open(page, studio.url, workspace, { nodes: [SRC, { id: 'dd', type: 'transform.dedupe', params: { keep: 'custom_value', keys: ['id'] } }], edges: [{ from: 'src:out', to: 'dd:in' }] });
  await selectNode(page, 'dd');
  const keep = page.locator('.inspector').getByLabel('Row to keep', { exact: true });
  await expect(keep.locator('option:checked')).toHaveText('"custom_value" (not an option)');
  await keep.selectOption({ label: 'Default (any)' });
  const doc = await save(page, file, (d) => d.nodes[1]!.params.keep === undefined);
  expect(doc.nodes[1]!.params).toEqual({ keys: ['id'] });
});

test('a check of a kind the form does not know, and a node of an unknown type, show their settings as they are and keep them', async ({ studioPage: page, workspace, studio }) => {
  const future = { kind: 'future_check', name: 'f1', column: 's', threshold: 3 };
  const plugin = { deep: { z: 1, a: [{ y: 2 }] }, list: [3, 'x'] };
  const file = await open(page, studio.url, workspace, {
    nodes: [SRC, { id: 'qc', type: 'quality.check', params: { checks: [future] } }, { id: 'mystery', type: 'custom.unknown_kind', params: plugin }],
    edges: [{ from: 'src:out', to: 'qc:in' }],
  });
  await selectNode(page, 'qc');
  const inspector = page.locator('.inspector');
  await expect(inspector.getByLabel('Kind of check 1').locator('option:checked')).toHaveText('future_check (unknown kind)');
  await expect(inspector.getByLabel('Settings of check 1')).toHaveValue(JSON.stringify(future, null, 2));

  await selectNode(page, 'mystery');
  await expect(inspector).toContainText("Unknown node type 'custom.unknown_kind'");
  await expect(inspector.getByLabel('Params', { exact: true })).toHaveValue(JSON.stringify(plugin, null, 2));
  // An edit elsewhere and a save keep both as they were.
  await inspector.getByLabel('Node name', { exact: true }).fill('Plugin');
  const doc = await save(page, file, (d) => (d.nodes[2] as { name?: string }).name === 'Plugin');
  expect(doc.nodes[1]!.params.checks).toEqual([future]);
  expect(doc.nodes[2]!.params).toEqual(plugin);
});

test('connections dialog: a typed connection is not thrown away by Escape or a click beside the dialog without asking; required fields and ports are checked in words', async ({ studioPage: page }) => {
  await page.getByRole('button', { name: 'File', exact: true }).click();
  await page.getByRole('menuitem', { name: 'Connections…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Connections' });
  await dialog.getByRole('button', { name: 'Add connection' }).click();
  await dialog.getByLabel('Connection type').selectOption('postgres');
  await dialog.getByLabel('Connection name').fill('warehouse');
  await dialog.getByLabel('Password').fill('s3cret');

  const asked: string[] = [];
  page.once('dialog', (d) => {
    asked.push(d.message());
    void d.dismiss();
  });
  await dialog.getByLabel('Password').press('Escape');
  await expect.poll(() => asked.length).toBe(1);
  await expect(dialog.getByLabel('Password')).toHaveValue('s3cret');
  page.once('dialog', (d) => {
    asked.push(d.message());
    void d.dismiss();
  });
  await page.mouse.click(5, 5); // the backdrop, beside the dialog
  await expect.poll(() => asked.length).toBe(2);
  await expect(dialog.getByLabel('Password')).toHaveValue('s3cret');
  expect(asked[0]).toContain('Discard the connection');

  // Required fields are marked, and named when missing; a port takes decimal digits only.
  await expect(dialog.locator('label', { has: page.getByLabel('Database', { exact: true }) }).locator('.req')).toHaveCount(1);
  await dialog.getByLabel('Port', { exact: true }).fill('0x1F90');
  await dialog.getByRole('button', { name: 'Save connection' }).click();
  await expect(dialog.getByText('Database is required.')).toBeVisible();
  await expect(dialog.getByText('User is required.')).toBeVisible();
  await expect(dialog.getByText('Port: enter a whole number (digits only).')).toBeVisible();
  await expect(dialog.getByRole('button', { name: 'Save connection' })).toBeVisible();

  // Confirmed, Escape closes it.
  page.once('dialog', (d) => void d.accept());
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
});

test('an edit undone by hand leaves the file as it was: pagination back to its default, a cache box ticked off and on', async ({ studioPage: page, workspace, studio }) => {
  const rest = { id: 'rest', type: 'source.rest', params: { url: 'http://127.0.0.1:1/x' } };
  const enrich = { id: 'he', type: 'transform.http_enrich', params: { url: 'http://127.0.0.1:1/{id}', outputs: [{ name: 'o', path: '$.x' }] } };
  const own = { id: 'rest2', type: 'source.rest', params: { url: 'http://127.0.0.1:1/y', pagination: {} } };
  const file = await open(page, studio.url, workspace, { nodes: [rest, enrich, own] });
  const inspector = page.locator('.inspector');
  await selectNode(page, 'rest');
  await inspector.locator('[data-field="pagination"] summary').click();
  const type = inspector.locator('[data-field="pagination.type"] select');
  await type.selectOption({ label: 'offset' });
  await expect(inspector.locator('[data-field="pagination"] summary')).toHaveText('Settings (1 set)');
  await type.selectOption({ index: 0 });
  await expect(inspector.locator('[data-field="pagination"] summary')).toHaveText('Settings (defaults)');

  await selectNode(page, 'he');
  await inspector.locator('[data-field="cache"] summary').click();
  const enabled = inspector.locator('[data-field="cache.enabled"] input[type=checkbox]');
  await enabled.uncheck();
  await enabled.check();
  await expect(enabled).toBeChecked();
  // An empty object the file holds (pagination: {}) is its own and stays.
  await selectNode(page, 'rest2');
  await inspector.getByLabel('Node name', { exact: true }).fill('Second');
  const doc = await save(page, file, (d) => (d.nodes[2] as { name?: string }).name === 'Second');
  expect(doc.nodes[0]!.params).toEqual(rest.params);
  expect(doc.nodes[1]!.params).toEqual(enrich.params);
  expect(doc.nodes[2]!.params).toEqual(own.params);
});

test('values the host refuses are named at their field and never saved: a pipeline name with a tab or bidi control, a __proto__ key', async ({ studioPage: page, workspace, studio }) => {
  const file = await open(page, studio.url, workspace, { nodes: [{ id: 'rest', type: 'source.rest', params: { url: 'http://127.0.0.1:1/x', headers: { 'X-A': 'a' } } }] });
  const name = page.locator('.inspector[data-pipeline]').getByLabel('Pipeline name');
  await name.fill('Sales\tEU \u202eevil');
  await expect(page.locator('.inspector[data-pipeline] .field-error')).toContainText('A pipeline name holds no control characters');
  await expect(page.getByTestId('doc-title')).toContainText('Forms');
  await name.fill('Sales EU');
  await expect(page.locator('.inspector[data-pipeline] .field-error')).toHaveCount(0);
  await name.press('Tab');

  await selectNode(page, 'rest');
  const inspector = page.locator('.inspector');
  await inspector.locator('[data-field="headers"]').getByRole('button', { name: '+ Add entry' }).click();
  await inspector.getByLabel('Headers key 2').fill('__proto__');
  await inspector.getByLabel('Headers value 2').fill('evil');
  await expect(inspector.locator('[data-field="headers"] .field-error')).toContainText("Headers has a key '__proto__', which cannot be kept: rename it.");
  await expect(inspector.getByLabel('Headers key 2')).toHaveAttribute('aria-invalid', 'true');
  const doc = await save(page, file, (d) => (d as { name?: string }).name === 'Sales EU');
  expect((doc.nodes[0]!.params.headers as Record<string, string>)).toEqual({ 'X-A': 'a', key2: '' });
  await expect(page.locator('.toast.error')).toHaveCount(0);
});
