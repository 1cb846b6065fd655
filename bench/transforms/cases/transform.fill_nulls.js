/** transform.fill_nulls: a constant, a whole-column mean, and a fill-down per customer. */
export default [
  {
    name: 'fill_nulls: discount 0',
    nodes: [{ id: 'fill', type: 'transform.fill_nulls', params: { rules: [{ column: 'discount', strategy: 'constant', value: 0 }] } }],
    edges: [['orders', 'fill']],
    output: 'fill',
    sql: 'SELECT * REPLACE (coalesce(discount, 0) AS discount) FROM orders',
  },
  {
    // Expect differing rows here: a parallel sum of doubles differs in its last bits from one run to
    // the next, so the filled mean of Caudal and of the hand-written query need not be bit-identical.
    name: 'fill_nulls: discount mean',
    nodes: [{ id: 'fill', type: 'transform.fill_nulls', params: { rules: [{ column: 'discount', strategy: 'mean' }] } }],
    edges: [['orders', 'fill']],
    output: 'fill',
    sql: 'SELECT * REPLACE (coalesce(discount, (SELECT avg(discount) FROM orders)) AS discount) FROM orders',
  },
  {
    name: 'fill_nulls: previous discount per customer',
    nodes: [
      {
        id: 'fill',
        type: 'transform.fill_nulls',
        params: {
          rules: [{ column: 'discount', strategy: 'previous' }],
          partition_by: ['customer_id'],
          order_by: [{ column: 'order_date' }, { column: 'order_id' }],
        },
      },
    ],
    edges: [['orders', 'fill']],
    output: 'fill',
    sql: `SELECT * REPLACE (
  coalesce(discount, last_value(discount IGNORE NULLS) OVER (PARTITION BY customer_id ORDER BY order_date, order_id ROWS UNBOUNDED PRECEDING)) AS discount
) FROM orders`,
  },
];
