import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { previewPipeline, runPipeline } from '../core/src/engine/engine.js';
import { PREVIEW_SOURCE_ROWS } from '../core/src/engine/preview-sampling.js';
import { pipeline, tempDir } from './support/pipeline.js';

/** n rows of id,grp,amount; grp cycles through 10 values. */
const csvRows = (n: number, extra = '') => 'id,grp,amount\n' + Array.from({ length: n }, (_, i) => `${i + 1},g${i % 10},${(i % 7) + 1}`).join('\n') + '\n' + extra;

describe('previews never read whole inputs', async () => {
  const dir = await tempDir();
  const big = PREVIEW_SOURCE_ROWS * 3;
  await writeFile(path.join(dir, 'big.csv'), csvRows(big));
  await writeFile(path.join(dir, 'small.csv'), csvRows(50));
  const grouped = (file: string) =>
    pipeline(
      [
        { id: 'src', type: 'source.csv', params: { path: file } },
        { id: 'agg', type: 'transform.aggregate', params: { group_by: ['grp'], aggregations: [{ name: 'n', function: 'count' }] } },
      ],
      ['src -> agg'],
    );

  it('samples the sources of a chain with a blocking step, and says so', async () => {
    const p = await previewPipeline({ pipeline: grouped('big.csv'), baseDir: dir, nodeId: 'agg', limit: 100 });
    expect(p.sampled).toBe(true);
    const total = p.rows.reduce((s, r) => s + Number(r.n), 0);
    expect(total).toBe(PREVIEW_SOURCE_ROWS);
    // The run is exact.
    const run = await runPipeline({ pipeline: { ...grouped('big.csv'), nodes: [...grouped('big.csv').nodes, { id: 'out', type: 'sink.csv', params: { path: 'agg.csv', if_exists: 'overwrite' } }], edges: [...grouped('big.csv').edges, { from: 'agg:out', to: 'out:in' }] }, baseDir: dir });
    expect(run.error).toBeUndefined();
  });

  it('does not sample (or say it did) when every source is smaller than the sample', async () => {
    const p = await previewPipeline({ pipeline: grouped('small.csv'), baseDir: dir, nodeId: 'agg', limit: 100 });
    expect(p.sampled).toBe(false);
    expect(p.rows.reduce((s, r) => s + Number(r.n), 0)).toBe(50);
  });

  it('does not sample a streaming chain: the first rows are exact', async () => {
    const doc = pipeline(
      [
        { id: 'src', type: 'source.csv', params: { path: 'big.csv' } },
        { id: 'f', type: 'transform.filter', params: { condition: 'id > 59990' } },
      ],
      ['src -> f'],
    );
    const p = await previewPipeline({ pipeline: doc, baseDir: dir, nodeId: 'f', limit: 5 });
    expect(p.sampled).toBe(false);
    expect(p.rows.map((r) => Number(r.id))).toEqual([59991, 59992, 59993, 59994, 59995]);
  });

  it('a CSV source that sets bad rows aside scans a small file whole, so its rejects port shows them; a file over 32 MB only its head', async () => {
    await writeFile(path.join(dir, 'bad.csv'), csvRows(big, 'oops,"unterminated\n'));
    const doc = (file: string) => pipeline([{ id: 'src', type: 'source.csv', params: { path: file, on_error: 'reject', delimiter: ',', header: true } }]);
    const rejects = await previewPipeline({ pipeline: doc('bad.csv'), baseDir: dir, nodeId: 'src', port: 'rejects' });
    expect(rejects.rows).toHaveLength(1);
    const head = await previewPipeline({ pipeline: doc('bad.csv'), baseDir: dir, nodeId: 'src', limit: 3 });
    expect(head.rows.map((r) => Number(r.id))).toEqual([1, 2, 3]);
    // DuckDB keeps rejects only for a scan that finishes: a head scan shows none, and says it is sampled.
    const line = 'x'.repeat(1000);
    await writeFile(path.join(dir, 'huge-bad.csv'), 'id,text\n' + Array.from({ length: 34_000 }, (_, i) => `${i + 1},${line}`).join('\n') + '\noops,"unterminated\n');
    const huge = await previewPipeline({ pipeline: doc('huge-bad.csv'), baseDir: dir, nodeId: 'src', port: 'rejects' });
    expect(huge.sampled).toBe(true);
    expect(huge.rows).toEqual([]);
  });

  it('warm workers answer one request after another, each with a fresh DuckDB', async () => {
    const first = await previewPipeline({ pipeline: grouped('small.csv'), baseDir: dir, nodeId: 'agg' });
    const second = await previewPipeline({ pipeline: grouped('small.csv'), baseDir: dir, nodeId: 'src', limit: 2 });
    expect(first.rows.length).toBe(10);
    expect(second.rows.length).toBe(2);
  });
});
