/** transform.aggregate: a per-customer summary and a small grouped report with percentiles. */
export default [
  {
    name: 'aggregate: per customer totals and last status',
    nodes: [
      {
        id: 'a',
        type: 'transform.aggregate',
        params: {
          group_by: ['customer_id'],
          aggregations: [
            { name: 'orders', function: 'count' },
            { name: 'quantity', function: 'sum', column: 'quantity' },
            { name: 'with_discount', function: 'count', column: 'discount' },
            { name: 'last_order', function: 'max', column: 'order_date' },
            { name: 'last_status', function: 'last', column: 'status', order_by: 'order_date' },
          ],
        },
      },
    ],
    edges: [['orders', 'a']],
    output: 'a',
    // Ties on order_date are broken by the status itself, so both sides give the same answer.
    sql: `SELECT customer_id, count(*) AS orders, sum(quantity) AS quantity, count(discount) AS with_discount, max(order_date) AS last_order,
  arg_max(status, (order_date, status)) FILTER (WHERE order_date IS NOT NULL) AS last_status
FROM orders GROUP BY customer_id`,
  },
  {
    name: 'aggregate: channel report with median and p90',
    nodes: [
      {
        id: 'a',
        type: 'transform.aggregate',
        params: {
          group_by: ['channel'],
          aggregations: [
            { name: 'orders', function: 'count' },
            { name: 'customers', function: 'count_distinct', column: 'customer_id' },
            { name: 'median_qty', function: 'median', column: 'quantity' },
            { name: 'p90_qty', function: 'percentile', column: 'quantity', p: 0.9 },
          ],
          having: 'orders > 1000',
        },
      },
    ],
    edges: [['orders', 'a']],
    output: 'a',
    sql: `SELECT channel, count(*) AS orders, count(DISTINCT customer_id) AS customers, median(quantity) AS median_qty, quantile_cont(quantity, 0.9) AS p90_qty
FROM orders GROUP BY channel HAVING count(*) > 1000`,
  },
];
