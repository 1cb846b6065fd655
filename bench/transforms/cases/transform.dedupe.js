/** transform.dedupe: exact duplicates, latest row per key, any row per key. */
export default [
  {
    name: 'dedupe: exact duplicate rows',
    nodes: [{ id: 'dd', type: 'transform.dedupe', params: {} }],
    edges: [['orders', 'dd']],
    output: 'dd',
    sql: 'SELECT DISTINCT * FROM orders',
  },
  {
    name: 'dedupe: latest order per customer',
    nodes: [
      {
        id: 'dd',
        type: 'transform.dedupe',
        params: { keys: ['customer_id'], keep: 'first', order_by: [{ column: 'order_date', direction: 'desc' }, { column: 'order_id', direction: 'desc' }] },
      },
    ],
    edges: [['orders', 'dd']],
    output: 'dd',
    sql: `SELECT * FROM orders
QUALIFY row_number() OVER (PARTITION BY customer_id ORDER BY order_date DESC, order_id DESC) = 1`,
  },
  {
    // "any" keeps the row that sorts first on the other columns; order_id comes first and is unique.
    name: 'dedupe: any order per customer and product',
    nodes: [{ id: 'dd', type: 'transform.dedupe', params: { keys: ['customer_id', 'product_id'] } }],
    edges: [['orders', 'dd']],
    output: 'dd',
    sql: `SELECT * FROM orders
QUALIFY row_number() OVER (PARTITION BY customer_id, product_id ORDER BY order_id) = 1`,
  },
];
