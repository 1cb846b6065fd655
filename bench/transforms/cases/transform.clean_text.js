/** transform.clean_text: the usual status clean-up, and a fuller clean of every text column. */
export default [
  {
    name: 'clean_text: trim + lower status',
    nodes: [{ id: 'clean', type: 'transform.clean_text', params: { columns: ['status'], collapse_whitespace: false, case: 'lower', empty_to_null: false } }],
    edges: [['orders', 'clean']],
    output: 'clean',
    // Caudal's trim also removes tabs, line breaks and Unicode spaces; the data has only ASCII spaces.
    sql: 'SELECT * REPLACE (lower(trim(status)) AS status) FROM orders',
  },
  {
    name: 'clean_text: defaults + lower on all text columns',
    nodes: [{ id: 'clean', type: 'transform.clean_text', params: { case: 'lower' } }],
    edges: [['orders', 'clean']],
    output: 'clean',
    sql: `SELECT * REPLACE (
  nullif(lower(trim(regexp_replace(status, '\\s+', ' ', 'g'))), '') AS status,
  nullif(lower(trim(regexp_replace(channel, '\\s+', ' ', 'g'))), '') AS channel
) FROM orders`,
  },
];
