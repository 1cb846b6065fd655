/** transform.sample: seeded samples; the node's output is materialized (a small extra table). */
export default [
  {
    name: 'sample: 1% of orders (bernoulli, seeded)',
    nodes: [{ id: 'sa', type: 'transform.sample', params: { unit: 'percent', size: 1, seed: 42 } }],
    edges: [['orders', 'sa']],
    output: 'sa',
    sql: `SELECT * FROM orders USING SAMPLE bernoulli(1 PERCENT) REPEATABLE (42)`,
  },
  {
    name: 'sample: 10000 orders (reservoir, seeded)',
    nodes: [{ id: 'sa', type: 'transform.sample', params: { unit: 'rows', size: 10000, seed: 42 } }],
    edges: [['orders', 'sa']],
    output: 'sa',
    sql: `SELECT * FROM orders USING SAMPLE reservoir(10000 ROWS) REPEATABLE (42)`,
  },
];
