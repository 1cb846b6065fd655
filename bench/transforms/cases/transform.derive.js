/** Spine transforms, as a baseline for the others: derive + filter + select in one fused chain. */
export default [
  {
    name: 'derive+filter+select: normalized status, revenue',
    nodes: [
      { id: 'clean', type: 'transform.derive', params: { columns: [{ name: 'status', expression: 'lower(trim(status))' }, { name: 'net', expression: 'quantity * (1 - coalesce(discount, 0))' }] } },
      { id: 'keep', type: 'transform.filter', params: { condition: "status = 'completed'" } },
      { id: 'pick', type: 'transform.select', params: { columns: [{ column: 'order_id' }, { column: 'order_date' }, { column: 'net' }] } },
    ],
    edges: [
      ['orders', 'clean'],
      ['clean', 'keep'],
      ['keep', 'pick'],
    ],
    output: 'pick',
    sql: `SELECT order_id, order_date, quantity * (1 - coalesce(discount, 0)) AS net
FROM orders WHERE lower(trim(status)) = 'completed'`,
  },
];
