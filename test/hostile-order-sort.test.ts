/*
 * Hostile round on transform.sort: `break_ties` promises a fully deterministic order for distinct
 * rows. INTERVAL '1 month' and INTERVAL '30 days' are distinct values that SQL calls equal.
 */
import { describe, expect, it } from 'vitest';
import { pipeline, preview, tempDir } from './support/pipeline.js';

const sortedAsText = async (values: string[], by: Array<Record<string, unknown>>) => {
  const dir = await tempDir('caudal-order-');
  const doc = pipeline(
    [
      { id: 'src', type: 'transform.sql', params: { query: `SELECT * FROM (VALUES ${values.join(', ')}) t(k, wait, tags)` } },
      { id: 's', type: 'transform.sort', params: { by, break_ties: true } },
    ],
    ['src -> s'],
  );
  return (await preview(doc, dir, 's')).rows.map((r) => `${String(r.k)}|${JSON.stringify(r.wait)}|${JSON.stringify(r.tags)}`);
};

describe('transform.sort: break_ties with values equal but written differently', () => {
  const rows = ["(1, INTERVAL '1 month', [INTERVAL '30 days'])", "(1, INTERVAL '30 days', [INTERVAL '1 month'])", "(1, INTERVAL '30 days', [INTERVAL '30 days'])"];

  it('gives the same order whatever the input order, an INTERVAL in a sort key or in a list included', async () => {
    for (const by of [[{ column: 'k' }], [{ column: 'wait', direction: 'desc' }]]) {
      const forward = await sortedAsText(rows, by);
      expect(forward).toHaveLength(3);
      expect(await sortedAsText([...rows].reverse(), by)).toEqual(forward);
      expect(await sortedAsText([rows[1]!, rows[0]!, rows[2]!], by)).toEqual(forward);
    }
  });
});
