/** transform.cast: in-place type changes, strict (CAST) and lenient (TRY_CAST). */
const columns = [
  { column: 'order_id', type: 'VARCHAR' },
  { column: 'quantity', type: 'INTEGER' },
  { column: 'discount', type: 'DECIMAL(5,2)' },
];
export default [
  {
    name: 'cast: three columns, on_error fail',
    nodes: [{ id: 'n', type: 'transform.cast', params: { columns } }],
    edges: [['orders', 'n']],
    output: 'n',
    sql: `SELECT * REPLACE (CAST(order_id AS VARCHAR) AS order_id, CAST(quantity AS INTEGER) AS quantity, CAST(discount AS DECIMAL(5,2)) AS discount)
FROM orders`,
  },
  {
    name: 'cast: text to numbers, on_error null',
    nodes: [
      { id: 'txt', type: 'transform.derive', params: { columns: [{ name: 'quantity', expression: 'CAST(quantity AS VARCHAR)' }, { name: 'discount', expression: 'CAST(discount AS VARCHAR)' }] } },
      { id: 'n', type: 'transform.cast', params: { columns: [{ column: 'quantity', type: 'INTEGER' }, { column: 'discount', type: 'DOUBLE' }], on_error: 'null' } },
    ],
    edges: [
      ['orders', 'txt'],
      ['txt', 'n'],
    ],
    output: 'n',
    sql: `SELECT * REPLACE (TRY_CAST(CAST(quantity AS VARCHAR) AS INTEGER) AS quantity, TRY_CAST(CAST(discount AS VARCHAR) AS DOUBLE) AS discount)
FROM orders`,
  },
];
