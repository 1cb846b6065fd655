/** transform.join: fact-to-dimension joins; the many-to-many check runs in the Caudal variant too. */
export default [
  {
    name: 'join: orders left join customers',
    nodes: [{ id: 'j', type: 'transform.join', params: { kind: 'left', on: [{ left: 'customer_id' }] } }],
    edges: [
      ['orders', 'j:left'],
      ['customers', 'j:right'],
    ],
    output: 'j',
    sql: `SELECT o.*, c.name, c.email, c.country, c.signup_date
FROM orders o LEFT JOIN customers c ON o.customer_id = c.customer_id`,
  },
  {
    name: 'join: orders inner join products',
    nodes: [{ id: 'j', type: 'transform.join', params: { on: [{ left: 'product_id', right: 'product_id' }] } }],
    edges: [
      ['orders', 'j:left'],
      ['products', 'j:right'],
    ],
    output: 'j',
    sql: `SELECT o.*, p.product_name, p.category, p.unit_price
FROM orders o JOIN products p ON o.product_id = p.product_id`,
  },
  {
    name: 'join: customers without orders (anti)',
    nodes: [{ id: 'j', type: 'transform.join', params: { kind: 'anti', on: [{ left: 'customer_id' }] } }],
    edges: [
      ['customers', 'j:left'],
      ['orders', 'j:right'],
    ],
    output: 'j',
    sql: `SELECT c.* FROM customers c ANTI JOIN orders o ON c.customer_id = o.customer_id`,
  },
];
