/*
 * Hostile round on transform.window: totals that change without a word, and errors that do not say
 * which window column is wrong.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pipeline, preview, problemsOf, run, tempDir } from './support/pipeline.js';

const windowOver = (query: string, params: Record<string, unknown>) =>
  pipeline(
    [
      { id: 'src', type: 'transform.sql', params: { query } },
      { id: 'w', type: 'transform.window', params },
    ],
    ['src -> w'],
  );

// 10^38 − 1 is the largest DECIMAL(38,0); adding 1 needs a 39th digit.
const BIG = `SELECT * FROM (VALUES (1, 99999999999999999999999999999999999999::DECIMAL(38,0)), (2, 1::DECIMAL(38,0))) t(id, "Amount €")`;

describe('transform.window: DECIMAL sums past 38 digits', () => {
  for (const fn of [
    { function: 'running_sum' },
    { function: 'moving_sum', rows: 2 },
  ]) {
    it(`${fn.function} stops the preview naming the node, the output and the column instead of a 39-digit DECIMAL(38,0)`, async () => {
      const dir = await tempDir('caudal-order-');
      const doc = windowOver(BIG, { order_by: [{ column: 'id' }], columns: [{ name: 'total so far', column: 'Amount €', ...fn }] });
      await expect(preview(doc, dir, 'w')).rejects.toThrow(/node 'w': the sum 'total so far' of column 'Amount €' has more digits than DECIMAL\(38,0\) holds/);
    });
  }

  it('a run writing Parquet fails and leaves the destination as it was', async () => {
    const dir = await tempDir('caudal-order-');
    const target = path.join(dir, 'totals.parquet');
    await writeFile(target, 'previous contents');
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: BIG } },
        { id: 'w', type: 'transform.window', params: { order_by: [{ column: 'id' }], columns: [{ name: 'total', function: 'running_sum', column: 'Amount €' }] } },
        { id: 'out', type: 'sink.parquet', params: { path: 'totals.parquet', if_exists: 'overwrite' } },
      ],
      ['src -> w', 'w -> out'],
    );
    const { summary } = await run(doc, dir);
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toMatch(/the sum 'total' of column 'Amount €' has more digits than DECIMAL\(38,0\) holds/);
    expect(await readFile(target, 'utf8')).toBe('previous contents');
  });

  it('sums that fit keep their exact DECIMAL value, negative ones too', async () => {
    const dir = await tempDir('caudal-order-');
    const src = `SELECT * FROM (VALUES (1, 99999999999999999999999999999999999999::DECIMAL(38,0)), (2, -1::DECIMAL(38,0)), (3, NULL)) t(id, v)`;
    const r = await preview(windowOver(src, { order_by: [{ column: 'id' }], columns: [{ name: 's', function: 'running_sum', column: 'v' }, { name: 'm', function: 'moving_sum', column: 'v', rows: 1 }] }), dir, 'w');
    expect(r.columns.map((c) => `${c.name} ${c.type}`)).toEqual(['id INTEGER', 'v DECIMAL(38,0)', 's DECIMAL(38,0)', 'm DECIMAL(38,0)']);
    expect([...r.rows].sort((a, b) => Number(a.id) - Number(b.id)).map((x) => [x.s, x.m])).toEqual([
      ['99999999999999999999999999999999999999', '99999999999999999999999999999999999999'],
      ['99999999999999999999999999999999999998', '-1'],
      ['99999999999999999999999999999999999998', null],
    ]);
  });

  it('checks pass before the run (the overflow needs the data)', async () => {
    const dir = await tempDir('caudal-order-');
    expect(await problemsOf(windowOver(BIG, { order_by: [{ column: 'id' }], columns: [{ name: 's', function: 'running_sum', column: 'Amount €' }] }), dir)).toEqual([]);
  });
});

describe('transform.window: a value column of a type the function cannot total', () => {
  const src = `SELECT * FROM (VALUES (1, 'a', 2.5::DOUBLE, INTERVAL 1 DAY), (2, 'b', 3.5, INTERVAL 2 DAY)) t(id, "Label", amount, wait)`;

  it('is refused before the run, naming the node, the window column and its column', async () => {
    const dir = await tempDir('caudal-order-');
    const problems = await problemsOf(
      windowOver(src, {
        order_by: [{ column: 'id' }],
        columns: [
          { name: 'total', function: 'running_sum', column: 'amount' },
          { name: 'label_total', function: 'moving_sum', column: 'label', rows: 2 },
        ],
      }),
      dir,
    );
    expect(problems).toEqual([
      expect.objectContaining({
        code: 'invalid_param',
        path: 'nodes[1].params.columns[1].column',
        message: expect.stringContaining("node 'w': moving_sum 'label_total' cannot use column 'label' (VARCHAR)"),
      }),
    ]);
  });

  it('types the function does take still work (avg of an INTERVAL)', async () => {
    const dir = await tempDir('caudal-order-');
    const r = await preview(windowOver(src, { order_by: [{ column: 'id' }], columns: [{ name: 'avg_wait', function: 'running_avg', column: 'wait' }] }), dir, 'w');
    expect(r.columns.at(-1)).toEqual({ name: 'avg_wait', type: 'INTERVAL' });
  });
});

describe('transform.window: a lag/lead default is the number written', () => {
  it('0.1 stays 0.1 in a VARCHAR column and in a DECIMAL with 20 places (not 0.10000000000000001)', async () => {
    const dir = await tempDir('caudal-order-');
    const src = `SELECT * FROM (VALUES (1, 'a', 2::DECIMAL(38,20), 1.5::DOUBLE, 7::BIGINT)) t(id, label, exact, approx, n)`;
    const r = await preview(
      windowOver(src, {
        order_by: [{ column: 'id' }],
        columns: [
          { name: 'prev_label', function: 'lag', column: 'label', default: 0.1 },
          { name: 'prev_exact', function: 'lag', column: 'exact', default: 0.1 },
          { name: 'prev_approx', function: 'lead', column: 'approx', default: 0.1 },
          { name: 'prev_n', function: 'lead', column: 'n', default: -16 },
        ],
      }),
      dir,
      'w',
    );
    expect(r.rows).toEqual([expect.objectContaining({ prev_label: '0.1', prev_exact: '0.10000000000000000000', prev_approx: 0.1, prev_n: '-16' })]);
  });
});
