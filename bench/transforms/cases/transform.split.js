/** transform.split: one port of a two-route split (first match wins, NULL conditions fall through). */
export default [
  {
    name: 'split: second route (store orders that are not big)',
    nodes: [{ id: 'sp', type: 'transform.split', params: { routes: [{ when: 'quantity >= 5' }, { when: "channel = 'store'" }] } }],
    edges: [['orders', 'sp']],
    output: 'sp:out_2',
    sql: `SELECT * FROM orders WHERE channel = 'store' AND (quantity >= 5) IS NOT TRUE`,
  },
  {
    name: 'split: else port (neither big nor store)',
    nodes: [{ id: 'sp', type: 'transform.split', params: { routes: [{ when: 'quantity >= 5' }, { when: "channel = 'store'" }] } }],
    edges: [['orders', 'sp']],
    output: 'sp:else',
    sql: `SELECT * FROM orders WHERE (quantity >= 5) IS NOT TRUE AND (channel = 'store') IS NOT TRUE`,
  },
];
