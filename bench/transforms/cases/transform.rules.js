/**
 * Business rules: a first-hit decision table (reject, set + tag, tag, set + tag) against the CASE WHEN
 * an engineer writes by hand. Caudal also counts the rows each rule matched (one more read of the
 * condition columns); the second case turns that off.
 */
const rules = [
  { name: 'not a sale', condition: "lower(trim(status)) IN ('cancelled', 'returned')", reject: 'cancelled or returned' },
  { name: 'big discount', condition: 'discount >= 0.25', set: [{ column: 'discount', expression: '0.25' }], tag: 'capped' },
  { name: 'bulk', condition: 'quantity >= 8', tag: 'bulk' },
  { name: 'store', condition: "channel = 'store'", set: [{ column: 'channel', expression: "'in-store'" }], tag: 'offline' },
];

const sql = `SELECT * REPLACE (
    CASE WHEN discount >= 0.25 THEN 0.25 ELSE discount END AS discount,
    CASE WHEN discount >= 0.25 OR quantity >= 8 THEN channel WHEN channel = 'store' THEN 'in-store' ELSE channel END AS channel),
  CASE WHEN discount >= 0.25 THEN ['capped'] WHEN quantity >= 8 THEN ['bulk'] WHEN channel = 'store' THEN ['offline'] ELSE [] END AS _caudal_tags
FROM orders
WHERE NOT coalesce(lower(trim(status)) IN ('cancelled', 'returned'), false)`;

export default [
  {
    name: 'rules: first-hit table, 4 rules, with counts',
    nodes: [{ id: 'r', type: 'transform.rules', params: { policy: 'first', rules } }],
    edges: [['orders', 'r']],
    output: 'r',
    sql,
  },
  {
    name: 'rules: first-hit table, 4 rules, no counts',
    nodes: [{ id: 'r', type: 'transform.rules', params: { policy: 'first', rules, count_matches: false } }],
    edges: [['orders', 'r']],
    output: 'r',
    sql,
  },
];
