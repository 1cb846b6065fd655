import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test, expect } from './fixtures.js';
import { launchTo, selectNode } from './helpers.js';

/** The preview shows what the data holds, in a form people read: no reversed text, no wire-format JSON. */
test('preview cells: bidi controls shown as their code, intervals and maps written as people read them', async ({ studioPage: page, workspace, studio }) => {
  const file = path.join(workspace, 'p.caudal.json');
  const query = "SELECT chr(8238) || 'RTL' AS txt, INTERVAL 3 DAY AS wait, INTERVAL '1 year 2 months 1 day 01:02:03.5' AS span, MAP {'k': 'v'} AS tags";
  await writeFile(file, JSON.stringify({ format: 'caudal.pipeline/1', name: 'Grid', nodes: [{ id: 'q', type: 'transform.sql', params: { query } }], edges: [], layout: { nodes: { q: { x: 0, y: 0 } } } }));
  await launchTo(page, studio.url, file, 1);
  await selectNode(page, 'q');
  const cells = page.getByRole('table', { name: 'Preview rows' }).locator('.grid-row').first().getByRole('cell');
  await expect(cells).toHaveText(['⟨U+202E⟩RTL', '3 days', '1 year 2 months 1 day 01:02:03.5', '{k: v}']);
});
