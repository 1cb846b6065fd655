/** Cancelling a long run from the toolbar: the run stops, the canvas says so, the destination is not written. */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test, expect } from './fixtures.js';
import { node } from './helpers.js';

test('cancel a running pipeline', async ({ studioPage: page, workspace, studio }) => {
  const file = path.join(workspace, 'slow.caudal.json');
  writeFileSync(
    file,
    JSON.stringify({
      format: 'caudal.pipeline/1',
      name: 'Slow',
      nodes: [
        // Billions of rows from nothing: long enough to cancel, no input files needed.
        { id: 'numbers', type: 'transform.sql', params: { query: 'SELECT a.range AS a, b.range AS b FROM range(100000) a, range(100000) b' } },
        { id: 'sink', type: 'sink.parquet', params: { path: 'out/numbers.parquet' } },
      ],
      edges: [{ from: 'numbers:out', to: 'sink:in' }],
      layout: { nodes: { numbers: { x: 0, y: 0 }, sink: { x: 260, y: 0 } } },
    }),
  );
  await page.goto(`${studio.url}&open=${encodeURIComponent(file)}`);
  await expect(page.locator('.react-flow__node')).toHaveCount(2);
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(node(page, 'sink').getByTestId('run-badge')).toContainText(/running|queued/, { timeout: 30_000 });
  await page.getByRole('button', { name: 'Cancel run' }).click();
  await expect(page.getByTestId('run-status')).toContainText('cancelled', { timeout: 30_000 });
  await expect(node(page, 'sink').getByTestId('run-badge')).toContainText('cancelled');
  await expect(page.getByRole('button', { name: 'Run', exact: true })).toBeEnabled();
  expect(existsSync(path.join(workspace, 'out', 'numbers.parquet'))).toBe(false);
});
