import { beforeAll, describe, expect, it } from 'vitest';
import { pipeline, preview, problemsOf, tempDir } from '../../../../test/support/pipeline.js';

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-sql-');
});

const orders = { id: 'orders', type: 'transform.sql', params: { query: `SELECT * FROM (VALUES (1::INTEGER, 10::INTEGER, 5.0), (2, 20, 7.5), (3, 10, 1.0)) t(order_id, customer_id, amount)` } };
const customers = { id: 'customers', type: 'transform.sql', params: { query: `SELECT * FROM (VALUES (10::INTEGER, 'ES'), (20, 'FR')) t(customer_id, country)` } };

describe('transform.sql', () => {
  it('sees each connected input as a table named after its node', async () => {
    const doc = pipeline(
      [orders, customers, { id: 'by_country', type: 'transform.sql', params: { query: 'SELECT country, sum(amount) AS total\nFROM orders JOIN customers USING (customer_id)\nGROUP BY country ORDER BY country' } }],
      ['orders -> by_country', 'customers -> by_country'],
    );
    const r = await preview(doc, dir, 'by_country');
    expect(r.rows).toEqual([
      { country: 'ES', total: '6.0' },
      { country: 'FR', total: '7.5' },
    ]);
  });

  it('runs with no inputs at all (a generated table)', async () => {
    const r = await preview(pipeline([{ id: 'gen', type: 'transform.sql', params: { query: 'SELECT range AS n FROM range(3)' } }]), dir, 'gen');
    expect(r.rows.map((x) => Number(x.n))).toEqual([0, 1, 2]);
  });

  it('accepts CTEs, a trailing semicolon and $params', async () => {
    const doc = pipeline([orders, { id: 'q', type: 'transform.sql', params: { query: 'WITH big AS (SELECT * FROM orders WHERE amount > $min)\nSELECT order_id FROM big ORDER BY 1;' } }], ['orders -> q'], {
      params: { min: { type: 'number', default: 2 } },
    });
    expect((await preview(doc, dir, 'q')).rows).toEqual([{ order_id: 1 }, { order_id: 2 }]);
  });

  it('reports a table that is not connected, listing the inputs it can use', async () => {
    const doc = pipeline([orders, { id: 'q', type: 'transform.sql', params: { query: 'SELECT * FROM orders JOIN customers USING (customer_id)' } }], ['orders -> q']);
    const problems = await problemsOf(doc, dir);
    expect(problems).toEqual([expect.objectContaining({ path: 'nodes[1].params.query', message: expect.stringMatching(/customers/) })]);
  });

  it('refuses more than one statement', async () => {
    const doc = pipeline([orders, { id: 'q', type: 'transform.sql', params: { query: 'SELECT 1; DELETE FROM orders' } }], ['orders -> q']);
    expect(await problemsOf(doc, dir)).toEqual([expect.objectContaining({ code: 'invalid_expression', path: 'nodes[1].params.query' })]);
  });
});
