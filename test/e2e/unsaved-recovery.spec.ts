/**
 * Unsaved edits survive a studio that is killed: the host keeps a copy of the edited document a
 * moment after each edit (in the user's data folder, never next to the pipeline), and the next
 * studio offers it back, to restore over the file or to discard.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { seriousViolations } from './axe.js';
import { expect, startServe, stopServe, test, type Studio } from './fixtures.js';

const keptCopies = (workspace: string) => {
  try {
    return readdirSync(path.join(workspace, '.config', 'unsaved')).filter((n) => n.endsWith('.json') && !n.startsWith('.'));
  } catch {
    return [];
  }
};

async function rename(page: Page, name: string): Promise<void> {
  await page.getByTestId('doc-title').click();
  await page.getByLabel('Pipeline name').fill(name);
  await page.getByLabel('Pipeline name').press('Enter');
  await expect(page.getByTestId('doc-title').locator('.dirty')).toHaveCount(1);
}

/** The studio dies with its page: no save, no question, no cleanup; then a new one starts in the same place. */
async function killAndRestart(page: Page, studio: Studio): Promise<{ page: Page; studio: Studio }> {
  const next = await page.context().newPage();
  await page.close({ runBeforeUnload: false });
  studio.process.kill('SIGKILL');
  await new Promise((r) => studio.process.once('exit', r));
  const again = await startServe(studio.workspace);
  await next.goto(again.url);
  return { page: next, studio: again };
}

test('edits of a pipeline file that were never saved come back after the studio is killed', async ({ studioPage: page, workspace, studio }) => {
  const file = path.join(workspace, 'orders.caudal.json');
  writeFileSync(file, JSON.stringify({ format: 'caudal.pipeline/1', name: 'Orders', nodes: [{ id: 'nums', type: 'transform.sql', params: { query: 'SELECT range AS n FROM range(5)' } }], edges: [] }));
  await page.goto(`${studio.url}&open=${encodeURIComponent(file)}`);
  await expect(page.locator('.react-flow__node')).toHaveCount(1);
  await rename(page, 'Orders, edited');
  await expect.poll(() => keptCopies(workspace).length).toBe(1);

  const restarted = await killAndRestart(page, studio);
  try {
    const offer = restarted.page.getByRole('dialog', { name: 'Unsaved edits were kept' });
    await expect(offer).toContainText('Orders, edited');
    await expect(offer).toContainText(file);
    expect(await seriousViolations(restarted.page, 'the offer of kept edits')).toEqual([]);
    await offer.getByRole('button', { name: 'Restore' }).click();
    await expect(offer).toHaveCount(0);
    const title = restarted.page.getByTestId('doc-title');
    await expect(title).toContainText('Orders, edited');
    await expect(title).toContainText(file);
    await expect(title.locator('.dirty')).toHaveCount(1);
    await expect(restarted.page.locator('.react-flow__node')).toHaveCount(1);
    // Restored, not saved: the file is as it was until the user saves.
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ name: 'Orders' });

    await restarted.page.keyboard.press('ControlOrMeta+S');
    await expect(title.locator('.dirty')).toHaveCount(0);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ name: 'Orders, edited' });
    await expect.poll(() => keptCopies(workspace)).toEqual([]);
  } finally {
    await stopServe(restarted.studio);
  }
});

test('a new pipeline never saved is offered too, and a discarded copy is gone for good', async ({ studioPage: page, workspace, studio }) => {
  await page.goto(studio.url);
  await rename(page, 'Draft of a sales report');
  await expect.poll(() => keptCopies(workspace).length).toBe(1);

  const restarted = await killAndRestart(page, studio);
  let last = restarted.studio;
  try {
    const offer = restarted.page.getByRole('dialog', { name: 'Unsaved edits were kept' });
    await expect(offer).toContainText('Draft of a sales report');
    await expect(offer).toContainText('never saved');
    await offer.getByRole('button', { name: 'Discard' }).click();
    await expect(offer).toHaveCount(0);
    expect(keptCopies(workspace)).toEqual([]);

    const again = await killAndRestart(restarted.page, restarted.studio);
    last = again.studio;
    await expect(again.page.getByTestId('doc-title')).toContainText('unsaved');
    await expect(again.page.getByRole('dialog')).toHaveCount(0);
  } finally {
    await stopServe(last);
  }
});

test('a second tab is not offered the edits of a studio still open in another tab; each keeps its own, and once a tab is gone its edits are offered', async ({ studioPage: page, workspace, studio }) => {
  const file = path.join(workspace, 'shared.caudal.json');
  writeFileSync(file, JSON.stringify({ format: 'caudal.pipeline/1', name: 'Shared', nodes: [], edges: [] }));
  const openUrl = `${studio.url}&open=${encodeURIComponent(file)}`;
  await page.goto(openUrl);
  await rename(page, 'Edited in the first tab');
  await expect.poll(() => keptCopies(workspace).length).toBe(1);

  const second = await page.context().newPage();
  await second.goto(openUrl);
  await expect(second.getByTestId('doc-title')).toContainText('Shared');
  // The offer would come within the wait for other tabs' answers; give it well over that.
  await second.waitForTimeout(1500);
  await expect(second.getByRole('dialog')).toHaveCount(0);
  await rename(second, 'Edited in the second tab');
  await expect.poll(() => keptCopies(workspace).length).toBe(2);

  // Saving in the first tab drops its own copy only.
  await page.keyboard.press('ControlOrMeta+S');
  await expect(page.getByTestId('doc-title').locator('.dirty')).toHaveCount(0);
  await expect.poll(() => keptCopies(workspace).length).toBe(1);

  // The second tab is closed without saving (the studio keeps running): its edits are offered now.
  await second.close({ runBeforeUnload: false });
  await page.goto(studio.url);
  await expect(page.getByRole('dialog', { name: 'Unsaved edits were kept' })).toContainText('Edited in the second tab');
});
