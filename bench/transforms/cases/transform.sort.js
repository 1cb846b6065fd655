/** transform.sort: a full sort of the orders. */
export default [
  {
    name: 'sort: newest orders first',
    nodes: [{ id: 'so', type: 'transform.sort', params: { by: [{ column: 'order_date', direction: 'desc' }, { column: 'order_id' }] } }],
    edges: [['orders', 'so']],
    output: 'so',
    sql: `SELECT * FROM orders ORDER BY order_date DESC, order_id`,
  },
];
