/** transform.unpivot: two measure columns to name/value rows. */
export default [
  {
    name: 'unpivot: quantity and discount to rows',
    nodes: [{ id: 'up', type: 'transform.unpivot', params: { columns: ['quantity', 'discount'], name_column: 'measure', value_column: 'amount' } }],
    edges: [['orders', 'up']],
    output: 'up',
    sql: `SELECT * FROM orders UNPIVOT (amount FOR measure IN (quantity, discount))`,
  },
];
