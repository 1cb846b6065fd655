import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { pipeline, preview, tempDir } from './support/pipeline.js';

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-csv-rejects-preview-');
  // 30,000 rows, more than a preview's 20,000-row head; lines 5 and 25,002 have a text amount.
  const lines = ['id,amount'];
  for (let i = 1; i <= 30_000; i++) lines.push(`${i},${i === 4 || i === 25_001 ? 'oops' : i}`);
  await writeFile(path.join(dir, 'orders.csv'), `${lines.join('\n')}\n`);
});

const doc = () => pipeline([{ id: 'orders', type: 'source.csv', params: { path: 'orders.csv', on_error: 'reject', columns: [{ name: 'id', type: 'BIGINT' }, { name: 'amount', type: 'BIGINT' }] } }]);

describe('the preview of a CSV source rejects port', () => {
  it('shows the malformed rows of a file of more than 20,000 rows, not an empty port', async () => {
    const r = await preview(doc(), dir, 'orders', { port: 'rejects' });
    expect(r.rows.map((x) => Number(x.line))).toEqual([5, 25_002]);
  });

  it('and the good rows as before', async () => {
    const r = await preview(doc(), dir, 'orders', { limit: 5 });
    expect(r.rows.map((x) => Number(x.id))).toEqual([1, 2, 3, 5, 6]);
  });
});
