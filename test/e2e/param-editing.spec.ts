/**
 * Params the pipeline format allows are editable in the studio and saved as the format says: pipeline
 * params added and removed, a database filter with `in` and a list of typed values, Elasticsearch
 * mappings as a JSON object (never as text, nothing saved while the JSON is wrong), lists without
 * holes that can be emptied and unset, and empty texts kept apart from unset settings.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { test, expect } from './fixtures.js';
import { launchTo, selectNode } from './helpers.js';

type Doc = { params?: Record<string, unknown>; nodes: Array<{ id: string; params: Record<string, unknown> }> };

function writePipeline(workspace: string, name: string, nodes: unknown[], extra: Record<string, unknown> = {}): string {
  const file = path.join(workspace, `${name}.caudal.json`);
  writeFileSync(file, JSON.stringify({ format: 'caudal.pipeline/1', name, nodes, edges: [], ...extra }, null, 2));
  return file;
}

const saved = (file: string): Doc => JSON.parse(readFileSync(file, 'utf8')) as Doc;

async function save(page: Page): Promise<void> {
  await page.keyboard.press('ControlOrMeta+S');
  await expect(page.locator('.toolbar')).not.toContainText('●');
}

test('pipeline params are added with a checked name and a typed default, and removed', async ({ studioPage: page, workspace, studio }) => {
  const file = writePipeline(workspace, 'params', [{ id: 'src', type: 'transform.sql', params: { query: 'SELECT 1 AS id' } }]);
  await launchTo(page, studio.url, file, 1);
  const params = page.locator('.inspector').getByRole('region', { name: 'Params' });

  await params.getByRole('button', { name: '+ Add param' }).click();
  await params.getByLabel('New param name').fill('run-date');
  await expect(params.getByRole('alert')).toContainText('starts with a letter or _ and has only letters, digits and _');
  await params.getByLabel('New param name').fill('run_date');
  await params.getByLabel('New param type').selectOption('date');
  await params.getByLabel('New param default').fill('31/01/2025');
  await params.getByRole('button', { name: 'Add param' }).click();
  await expect(params.getByRole('alert')).toContainText('YYYY-MM-DD');
  await params.getByLabel('New param default').fill('2025-01-31');
  await params.getByRole('button', { name: 'Add param' }).click();
  await expect(params.getByRole('group', { name: 'Param run_date' })).toBeVisible();

  await params.getByRole('button', { name: '+ Add param' }).click();
  await params.getByLabel('New param name').fill('run_date');
  await expect(params.getByRole('alert')).toContainText('There is already a param named run_date');
  await params.getByLabel('New param name').fill('min_amount');
  await params.getByLabel('New param type').selectOption('number');
  await params.getByLabel('New param default').fill('10');
  await params.getByLabel('New param default').press('Enter');
  await params.getByLabel('Description of min_amount').fill('Smallest sale kept');
  await save(page);
  expect(saved(file).params).toEqual({ run_date: { type: 'date', default: '2025-01-31' }, min_amount: { type: 'number', default: 10, description: 'Smallest sale kept' } });

  // A default that is not a number is refused at the field, and the saved one stays.
  await params.getByLabel('Default of min_amount').fill('ten');
  await expect(params.getByRole('alert')).toContainText('The default must be a number');
  await params.getByLabel('Default of min_amount').fill('2.5');
  await params.getByRole('button', { name: 'Remove param run_date' }).click();
  await save(page);
  expect(saved(file).params).toEqual({ min_amount: { type: 'number', default: 2.5, description: 'Smallest sale kept' } });
});

test('a PostgreSQL filter switched to "in" takes a list of typed values', async ({ studioPage: page, workspace, studio }) => {
  const file = writePipeline(workspace, 'filters', [{ id: 'orders', type: 'source.postgres', params: { connection: 'warehouse', table: 'orders', filters: [{ column: 'status', op: '=', value: 'shipped' }] } }], {
    connections: { warehouse: { type: 'postgres' } },
  });
  await launchTo(page, studio.url, file, 1);
  await selectNode(page, 'orders');
  const filter = page.locator('.inspector').getByRole('group', { name: 'Filter 1' });
  await filter.getByLabel('Op', { exact: true }).selectOption('in');
  await expect(filter.getByLabel('Value 1', { exact: true })).toHaveValue('shipped');
  await filter.getByRole('button', { name: '+ Add value' }).click();
  await filter.getByLabel('Value 2', { exact: true }).fill('7');
  await filter.getByRole('button', { name: '+ Add value' }).click(); // left blank: not saved
  await expect(filter.getByRole('status')).toContainText('Blank entries are not saved');
  await save(page);
  expect(saved(file).nodes[0]!.params.filters).toEqual([{ column: 'status', op: 'in', value: ['shipped', 7] }]);

  await filter.getByRole('button', { name: 'Remove Value 2' }).click();
  await filter.getByLabel('Op', { exact: true }).selectOption('=');
  await save(page);
  expect(saved(file).nodes[0]!.params.filters).toEqual([{ column: 'status', op: '=', value: 'shipped' }]);
});

test('Elasticsearch mappings are saved as an object; wrong JSON is shown at the field and not saved', async ({ studioPage: page, workspace, studio }) => {
  const file = writePipeline(workspace, 'es', [{ id: 'search', type: 'sink.elasticsearch', params: { connection: 'search', index: 'products', mappings: { sku: { type: 'keyword' } } } }], {
    connections: { search: { type: 'elasticsearch' } },
  });
  await launchTo(page, studio.url, file, 1);
  await selectNode(page, 'search');
  const inspector = page.locator('.inspector');
  const mappings = inspector.getByLabel('Mapping overrides', { exact: true });
  await mappings.fill('{"sku": {"type": "keyword"},\n "name": {"type": "text"},\n}');
  await expect(inspector.getByRole('alert').filter({ hasText: 'Not valid JSON at line 3' })).toBeVisible();
  await save(page).catch(() => undefined);
  expect(saved(file).nodes[0]!.params.mappings).toEqual({ sku: { type: 'keyword' } });

  await mappings.fill('{"sku": {"type": "keyword"}, "name": {"type": "text"}}');
  await expect(inspector.getByText('Not valid JSON')).toHaveCount(0);
  await inspector.getByLabel('Index settings', { exact: true }).fill('{"number_of_shards": 3}');
  await save(page);
  expect(saved(file).nodes[0]!.params).toMatchObject({ mappings: { sku: { type: 'keyword' }, name: { type: 'text' } }, settings: { number_of_shards: 3 } });
});

test('lists never save holes and can be emptied and unset; an empty text is not an unset setting', async ({ studioPage: page, workspace, studio }) => {
  writeFileSync(path.join(workspace, 'orders.csv'), 'id,status\n1,NA\n2,shipped\n');
  const file = writePipeline(workspace, 'lists', [{ id: 'orders', type: 'source.csv', params: { path: 'orders.csv', null_strings: ['NA', '-'] } }]);
  await launchTo(page, studio.url, file, 1);
  await selectNode(page, 'orders');
  const inspector = page.locator('.inspector');

  await inspector.getByLabel('Null values 1', { exact: true }).fill('');
  await save(page);
  expect(saved(file).nodes[0]!.params.null_strings).toEqual(['-']);

  // The blank entry becomes the empty text (an empty field is NULL), which is a value.
  await inspector.getByRole('button', { name: 'Null values 1: empty text' }).click();
  await save(page);
  expect(saved(file).nodes[0]!.params.null_strings).toEqual(['', '-']);

  await inspector.getByRole('button', { name: 'Remove Null values 2' }).click();
  await inspector.getByRole('button', { name: 'Remove Null values 1' }).click();
  await save(page);
  expect(saved(file).nodes[0]!.params.null_strings).toEqual([]); // nothing is NULL
  await inspector.getByRole('button', { name: 'Unset it' }).click();

  await inspector.getByRole('button', { name: 'Quote: empty text' }).click();
  await save(page);
  const params = saved(file).nodes[0]!.params;
  expect(params).not.toHaveProperty('null_strings');
  expect(params.quote).toBe('');
});
