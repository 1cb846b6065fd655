/** transform.pivot: one GROUP BY with a filtered aggregate per listed value vs DuckDB's own PIVOT. */
export default [
  {
    name: 'pivot: quantity per customer and channel',
    nodes: [
      {
        id: 'pv',
        type: 'transform.pivot',
        params: { group_by: ['customer_id'], pivot_column: 'channel', values: ['web', 'mobile', 'store'], aggregate: 'sum', value_column: 'quantity' },
      },
    ],
    edges: [['orders', 'pv']],
    output: 'pv',
    sql: `PIVOT orders ON channel IN ('web', 'mobile', 'store') USING sum(quantity) GROUP BY customer_id`,
  },
];
