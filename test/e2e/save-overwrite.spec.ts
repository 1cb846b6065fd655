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
