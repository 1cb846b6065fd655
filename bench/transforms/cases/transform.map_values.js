/** transform.map_values: status spellings normalized with typed-in pairs; channel codes from a mapping table. */
export default [
  {
    name: 'map_values: normalize status (trim, ignore case), others to a fixed value',
    nodes: [
      {
        id: 'n',
        type: 'transform.map_values',
        params: {
          column: 'status',
          mappings: [
            { from: 'completed', to: 'completed' },
            { from: 'shipped', to: 'shipped' },
            { from: 'cancelled', to: 'cancelled' },
            { from: 'returned', to: 'returned' },
          ],
          trim: true,
          ignore_case: true,
          unmapped: 'value',
          unmapped_value: 'other',
        },
      },
    ],
    edges: [['orders', 'n']],
    output: 'n',
    sql: `SELECT * REPLACE (CASE lower(trim(status))
    WHEN 'completed' THEN 'completed' WHEN 'shipped' THEN 'shipped' WHEN 'cancelled' THEN 'cancelled' WHEN 'returned' THEN 'returned'
    ELSE CASE WHEN status IS NOT NULL THEN 'other' END END AS status)
FROM orders`,
  },
  {
    name: 'map_values: channel codes from a mapping table (ignore case)',
    nodes: [
      { id: 'codes', type: 'transform.sql', params: { query: "SELECT * FROM (VALUES ('WEB', 'W'), ('Mobile', 'M'), ('store', 'S')) t(code, label)" } },
      { id: 'n', type: 'transform.map_values', params: { column: 'channel', from_column: 'code', to_column: 'label', ignore_case: true } },
    ],
    edges: [
      ['orders', 'n'],
      ['codes', 'n:mapping'],
    ],
    output: 'n',
    sql: `SELECT o.* REPLACE (coalesce(m.label, o.channel) AS channel)
FROM orders AS o LEFT JOIN (VALUES ('web', 'W'), ('mobile', 'M'), ('store', 'S')) AS m(code, label) ON lower(o.channel) = m.code`,
  },
];
