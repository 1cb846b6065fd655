/** transform.parse_dates: day-first text dates (made from order_date) parsed back with a list of formats. */
const toText = { id: 'txt', type: 'transform.derive', params: { columns: [{ name: 'order_date', expression: "strftime(order_date, '%d/%m/%Y')" }] } };
const formats = ['%Y-%m-%d', '%d/%m/%Y'];
export default [
  {
    name: 'parse_dates: two formats to DATE, on_error null',
    nodes: [toText, { id: 'n', type: 'transform.parse_dates', params: { columns: [{ column: 'order_date', formats }], on_error: 'null' } }],
    edges: [
      ['orders', 'txt'],
      ['txt', 'n'],
    ],
    output: 'n',
    sql: `SELECT * REPLACE (CAST(try_strptime(strftime(order_date, '%d/%m/%Y'), ['%Y-%m-%d', '%d/%m/%Y']) AS DATE) AS order_date)
FROM orders`,
  },
  {
    name: 'parse_dates: two formats to DATE, on_error fail',
    nodes: [toText, { id: 'n', type: 'transform.parse_dates', params: { columns: [{ column: 'order_date', formats }] } }],
    edges: [
      ['orders', 'txt'],
      ['txt', 'n'],
    ],
    output: 'n',
    sql: `SELECT * REPLACE (CAST(strptime(strftime(order_date, '%d/%m/%Y'), ['%Y-%m-%d', '%d/%m/%Y']) AS DATE) AS order_date)
FROM orders`,
  },
  {
    name: 'parse_dates: Paris wall-clock text to TIMESTAMPTZ, on_error null',
    nodes: [
      { id: 'txt', type: 'transform.derive', params: { columns: [{ name: 'order_date', expression: "strftime(order_date, '%d/%m/%Y 12:30')" }] } },
      { id: 'n', type: 'transform.parse_dates', params: { columns: [{ column: 'order_date', formats: ['%d/%m/%Y %H:%M'], type: 'TIMESTAMPTZ' }], timezone: 'Europe/Paris', on_error: 'null' } },
    ],
    edges: [
      ['orders', 'txt'],
      ['txt', 'n'],
    ],
    output: 'n',
    sql: `SELECT * REPLACE (timezone('Europe/Paris', try_strptime(strftime(order_date, '%d/%m/%Y 12:30'), '%d/%m/%Y %H:%M')) AS order_date)
FROM orders`,
  },
];
