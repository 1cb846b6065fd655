/** transform.limit after transform.sort: DuckDB fuses them into a top-N. */
export default [
  {
    name: 'limit: 1000 largest orders (sort + limit)',
    nodes: [
      { id: 'so', type: 'transform.sort', params: { by: [{ column: 'quantity', direction: 'desc' }, { column: 'order_id' }] } },
      { id: 'top', type: 'transform.limit', params: { count: 1000 } },
    ],
    edges: [
      ['orders', 'so'],
      ['so', 'top'],
    ],
    output: 'top',
    sql: `SELECT * FROM orders ORDER BY quantity DESC, order_id LIMIT 1000`,
  },
];
