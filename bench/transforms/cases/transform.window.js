/** transform.window: per-customer order sequence, running quantity and previous order date. */
export default [
  {
    name: 'window: order sequence and running qty per customer',
    nodes: [
      {
        id: 'w',
        type: 'transform.window',
        params: {
          partition_by: ['customer_id'],
          order_by: [{ column: 'order_date' }, { column: 'order_id' }],
          columns: [
            { name: 'order_seq', function: 'row_number' },
            { name: 'qty_to_date', function: 'running_sum', column: 'quantity' },
            { name: 'previous_order', function: 'lag', column: 'order_date' },
          ],
        },
      },
    ],
    edges: [['orders', 'w']],
    output: 'w',
    sql: `SELECT *,
  row_number() OVER w AS order_seq,
  sum(quantity) OVER w AS qty_to_date,
  lag(order_date) OVER w AS previous_order
FROM orders
WINDOW w AS (PARTITION BY customer_id ORDER BY order_date ASC NULLS LAST, order_id ASC NULLS LAST)`,
  },
  {
    name: 'window: 7-order moving average of quantity',
    nodes: [
      {
        id: 'w',
        type: 'transform.window',
        params: { partition_by: ['product_id'], order_by: [{ column: 'order_date' }, { column: 'order_id' }], columns: [{ name: 'qty_ma7', function: 'moving_avg', column: 'quantity', rows: 7 }] },
      },
    ],
    edges: [['orders', 'w']],
    output: 'w',
    sql: `SELECT *, avg(quantity) OVER (PARTITION BY product_id ORDER BY order_date, order_id ROWS BETWEEN 6 PRECEDING AND CURRENT ROW) AS qty_ma7
FROM orders`,
  },
];
