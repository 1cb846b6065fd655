/**
 * The realistic pipeline of issue 13, three ways: a Caudal pipeline, one hand-written DuckDB SQL
 * script doing the same work (same expressions, same checks computed as aggregates, same Parquet
 * compression), and the shape the peers (bench/peers/*.py) implement.
 *
 * orders CSV (typed columns) → trim/collapse/lower two text columns → exact dedupe → fill NULL
 * discount → filter quantity > 0 → left join customers (4 columns) → left join products (3 columns)
 * → revenue, month → quality.check (unique order_id; unit_price between 0 and 10000; email matches a
 * regex) → (a) the fact table to Parquet, (b) a monthly aggregate by country/month/category to Parquet.
 *
 * Variant `quarantine`: the email check quarantines instead of warning; failing rows go to a third
 * Parquet file with the reasons list, and the fact table and the aggregate get the passing rows.
 */

const q = (s) => "'" + String(s).replaceAll("'", "''") + "'";

export const ORDER_COLUMNS = [
  ['order_id', 'BIGINT'],
  ['customer_id', 'BIGINT'],
  ['product_id', 'BIGINT'],
  ['quantity', 'INTEGER'],
  ['order_date', 'DATE'],
  ['status', 'VARCHAR'],
  ['discount', 'DOUBLE'],
  ['channel', 'VARCHAR'],
];
export const EMAIL_PATTERN = '[^@ ]+@[^@ ]+\\.[a-z]+';

export function outputs(outDir, variant) {
  return {
    fact: `${outDir}/${variant}-fact.parquet`,
    monthly: `${outDir}/${variant}-monthly.parquet`,
    rejected: `${outDir}/${variant}-rejected.parquet`,
  };
}

export function realisticPipeline(dataDir, out, { quarantine = false } = {}) {
  const emailSeverity = quarantine ? 'quarantine' : 'warn';
  const nodes = [
    { id: 'orders', type: 'source.csv', params: { path: `${dataDir}/orders.csv`, header: true, columns: ORDER_COLUMNS.map(([name, type]) => ({ name, type })) } },
    { id: 'customers', type: 'source.csv', params: { path: `${dataDir}/customers.csv` } },
    { id: 'products', type: 'source.csv', params: { path: `${dataDir}/products.csv` } },
    { id: 'clean', type: 'transform.clean_text', params: { columns: ['status', 'channel'], case: 'lower' } },
    { id: 'dedupe', type: 'transform.dedupe', params: {} },
    { id: 'fill', type: 'transform.fill_nulls', params: { rules: [{ column: 'discount', strategy: 'constant', value: 0 }] } },
    { id: 'positive', type: 'transform.filter', params: { condition: 'quantity > 0' } },
    { id: 'with_customer', type: 'transform.join', params: { kind: 'left', on: [{ left: 'customer_id' }] } },
    { id: 'with_product', type: 'transform.join', params: { kind: 'left', on: [{ left: 'product_id' }] } },
    {
      id: 'revenue',
      type: 'transform.derive',
      params: { columns: [{ name: 'revenue', expression: 'quantity * unit_price * (1 - discount)' }, { name: 'month', expression: "strftime(order_date, '%Y-%m')" }] },
    },
    {
      id: 'checks',
      type: 'quality.check',
      params: {
        checks: [
          { name: 'order id unique', kind: 'unique', columns: ['order_id'], severity: 'warn' },
          { name: 'price in range', kind: 'between', column: 'unit_price', min: 0, max: 10000, severity: 'warn' },
          { name: 'email shape', kind: 'matches_regex', column: 'email', pattern: EMAIL_PATTERN, severity: emailSeverity },
        ],
      },
    },
    { id: 'fact', type: 'sink.parquet', params: { path: out.fact, if_exists: 'overwrite', compression: 'zstd' } },
    {
      id: 'monthly',
      type: 'transform.aggregate',
      params: {
        group_by: ['country', 'month', 'category'],
        aggregations: [
          { name: 'orders', function: 'count' },
          { name: 'units', function: 'sum', column: 'quantity' },
          { name: 'revenue', function: 'sum', column: 'revenue' },
        ],
      },
    },
    { id: 'monthly_out', type: 'sink.parquet', params: { path: out.monthly, if_exists: 'overwrite', compression: 'zstd' } },
  ];
  const edges = [
    ['orders:out', 'clean:in'],
    ['clean:out', 'dedupe:in'],
    ['dedupe:out', 'fill:in'],
    ['fill:out', 'positive:in'],
    ['positive:out', 'with_customer:left'],
    ['customers:out', 'with_customer:right'],
    ['with_customer:out', 'with_product:left'],
    ['products:out', 'with_product:right'],
    ['with_product:out', 'revenue:in'],
    ['revenue:out', 'checks:in'],
    ['checks:out', 'fact:in'],
    ['checks:out', 'monthly:in'],
    ['monthly:out', 'monthly_out:in'],
  ];
  if (quarantine) {
    nodes.push({ id: 'rejected_out', type: 'sink.parquet', params: { path: out.rejected, if_exists: 'overwrite', compression: 'zstd' } });
    edges.push(['checks:rejected', 'rejected_out:in']);
  }
  return {
    format: 'caudal.pipeline/1',
    name: `bench: realistic${quarantine ? ' (quarantine)' : ''}`,
    params: {},
    connections: {},
    nodes,
    edges: edges.map(([from, to]) => ({ from, to })),
  };
}

// What a person would write for the nodes (clean_text with trim + collapse + lower + empty→NULL);
// the node itself replaces only runs it changes, which gives the same text (see its source).
const WHITESPACE = '[\\t\\n\\x0B\\x0C\\r \\x{85}\\p{Zs}\\x{2028}\\x{2029}]+';
const clean = (c) => `nullif(lower(trim(regexp_replace(${c}, ${q(WHITESPACE)}, ' ', 'g'))), '')`;
const okPrice = 'coalesce(unit_price IS NULL OR (unit_price >= 0 AND unit_price <= 10000), false)';
const okEmail = `coalesce(email IS NULL OR regexp_full_match(email, ${q(EMAIL_PATTERN)}), false)`;

function pipelineSql(dataDir) {
  const columns = `{${ORDER_COLUMNS.map(([n, t]) => `${q(n)}: ${q(t)}`).join(', ')}}`;
  return `WITH o AS (
  SELECT * REPLACE (${clean('status')} AS status, ${clean('channel')} AS channel)
  FROM read_csv(${q(`${dataDir}/orders.csv`)}, header := true, columns := ${columns})
),
d AS (SELECT DISTINCT * FROM o),
f AS (SELECT * REPLACE (coalesce(discount, CAST(0 AS DOUBLE)) AS discount) FROM d WHERE quantity > 0),
j AS (
  SELECT f.*, c.name, c.email, c.country, c.signup_date, p.product_name, p.category, p.unit_price
  FROM f
  LEFT JOIN read_csv(${q(`${dataDir}/customers.csv`)}) c ON f.customer_id = c.customer_id
  LEFT JOIN read_csv(${q(`${dataDir}/products.csv`)}) p ON f.product_id = p.product_id
)
SELECT *, quantity * unit_price * (1 - discount) AS revenue, strftime(order_date, '%Y-%m') AS month FROM j`;
}

const monthlySql = (from, where = '') =>
  `SELECT country, month, category, count(*) AS orders, sum(quantity) AS units, sum(revenue) AS revenue FROM ${from}${where} GROUP BY country, month, category`;
const parquet = "(FORMAT parquet, COMPRESSION 'zstd')";

/**
 * The hand-written script: the pipeline computed once into a temp table, the three checks as one
 * aggregate query over it (failing-row counts: rows whose order_id repeats, rows out of range,
 * rows whose email does not match), five sample rows of each failing check, then both outputs.
 * The statement named `checks` returns { n, f_unique, f_price, f_email }.
 */
export function realisticSql(dataDir, out, { quarantine = false } = {}) {
  const unique = '(SELECT coalesce(sum(c), 0) FROM (SELECT count(*) AS c FROM fact WHERE order_id IS NOT NULL GROUP BY order_id HAVING count(*) > 1))';
  if (!quarantine) {
    return [
      { sql: `CREATE TEMP TABLE fact AS\n${pipelineSql(dataDir)}` },
      { name: 'checks', sql: `SELECT count(*) AS n, ${unique} AS f_unique, count(*) FILTER (WHERE NOT ${okPrice}) AS f_price, count(*) FILTER (WHERE NOT ${okEmail}) AS f_email FROM fact` },
      { name: 'samples', sql: `SELECT * FROM fact WHERE NOT ${okEmail} LIMIT 5` },
      { sql: `COPY fact TO ${q(out.fact)} ${parquet}` },
      { sql: `COPY (${monthlySql('fact')}) TO ${q(out.monthly)} ${parquet}` },
    ];
  }
  return [
    { sql: `CREATE TEMP TABLE fact AS\nSELECT *, ${okEmail} AS ok_email FROM (\n${pipelineSql(dataDir)}\n)` },
    { name: 'checks', sql: `SELECT count(*) AS n, ${unique} AS f_unique, count(*) FILTER (WHERE NOT ${okPrice}) AS f_price, count(*) FILTER (WHERE NOT ok_email) AS f_email FROM fact` },
    { name: 'samples', sql: 'SELECT * EXCLUDE (ok_email) FROM fact WHERE NOT ok_email LIMIT 5' },
    { sql: `COPY (SELECT * EXCLUDE (ok_email) FROM fact WHERE ok_email) TO ${q(out.fact)} ${parquet}` },
    { sql: `COPY (SELECT * EXCLUDE (ok_email), ['email shape'] AS _caudal_reasons FROM fact WHERE NOT ok_email) TO ${q(out.rejected)} ${parquet}` },
    { sql: `COPY (${monthlySql('fact', ' WHERE ok_email')}) TO ${q(out.monthly)} ${parquet}` },
  ];
}
