/** transform.union: two filtered branches of orders stacked again, recording the branch. */
export default [
  {
    name: 'union: web and store orders with a source column',
    nodes: [
      { id: 'web', type: 'transform.filter', params: { condition: "channel = 'web'" } },
      { id: 'store', type: 'transform.filter', params: { condition: "channel = 'store'" } },
      { id: 'un', type: 'transform.union', params: { source_column: 'source' } },
    ],
    edges: [
      ['orders', 'web'],
      ['orders', 'store'],
      ['web', 'un'],
      ['store', 'un'],
    ],
    output: 'un',
    sql: `SELECT *, 'web' AS source FROM orders WHERE channel = 'web'
UNION ALL
SELECT *, 'store' AS source FROM orders WHERE channel = 'store'`,
  },
];
