import { describe, expect, it } from 'vitest';
import { pipeline, preview, tempDir } from './support/pipeline.js';

// A preview showed a FLOAT 0.1 as 0.10000000149011612 (the double that holds it exactly), while a CSV
// sink of the same column wrote 0.1; and DATE infinity inside a list or struct as 5881580-07-11.

describe('preview values read as the data holds them', () => {
  it('FLOAT values show as the shortest decimal that is that FLOAT; DOUBLE values as they are', async () => {
    const dir = await tempDir('caudal-preview-values-');
    const doc = pipeline([{ id: 'q', type: 'transform.sql', params: { query: "SELECT 0.1::FLOAT AS f, 0.1::DOUBLE AS d, (1/3)::FLOAT AS third, '-0.0'::FLOAT AS minus_zero" } }]);
    const [row] = (await preview(doc, dir, 'q')).rows;
    expect(row).toEqual({ f: 0.1, d: 0.1, third: 0.33333334, minus_zero: -0 });
    expect(Object.is(row!.minus_zero, -0)).toBe(true);
  });

  it('DATE infinity shows as infinity inside lists, structs and maps too', async () => {
    const dir = await tempDir('caudal-preview-values-');
    const doc = pipeline([{ id: 'q', type: 'transform.sql', params: { query: "SELECT ['infinity'::DATE, '-infinity'::DATE, DATE '2024-01-05'] AS days, {'x': 'infinity'::DATE} AS st, MAP {'k': '-infinity'::DATE} AS m" } }]);
    const [row] = (await preview(doc, dir, 'q')).rows;
    expect(row).toEqual({ days: ['infinity', '-infinity', '2024-01-05'], st: { x: 'infinity' }, m: [{ key: 'k', value: '-infinity' }] });
  });

  it('TIMESTAMP_NS, TIMESTAMP_MS and TIMESTAMP_S infinity show as infinity, not as their extreme values', async () => {
    const dir = await tempDir('caudal-preview-values-');
    const doc = pipeline([{ id: 'q', type: 'transform.sql', params: { query: "SELECT 'infinity'::TIMESTAMP_NS AS ns, '-infinity'::TIMESTAMP_MS AS ms, 'infinity'::TIMESTAMP_S AS s, ['-infinity'::TIMESTAMP_NS] AS list" } }]);
    expect((await preview(doc, dir, 'q')).rows).toEqual([{ ns: 'infinity', ms: '-infinity', s: 'infinity', list: ['-infinity'] }]);
  });
});
