/** transform.lookup: customer country and name for every order (default for unknown customers). */
const params = {
  keys: [{ column: 'customer_id' }],
  columns: [
    { column: 'country', default: 'unknown' },
    { column: 'name', as: 'customer_name' },
  ],
};
const sql = `SELECT o.*, CASE WHEN c.customer_id IS NULL THEN 'unknown' ELSE c.country END AS country, c.name AS customer_name
FROM orders o LEFT JOIN customers c ON o.customer_id = c.customer_id`;
export default [
  {
    name: 'lookup: customer country and name',
    nodes: [{ id: 'lk', type: 'transform.lookup', params }],
    edges: [
      ['orders', 'lk:in'],
      ['customers', 'lk:reference'],
    ],
    output: 'lk',
    sql,
  },
  {
    name: 'lookup: same, without the unmatched count',
    nodes: [{ id: 'lk', type: 'transform.lookup', params: { ...params, count_unmatched: false } }],
    edges: [
      ['orders', 'lk:in'],
      ['customers', 'lk:reference'],
    ],
    output: 'lk',
    sql,
  },
];
