/** User gestures on the studio, written the way a person does them (drag, click, type). */
import { expect, type Locator, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './fixtures.js';

export const node = (page: Page, id: string): Locator => page.locator(`.react-flow__node[data-id="${id}"]`);

/** Drags a palette entry (by its title) onto the canvas at a point relative to the canvas' top-left. */
export async function dragFromPalette(page: Page, title: string, at: { x: number; y: number }): Promise<void> {
  const item = page.locator('.palette-item', { has: page.locator('.palette-title', { hasText: new RegExp(`^${title}$`) }) });
  await item.dragTo(page.locator('.react-flow__pane'), { targetPosition: at });
}

/** Presses on an output port and releases on an input port, moving in steps as a hand would. */
export async function connectPorts(page: Page, from: [string, string], to: [string, string]): Promise<void> {
  const src = node(page, from[0]).locator(`.react-flow__handle.source[data-handleid="${from[1]}"]`);
  const dst = node(page, to[0]).locator(`.react-flow__handle.target[data-handleid="${to[1]}"]`);
  const a = (await src.boundingBox())!;
  const b = (await dst.boundingBox())!;
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2 + 20, { steps: 8 });
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 8 });
  await page.mouse.up();
}

export async function selectNode(page: Page, id: string): Promise<void> {
  // Clicking a node that is part of a multi-selection keeps the others (so a group can be dragged):
  // clear the selection first by clicking empty canvas.
  if ((await page.locator('.react-flow__node.selected').count()) > 1) await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
  // Right after a pipeline opens, the canvas may still fit the view and move the node under a click
  // that then lands on empty canvas (seen once on a loaded CI machine): click again, as a person would.
  await expect(async () => {
    await node(page, id).locator('.node-name').click();
    await expect(page.locator(`.inspector[data-node-id="${id}"]`)).toBeVisible({ timeout: 3_000 });
  }).toPass({ timeout: 20_000 });
}

/** Replaces the text of a CodeMirror SQL field in the inspector. */
export async function typeSql(page: Page, label: string, text: string): Promise<void> {
  const editor = page.locator(`.inspector .cm-content[aria-label="${label}"]`);
  await editor.click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
  await page.keyboard.type(text, { delay: 5 });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = path.join(ROOT, 'docs', 'screenshots');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`) });
}

export async function edgeCount(page: Page): Promise<number> {
  return page.locator('.react-flow__edge').count();
}

/** Opens the studio on a pipeline file (as `caudal serve file.json` does) and waits for its nodes. */
export async function launchTo(page: Page, url: string, file: string, nodes: number): Promise<void> {
  await page.goto(`${url}${url.includes('?') ? '&' : '?'}open=${encodeURIComponent(file)}`);
  await expect(page.locator('.react-flow__node')).toHaveCount(nodes, { timeout: 30_000 });
}

/** File → Save as… with the host's file browser, typing the path. */
export async function saveAs(page: Page, file: string): Promise<void> {
  await page.keyboard.press('ControlOrMeta+Shift+S');
  await page.getByLabel('File path').fill(file);
  await page.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
  await expect(page.getByTestId('doc-title')).toContainText(path.basename(file));
}

/** Double-clicks a palette entry (by its exact title): the node appears in the middle of the canvas. */
export async function addFromPalette(page: Page, title: string): Promise<void> {
  await page.locator('.palette-item', { has: page.locator('.palette-title', { hasText: new RegExp(`^${title}$`) }) }).dblclick();
}
