/*
 * Hostile round on transform.dedupe: values that SQL calls equal but that are written differently
 * (INTERVAL '1 month' = INTERVAL '30 days'). The node promises the same output whatever
 * the order the rows arrive in, and a `removed` output holding exactly the rows not kept.
 */
import { describe, expect, it } from 'vitest';
import { pipeline, preview, tempDir } from './support/pipeline.js';

/** The rows, in the given order, deduplicated; every column shown as text. */
const dedupeAsText = async (values: string[], columns: string, params: Record<string, unknown>, port: 'out' | 'removed') => {
  const dir = await tempDir('caudal-order-');
  const doc = pipeline(
    [
      { id: 'src', type: 'transform.sql', params: { query: `SELECT * FROM (VALUES ${values.join(', ')}) t(${columns})` } },
      { id: 'dd', type: 'transform.dedupe', params },
      { id: 'txt', type: 'transform.sql', params: { query: `SELECT COLUMNS(*)::VARCHAR FROM ${port === 'out' ? 'dd' : 'dd__removed'}` } },
    ],
    [`src -> dd`, `dd:${port} -> txt`],
  );
  return (await preview(doc, dir, 'txt')).rows.map((r) => Object.values(r).join('|')).sort();
};

const bothOrders = async (values: string[], columns: string, params: Record<string, unknown>, port: 'out' | 'removed' = 'out'): Promise<[string[], string[]]> => [
  await dedupeAsText(values, columns, params, port),
  await dedupeAsText([...values].reverse(), columns, params, port),
];

describe('transform.dedupe: equal values written differently', () => {
  const intervals = ["(1, INTERVAL '1 month')", "(1, INTERVAL '30 days')"];

  it('keys: the row kept does not depend on the input order when the other columns differ only by an INTERVAL written differently', async () => {
    const [a, b] = await bothOrders(intervals, 'k, wait', { keys: ['k'] });
    expect(a).toHaveLength(1);
    expect(b).toEqual(a);
  });

  it('keys: "removed" holds the row that was not kept, never a second copy of the kept one', async () => {
    for (const order of [intervals, [...intervals].reverse()]) {
      const kept = await dedupeAsText(order, 'k, wait', { keys: ['k'] }, 'out');
      const removed = await dedupeAsText(order, 'k, wait', { keys: ['k'] }, 'removed');
      expect([...kept, ...removed].sort()).toEqual(['1|1 month', '1|30 days']);
    }
  });

  it('without keys: which of two equal INTERVAL rows stays does not depend on the input order, and "removed" holds the other', async () => {
    const [a, b] = await bothOrders(["(INTERVAL '1 month')", "(INTERVAL '30 days')"], 'wait', {});
    expect(a).toHaveLength(1);
    expect(b).toEqual(a);
    const [ra, rb] = await bothOrders(["(INTERVAL '1 month')", "(INTERVAL '30 days')"], 'wait', {}, 'removed');
    expect([...a, ...ra].sort()).toEqual(['1 month', '30 days']);
    expect([...b, ...rb].sort()).toEqual(['1 month', '30 days']);
  });
});
