import { beforeAll, describe, expect, it } from 'vitest';
import { pipeline, preview, tempDir } from './support/pipeline.js';

// What the Derive docs promise about arithmetic that goes wrong: overflow stops the run naming the
// node, a division by zero does not (Infinity/NaN for '/', NULL for '//' and '%'), and the two
// guards the docs suggest behave as written.

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-hostile-derive-');
});

const deriveOver = (columns: Array<{ name: string; expression: string }>) =>
  pipeline(
    [
      { id: 'src', type: 'transform.sql', params: { query: 'SELECT * FROM (VALUES (2147483647::INTEGER, 0::INTEGER), (0, 0), (6, 3)) t(amount, quantity)' } },
      { id: 'calc', type: 'transform.derive', params: { columns } },
    ],
    ['src -> calc'],
  );

describe('transform.derive: arithmetic as documented', () => {
  it('an integer overflow stops the run, naming the node', async () => {
    await expect(preview(deriveOver([{ name: 'next', expression: 'amount + 1' }]), dir, 'calc')).rejects.toThrow(/node 'calc'.*Overflow in addition of INT32/);
  });

  it("a division by zero does not: '/' gives Infinity or NaN, '//' and '%' NULL", async () => {
    const r = await preview(deriveOver([{ name: 'ratio', expression: 'amount / quantity' }, { name: 'whole', expression: 'amount // quantity' }, { name: 'rest', expression: 'amount % quantity' }]), dir, 'calc');
    expect(r.rows.map((x) => [x.ratio, x.whole, x.rest])).toEqual([
      ['Infinity', null, null],
      ['NaN', null, null],
      [2, 2, 0],
    ]);
  });

  it('the guards the docs suggest: nullif gives NULL, error() stops the run', async () => {
    const r = await preview(deriveOver([{ name: 'ratio', expression: 'amount / nullif(quantity, 0)' }]), dir, 'calc');
    expect(r.rows.map((x) => x.ratio)).toEqual([null, null, 2]);
    await expect(
      preview(deriveOver([{ name: 'ratio', expression: "CASE WHEN quantity = 0 THEN error('quantity is 0') ELSE amount / quantity END" }]), dir, 'calc'),
    ).rejects.toThrow(/quantity is 0/);
  });
});
