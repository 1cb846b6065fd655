import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { test, expect } from './fixtures.js';
import { launchTo, node, selectNode } from './helpers.js';

/**
 * Keys go where the user is: undo inside a dialog is the dialog field's own, graph keys (Delete,
 * Ctrl+A, L) act on the canvas and never on a node behind a focused button, and undo shows in a
 * focused field what the document holds, one step per field edit.
 */

type Saved = { nodes: Array<{ id: string; name?: string; params: Record<string, unknown> }> };
const saved = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Saved;

async function open(page: Page, url: string, workspace: string, nodes: Array<Record<string, unknown>>, edges: Array<{ from: string; to: string }> = []): Promise<string> {
  const file = path.join(workspace, 'p.caudal.json');
  const layout = { nodes: Object.fromEntries(nodes.map((n, i) => [n.id as string, { x: i * 260, y: 0 }])) };
  await writeFile(file, JSON.stringify({ format: 'caudal.pipeline/1', name: 'Keys', nodes, edges, layout }, null, 2));
  await launchTo(page, url, file, nodes.length);
  return file;
}

const SRC = { id: 'src', type: 'transform.sql', params: { query: 'SELECT range AS id, range * 2 AS amount FROM range(10)' } };

test('Ctrl+Z in a dialog field undoes the typing in that field, never the pipeline behind the dialog', async ({ studioPage: page, workspace, studio }) => {
  await open(page, studio.url, workspace, [SRC]);
  await selectNode(page, 'src');
  const name = page.locator('.inspector').getByLabel('Node name', { exact: true });
  await name.fill('Edited name');
  await name.press('Tab');
  await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });

  // Save as: a typo in the path, undone with Ctrl+Z in the path field.
  await page.keyboard.press('ControlOrMeta+Shift+S');
  const target = path.join(workspace, 'copy.caudal.json');
  const pathField = page.getByLabel('File path');
  await pathField.fill(`${target}x`);
  await pathField.press('Backspace');
  await pathField.press('ControlOrMeta+Z');
  await expect(node(page, 'src').locator('.node-name')).toHaveText('Edited name');
  await expect(pathField).toHaveValue(`${target}x`); // the browser's own text undo of the Backspace
  await pathField.fill(target);
  await page.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
  await expect.poll(() => existsSync(target)).toBe(true);
  expect(saved(target).nodes[0]!.name).toBe('Edited name');

  // Connections: Ctrl+Z and Ctrl+Y in the new connection's name leave the pipeline alone.
  await page.getByRole('button', { name: 'File', exact: true }).click();
  await page.getByRole('menuitem', { name: /Connections/ }).click();
  const dialog = page.getByRole('dialog', { name: 'Connections' });
  await dialog.getByRole('button', { name: 'Add connection' }).click();
  await dialog.getByLabel('Connection name').fill('abc');
  await dialog.getByLabel('Connection name').press('ControlOrMeta+Z');
  await dialog.getByLabel('Connection name').press('ControlOrMeta+Y');
  await expect(node(page, 'src').locator('.node-name')).toHaveText('Edited name');
});

test('Delete, Ctrl+A and L do nothing to the graph while a button or summary in the inspector has the focus', async ({ studioPage: page, workspace, studio }) => {
  const file = await open(page, studio.url, workspace, [SRC, { id: 'csvsrc', type: 'source.csv', params: { path: 'x.csv' } }]);
  await writeFile(path.join(workspace, 'x.csv'), 'a,b\n1,2\n');
  await selectNode(page, 'csvsrc');
  const header = page.locator('.inspector').getByRole('radiogroup', { name: 'First row is a header' });
  await header.getByRole('radio', { name: 'Yes', exact: true }).click();
  await expect(header.getByRole('radio', { name: 'Yes', exact: true })).toBeFocused();
  await page.keyboard.press('Backspace');
  await page.keyboard.press('Delete');
  await page.keyboard.press('ControlOrMeta+A');
  const before = await node(page, 'csvsrc').getAttribute('style');
  await page.keyboard.press('l');
  await expect(node(page, 'csvsrc')).toHaveCount(1);
  await expect(page.locator('.react-flow__node.selected')).toHaveCount(1);

  const summary = page.locator('.inspector details summary').first();
  await summary.click();
  await expect(summary).toBeFocused();
  await page.keyboard.press('Delete');
  await expect(node(page, 'csvsrc')).toHaveCount(1);
  expect(await node(page, 'csvsrc').getAttribute('style')).toBe(before);

  // On the canvas the keys work: the node selected there is deleted.
  await node(page, 'csvsrc').locator('.node-name').click();
  await page.keyboard.press('Delete');
  await expect(node(page, 'csvsrc')).toHaveCount(0);
  await page.keyboard.press('ControlOrMeta+Z');
  await expect(node(page, 'csvsrc')).toHaveCount(1);
  // The only edit left is the header choice.
  await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('ControlOrMeta+S');
  await expect.poll(() => saved(file).nodes.find((n) => n.id === 'csvsrc')?.params.header).toBe(true);
  expect(saved(file).nodes).toHaveLength(2);
});

test('undo in a focused SQL field shows what the document holds, even a text the field held a moment ago', async ({ studioPage: page, workspace, studio }) => {
  const file = await open(page, studio.url, workspace, [SRC, { id: 'f', type: 'transform.filter', params: { condition: 'id > 1' } }], [{ from: 'src:out', to: 'f:in' }]);
  await selectNode(page, 'f');
  const editor = page.locator('.inspector .cm-content').first();
  await editor.click();
  await page.keyboard.press('End');
  await page.keyboard.type('x', { delay: 50 });
  await page.keyboard.press('Backspace');
  await page.keyboard.type('y', { delay: 50 });
  await expect(editor).toHaveText('id > 1y');
  await page.keyboard.press('ControlOrMeta+Z');
  await expect(editor).toHaveText('id > 1');
  await page.keyboard.press('ControlOrMeta+Shift+Z');
  await expect(editor).toHaveText('id > 1y');
  await page.keyboard.press('ControlOrMeta+Z');
  await expect(editor).toHaveText('id > 1');
  // Typing goes on from what is shown, and the file gets what the field shows.
  await page.keyboard.press('End');
  await page.keyboard.type(' AND amount > 2', { delay: 20 });
  await expect(editor).toHaveText('id > 1 AND amount > 2');
  await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('ControlOrMeta+S');
  await expect.poll(() => saved(file).nodes[1]!.params.condition).toBe('id > 1 AND amount > 2');
});

test('typing in a key/value entry is one undo step until the box loses focus', async ({ studioPage: page, workspace, studio }) => {
  await open(page, studio.url, workspace, [{ id: 'rest', type: 'source.rest', params: { url: 'http://127.0.0.1:1/x', headers: { 'X-A': 'a' } } }]);
  await selectNode(page, 'rest');
  const inspector = page.locator('.inspector');
  const value = inspector.getByLabel('Headers value 1');
  await value.click();
  await value.press('End');
  await value.pressSequentially('bcd', { delay: 30 });
  await value.press('Tab');
  const key = inspector.getByLabel('Headers key 1');
  await key.click();
  await key.press('End');
  await key.pressSequentially('YZ', { delay: 30 });
  await key.press('Tab');
  await page.keyboard.press('ControlOrMeta+Z');
  await expect(key).toHaveValue('X-A');
  await expect(value).toHaveValue('abcd');
  await page.keyboard.press('ControlOrMeta+Z');
  await expect(value).toHaveValue('a');
  await expect(page.getByTestId('doc-title')).not.toContainText('●');
});
