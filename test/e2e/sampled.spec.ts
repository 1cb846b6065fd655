/** A preview that read only part of its input says so and offers the exact result. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test, expect } from './fixtures.js';
import { node, selectNode } from './helpers.js';

test('sampled preview: notice, then the exact count from a run up to the node', async ({ studioPage: page, workspace, studio }) => {
  // Latin-1 text is converted to UTF-8 before DuckDB reads it; previews convert only the first 4 MB.
  const lines = ['id,city'];
  for (let i = 1; i <= 300_000; i++) lines.push(`${i},Málaga-${i % 97}`);
  writeFileSync(path.join(workspace, 'cities.csv'), Buffer.from(lines.join('\n') + '\n', 'latin1'));
  const file = path.join(workspace, 'cities.caudal.json');
  writeFileSync(
    file,
    JSON.stringify({
      format: 'caudal.pipeline/1',
      name: 'Cities',
      nodes: [{ id: 'cities', type: 'source.csv', params: { path: 'cities.csv', encoding: 'latin-1' } }],
      edges: [],
      layout: { nodes: { cities: { x: 0, y: 0 } } },
    }),
  );
  await page.goto(`${studio.url}&open=${encodeURIComponent(file)}`);
  await selectNode(page, 'cities');
  await expect(page.getByTestId('preview-status')).toContainText('1,000 rows', { timeout: 30_000 });
  await expect(page.locator('.grid')).toContainText('Málaga-1');
  const notice = page.locator('.notice', { hasText: 'read only part of the input' });
  await expect(notice).toBeVisible();
  await expect(node(page, 'cities').getByTestId('preview-badge')).toContainText('sampled');
  await page.getByLabel('Count rows at every step').check();
  await notice.getByRole('button', { name: /Exact result/ }).click();
  await expect(page.getByTestId('run-status')).toContainText('succeeded', { timeout: 60_000 });
  await expect(node(page, 'cities').getByTestId('run-badge')).toContainText('300,000 rows');
});
