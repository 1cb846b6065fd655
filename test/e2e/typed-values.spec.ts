import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test, expect } from './fixtures.js';
import { launchTo, selectNode } from './helpers.js';

/**
 * Values typed key by key arrive as typed: a decimal number keeps its point while it is being
 * typed (`0.` is not `0`), and the connections dialog offers a yes/no choice for true/false fields.
 */
test('a decimal typed key by key is saved as that number', async ({ studioPage: page, workspace, studio }) => {
  const file = path.join(workspace, 'decimal.caudal.json');
  const doc = {
    format: 'caudal.pipeline/1',
    name: 'Decimal',
    nodes: [
      { id: 'src', type: 'transform.sql', params: { query: 'SELECT range AS id FROM range(10)' } },
      { id: 'sample', type: 'transform.sample', params: { unit: 'percent', size: 10 } },
    ],
    edges: [{ from: 'src:out', to: 'sample:in' }],
  };
  await writeFile(file, JSON.stringify(doc, null, 2));
  await launchTo(page, studio.url, file, 2);
  await selectNode(page, 'sample');
  const size = page.locator('.inspector').getByLabel('Size', { exact: true });
  await size.fill('');
  await size.pressSequentially('0.5', { delay: 30 });
  await expect(size).toHaveValue('0.5');
  await size.blur();
  await page.keyboard.press('ControlOrMeta+S');
  await expect.poll(() => JSON.parse(readFileSync(file, 'utf8')).nodes[1].params.size).toBe(0.5);
});

test('connections dialog: yes/no, decimal and key-value fields are stored as a boolean, a number and an object', async ({ studioPage: page, workspace }) => {
  await page.getByRole('button', { name: 'File', exact: true }).click();
  await page.getByRole('menuitem', { name: 'Connections…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Connections' });
  await dialog.getByRole('button', { name: 'Add connection' }).click();
  await dialog.getByLabel('Connection name').fill('bus');
  await dialog.getByLabel('Connection type').selectOption('kafka');
  await dialog.getByLabel('Brokers').fill('localhost:9092');
  await dialog.getByLabel('TLS', { exact: true }).selectOption('true');
  await dialog.getByRole('button', { name: 'Save connection' }).click();
  await expect(dialog.getByRole('button', { name: 'Add connection' })).toBeVisible();

  await dialog.getByRole('button', { name: 'Add connection' }).click();
  await dialog.getByLabel('Connection name').fill('api');
  await dialog.getByLabel('Connection type').selectOption('rest');
  await dialog.getByLabel('Base URL').fill('https://api.example.com');
  const timeout = dialog.getByLabel('Timeout (s)');
  await timeout.pressSequentially('2.5', { delay: 30 });
  await expect(timeout).toHaveValue('2.5');
  await dialog.getByLabel('Headers', { exact: true }).fill('{"Accept": "application/json"}');
  await dialog.getByRole('button', { name: 'Save connection' }).click();
  await expect(dialog.getByRole('button', { name: 'Add connection' })).toBeVisible();

  const stored = JSON.parse(readFileSync(path.join(workspace, '.config', 'connections.json'), 'utf8')) as { connections: Record<string, Record<string, unknown>> };
  expect(stored.connections.bus).toMatchObject({ type: 'kafka', ssl: true });
  expect(stored.connections.api).toMatchObject({ type: 'rest', timeout_s: 2.5, headers: { Accept: 'application/json' } });
});

test('key-value entries: renaming a key through another one loses nothing, and a new entry takes a free key', async ({ studioPage: page, workspace, studio }) => {
  const file = path.join(workspace, 'kv.caudal.json');
  const enrich = { id: 'enrich', type: 'transform.http_enrich', params: { url: 'http://127.0.0.1:9/{id}', params: { key2: 'keep-me', ab: 'second', a: 'first' }, outputs: [{ name: 'o', path: '$.a' }] } };
  const doc = { format: 'caudal.pipeline/1', name: 'Key values', nodes: [{ id: 'src', type: 'transform.sql', params: { query: 'SELECT 1 AS id' } }, enrich], edges: [{ from: 'src:out', to: 'enrich:in' }] };
  await writeFile(file, JSON.stringify(doc, null, 2));
  await launchTo(page, studio.url, file, 2);
  await selectNode(page, 'enrich');
  const inspector = page.locator('.inspector');
  const key = inspector.getByLabel('Query params key 2', { exact: true });
  await expect(key).toHaveValue('ab');
  await key.click();
  await page.keyboard.press('End');
  await page.keyboard.press('Backspace'); // "a": the same key as row 3, shown as a problem, nothing saved
  await expect(inspector.getByText('is used twice')).toBeVisible();
  await page.keyboard.type('c');
  await inspector.getByRole('button', { name: '+ Add entry' }).first().click();
  await page.keyboard.press('ControlOrMeta+S');
  await expect.poll(() => JSON.parse(readFileSync(file, 'utf8')).nodes[1].params.params).toEqual({ key2: 'keep-me', ac: 'second', a: 'first', key4: '' });
});
