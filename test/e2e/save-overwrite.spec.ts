/**
 * Saving over a file that is not a Caudal pipeline: the host refuses, the studio asks, and only a
 * yes replaces the file.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test, expect } from './fixtures.js';

test('saving over a file that is not a pipeline asks first; no keeps the file', async ({ studioPage: page, workspace, studio }) => {
  const file = path.join(workspace, 'numbers.caudal.json');
  writeFileSync(file, JSON.stringify({ format: 'caudal.pipeline/1', name: 'Numbers', nodes: [{ id: 'nums', type: 'transform.sql', params: { query: 'SELECT range AS n FROM range(5)' } }], edges: [] }));
  const notes = path.join(workspace, 'notes.txt');
  writeFileSync(notes, 'my notes, not a pipeline\n');
  await page.goto(`${studio.url}&open=${encodeURIComponent(file)}`);
  await expect(page.locator('.react-flow__node')).toHaveCount(1);

  const asked: string[] = [];
  page.once('dialog', (d) => {
    asked.push(d.message());
    void d.dismiss();
  });
  await page.keyboard.press('ControlOrMeta+Shift+S');
  await page.getByLabel('File path').fill(notes);
  await page.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
  await expect.poll(() => asked.length).toBe(1);
  expect(asked[0]).toContain(`${notes} exists and is not a Caudal pipeline`);
  expect(readFileSync(notes, 'utf8')).toBe('my notes, not a pipeline\n');
  await expect(page.getByTestId('doc-title')).toContainText(file);

  page.once('dialog', (d) => void d.accept());
  await page.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
  await expect(page.getByTestId('doc-title')).toContainText(notes);
  expect(JSON.parse(readFileSync(notes, 'utf8'))).toMatchObject({ format: 'caudal.pipeline/1', name: 'Numbers' });
});

test('saving a pipeline that another program changed since it was opened asks first; no keeps their version', async ({ studioPage: page, workspace, studio }) => {
  const file = path.join(workspace, 'shared.caudal.json');
  const pipeline = (name: string) => JSON.stringify({ format: 'caudal.pipeline/1', name, nodes: [{ id: 'nums', type: 'transform.sql', params: { query: 'SELECT range AS n FROM range(5)' } }], edges: [] });
  writeFileSync(file, pipeline('Shared'));
  await page.goto(`${studio.url}&open=${encodeURIComponent(file)}`);
  await expect(page.locator('.react-flow__node')).toHaveCount(1);
  await page.getByTestId('doc-title').click();
  await page.getByLabel('Pipeline name').fill('Mine');
  await page.getByLabel('Pipeline name').press('Enter');

  // Meanwhile a teammate's version arrives (git pull, an editor, another window).
  writeFileSync(file, pipeline('Theirs'));
  const asked: string[] = [];
  page.once('dialog', (d) => {
    asked.push(d.message());
    void d.dismiss();
  });
  await page.keyboard.press('ControlOrMeta+S');
  await expect.poll(() => asked.length).toBe(1);
  expect(asked[0]).toContain(`${file} was changed by another program since you opened or last saved it: saving would discard those changes`);
  expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ name: 'Theirs' });
  await expect(page.getByTestId('doc-title').locator('.dirty')).toHaveCount(1);

  page.once('dialog', (d) => void d.accept());
  await page.keyboard.press('ControlOrMeta+S');
  await expect(page.getByTestId('doc-title').locator('.dirty')).toHaveCount(0);
  expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ name: 'Mine' });

  // Saved here since: the next save asks nothing.
  page.once('dialog', (d) => {
    asked.push(d.message());
    void d.dismiss();
  });
  await page.getByTestId('doc-title').click();
  await page.getByLabel('Pipeline name').fill('Mine again');
  await page.getByLabel('Pipeline name').press('Enter');
  await page.keyboard.press('ControlOrMeta+S');
  await expect.poll(() => JSON.parse(readFileSync(file, 'utf8')).name as string).toBe('Mine again');
  expect(asked).toHaveLength(1);
});

test('exporting onto an existing file asks first; no keeps the file and the form', async ({ studioPage: page, workspace, studio }) => {
  const file = path.join(workspace, 'numbers.caudal.json');
  writeFileSync(file, JSON.stringify({ format: 'caudal.pipeline/1', name: 'Numbers', nodes: [], edges: [] }));
  const data = path.join(workspace, 'orders.csv');
  writeFileSync(data, 'id,amount\n1,10\n');
  await page.goto(`${studio.url}&open=${encodeURIComponent(file)}`);
  await expect(page.getByTestId('doc-title')).toContainText(file);

  const asked: string[] = [];
  page.once('dialog', (d) => {
    asked.push(d.message());
    void d.dismiss();
  });
  await page.getByRole('button', { name: 'File', exact: true }).click();
  await page.getByRole('menuitem', { name: /^Export pipeline JSON/ }).click();
  await page.getByLabel('File path').fill(data);
  await page.getByRole('dialog').getByRole('button', { name: 'Export' }).click();
  await expect.poll(() => asked.length).toBe(1);
  expect(asked[0]).toContain(`${data} exists: exporting would replace it`);
  expect(readFileSync(data, 'utf8')).toBe('id,amount\n1,10\n');
  await expect(page.getByLabel('File path')).toHaveValue(data);
});

test('a pipeline changed on disk is reloaded when the studio comes back into view, unless it has unsaved edits', async ({ studioPage: page, workspace, studio }) => {
  const file = path.join(workspace, 'pulled.caudal.json');
  const pipeline = (name: string, nodes: number) =>
    JSON.stringify({ format: 'caudal.pipeline/1', name, nodes: Array.from({ length: nodes }, (_, i) => ({ id: `q${i}`, type: 'transform.sql', params: { query: `SELECT ${i} AS n` } })), edges: [] });
  writeFileSync(file, pipeline('Before pull', 1));
  await page.goto(`${studio.url}&open=${encodeURIComponent(file)}`);
  await expect(page.locator('.react-flow__node')).toHaveCount(1);

  // `git pull` in a terminal, then back to the studio: no unsaved edits, so it shows what is on disk.
  writeFileSync(file, pipeline('After pull', 2));
  await page.evaluate(() => window.dispatchEvent(new Event('focus')));
  await expect(page.locator('.react-flow__node')).toHaveCount(2);
  await expect(page.getByText(`Reloaded ${file}: it was changed by another program.`)).toBeVisible();
  await expect(page.getByTestId('doc-title').locator('.dirty')).toHaveCount(0);

  // With unsaved edits nothing is replaced: the user is told, and saving will ask.
  await page.getByTestId('doc-title').click();
  await page.getByLabel('Pipeline name').fill('My edits');
  writeFileSync(file, pipeline('Second pull', 3));
  await page.evaluate(() => window.dispatchEvent(new Event('focus')));
  await expect(page.getByText(`${file} was changed by another program. Your edits here are not saved: saving will ask before replacing that version.`)).toBeVisible();
  await expect(page.locator('.react-flow__node')).toHaveCount(2);
  await expect(page.getByLabel('Pipeline name')).toHaveValue('My edits');
});
