import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { test, expect } from './fixtures.js';
import { launchTo, selectNode } from './helpers.js';

/**
 * The studio edits what the pipeline file holds and nothing else: every setting can be reached,
 * what a field shows is what the file holds (line breaks, line endings, undone values), and what
 * the file holds that is wrong (a misspelled key) can be fixed without a text editor.
 */

const SRC = { id: 'src', type: 'transform.sql', params: { query: 'SELECT range AS id, range * 1.5 AS amount FROM range(10)' } };

async function open(page: Page, url: string, workspace: string, doc: Record<string, unknown>, nodes: number): Promise<string> {
  const file = path.join(workspace, 'p.caudal.json');
  // Boxes side by side, so each can be clicked.
  const layout = { nodes: Object.fromEntries((doc.nodes as Array<{ id: string }>).map((n, i) => [n.id, { x: i * 260, y: 0 }])) };
  await writeFile(file, JSON.stringify({ format: 'caudal.pipeline/1', name: 'Fidelity', ...doc, layout }, null, 2));
  await launchTo(page, url, file, nodes);
  return file;
}

type Params = Record<string, unknown> & { checks?: Array<{ description?: string }>; aggregations?: Array<Record<string, unknown>> };
type Saved = { nodes: Array<{ name?: string; description?: string; params: Params }>; params?: Record<string, { type: string; default?: unknown }> };
const saved = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Saved;

async function save(page: Page, file: string, ready: (doc: ReturnType<typeof saved>) => boolean): Promise<ReturnType<typeof saved>> {
  await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('ControlOrMeta+S');
  await expect.poll(() => ready(saved(file))).toBe(true);
  return saved(file);
}

test('the CSV source offers its Encoding in the File group, with Hive partitions unset, true or false', async ({ studioPage: page, workspace, studio }) => {
  await writeFile(path.join(workspace, 'cyr.csv'), 'id,name\n1,Ivan\n');
  const file = await open(page, studio.url, workspace, { nodes: [{ id: 'cyr', type: 'source.csv', params: { path: 'cyr.csv' } }], edges: [] }, 1);
  await selectNode(page, 'cyr');
  const encoding = page.locator('.inspector').getByRole('region', { name: 'File', exact: true }).getByLabel('Encoding', { exact: true });
  await expect(encoding).toBeVisible();
  for (const hive of ['true', 'false']) {
    await page.locator('.inspector').getByLabel('Hive partitions', { exact: true }).selectOption({ label: hive });
    await expect(encoding).toBeVisible();
  }
  await encoding.selectOption('windows-1251');
  expect((await save(page, file, (d) => d.nodes[0]!.params.encoding !== undefined)).nodes[0]!.params.encoding).toBe('windows-1251');
});

test('undo while a number field has focus shows the undone value, and the file gets what the field shows', async ({ studioPage: page, workspace, studio }) => {
  const file = await open(page, studio.url, workspace, { nodes: [SRC, { id: 'lim', type: 'transform.limit', params: { count: 10 } }], edges: [{ from: 'src:out', to: 'lim:in' }] }, 2);
  await selectNode(page, 'lim');
  const rows = page.locator('.inspector').getByLabel('Rows', { exact: true });
  await rows.fill('25');
  await expect(page.getByTestId('doc-title')).toContainText('●');
  await page.keyboard.press('ControlOrMeta+Z');
  await expect(rows).toBeFocused();
  await expect(rows).toHaveValue('10');
  await expect(page.getByTestId('doc-title')).not.toContainText('●');
  await page.keyboard.press('ControlOrMeta+Shift+Z');
  await expect(rows).toHaveValue('25');
  await rows.press('Tab');
  await expect(rows).toHaveValue('25');
  expect((await save(page, file, (d) => d.nodes[1]!.params.count !== 10)).nodes[1]!.params.count).toBe(25);
});

test('a number field refuses hexadecimal and binary: the text stays as typed and the form says it is not a number', async ({ studioPage: page, workspace, studio }) => {
  const file = await open(page, studio.url, workspace, { nodes: [SRC, { id: 'lim', type: 'transform.limit', params: { count: 10 } }], edges: [{ from: 'src:out', to: 'lim:in' }] }, 2);
  await selectNode(page, 'lim');
  const rows = page.locator('.inspector').getByLabel('Rows', { exact: true });
  await rows.fill('0x10');
  await rows.press('Tab');
  await expect(rows).toHaveValue('0x10');
  await expect(page.locator('.inspector .field-error')).toContainText('Enter a number');
  expect((await save(page, file, (d) => d.nodes[1]!.params.count !== 10)).nodes[1]!.params.count).toBe('0x10');
});

test('line breaks and CRLF line endings in names, descriptions and SQL survive an edit', async ({ studioPage: page, workspace, studio }) => {
  const query = "SELECT *\r\nFROM qc\r\nWHERE amount <> 1.5 OR 'a\r\nb' <> ''";
  const file = await open(
    page,
    studio.url,
    workspace,
    {
      nodes: [
        SRC,
        { id: 'qc', type: 'quality.check', name: 'Checks\nline two', params: { checks: [{ kind: 'not_null', name: 'id_set', column: 'id', severity: 'warn', description: 'Id must be set.\nOwner: finance\n\tsee wiki' }] } },
        { id: 'q', type: 'transform.sql', params: { query } },
      ],
      edges: [
        { from: 'src:out', to: 'qc:in' },
        { from: 'qc:out', to: 'q:in' },
      ],
    },
    3,
  );
  await selectNode(page, 'qc');
  const name = page.locator('.inspector').getByLabel('Node name', { exact: true });
  await expect(name).toHaveValue('Checks\nline two');
  await name.press('ControlOrMeta+End');
  await name.pressSequentially('!');
  await page.locator('.inspector details.more-settings').first().evaluate((e) => ((e as HTMLDetailsElement).open = true));
  const description = page.locator('.inspector').getByLabel('Description', { exact: true }).first();
  await expect(description).toHaveValue('Id must be set.\nOwner: finance\n\tsee wiki');
  await description.press('ControlOrMeta+End');
  await description.pressSequentially('!');
  await description.press('Tab');

  await selectNode(page, 'q');
  await page.locator('.inspector .cm-content').click();
  await page.keyboard.press('ControlOrMeta+End');
  await page.keyboard.type(' ');
  await page.keyboard.press('Backspace');
  await page.keyboard.press('Enter');
  await page.keyboard.type('LIMIT 5');
  const doc = await save(page, file, (d) => d.nodes[1]!.name !== 'Checks\nline two' && String(d.nodes[2]!.params.query).includes('LIMIT'));
  expect(doc.nodes[1]!.name).toBe('Checks\nline two!');
  expect(doc.nodes[1]!.params.checks![0]!.description).toBe('Id must be set.\nOwner: finance\n\tsee wiki!');
  expect(doc.nodes[2]!.params.query).toBe(`${query}\r\nLIMIT 5`);
});

test("a node's description is shown and edited in the inspector", async ({ studioPage: page, workspace, studio }) => {
  const file = await open(page, studio.url, workspace, { nodes: [SRC, { id: 'f', type: 'transform.filter', description: 'Keeps the big ones.', params: { condition: 'amount > 5' } }], edges: [{ from: 'src:out', to: 'f:in' }] }, 2);
  await selectNode(page, 'f');
  const description = page.locator('.inspector').getByLabel('Node description', { exact: true });
  await expect(description).toHaveValue('Keeps the big ones.');
  await description.press('ControlOrMeta+End');
  await description.press('Enter');
  await description.pressSequentially('Owner: sales');
  expect((await save(page, file, (d) => d.nodes[1]!.description !== 'Keeps the big ones.')).nodes[1]!.description).toBe('Keeps the big ones.\nOwner: sales');
});

test('a key the node does not know is removed with the button beside its message', async ({ studioPage: page, workspace, studio }) => {
  const file = await open(
    page,
    studio.url,
    workspace,
    {
      nodes: [
        SRC,
        { id: 'f', type: 'transform.filter', params: { condition: 'amount > 5', conditon: 'amount > 100' } },
        { id: 'agg', type: 'transform.aggregate', params: { aggregations: [{ name: 'total', function: 'sum', column: 'amount', colum: 'id' }] } },
      ],
      edges: [
        { from: 'src:out', to: 'f:in' },
        { from: 'f:out', to: 'agg:in' },
      ],
    },
    3,
  );
  await selectNode(page, 'f');
  await expect(page.locator('.inspector .unknown-key')).toContainText('conditon');
  await page.locator('.inspector').getByRole('button', { name: 'Remove "conditon"' }).click();
  await expect(page.locator('.inspector .unknown-key')).toHaveCount(0);
  await selectNode(page, 'agg');
  await expect(page.locator('.inspector .unknown-key')).toContainText('Aggregation 1');
  await page.locator('.inspector').getByRole('button', { name: 'Remove "colum"' }).click();
  const doc = await save(page, file, (d) => !('conditon' in d.nodes[1]!.params) && !('colum' in d.nodes[2]!.params.aggregations![0]!));
  expect(doc.nodes[1]!.params).toEqual({ condition: 'amount > 5' });
  expect(doc.nodes[2]!.params.aggregations![0]).toEqual({ name: 'total', function: 'sum', column: 'amount' });
});

test('a text param with the empty text as its default is told apart from one with no default, and one can be entered', async ({ studioPage: page, workspace, studio }) => {
  const file = await open(page, studio.url, workspace, { params: { sep: { type: 'string', default: '' }, none: { type: 'string' } }, nodes: [SRC], edges: [] }, 1);
  const params = page.getByRole('region', { name: 'Params' });
  await expect(params.getByRole('button', { name: 'Default of sep: empty text' })).toHaveAttribute('aria-pressed', 'true');
  await expect(params.getByLabel('Default of sep', { exact: true })).toHaveAttribute('placeholder', '(empty text)');
  await expect(params.getByRole('button', { name: 'Default of none: empty text' })).toHaveAttribute('aria-pressed', 'false');
  await params.getByRole('button', { name: 'Default of none: empty text' }).click();
  const doc = await save(page, file, (d) => d.params?.none?.default !== undefined);
  expect(doc.params).toEqual({ sep: { type: 'string', default: '' }, none: { type: 'string', default: '' } });
});
