/**
 * The reference workload, twice: as a Caudal pipeline and as one hand-written DuckDB statement
 * doing the same work (same CSV auto-detection, same expressions, same Parquet compression).
 */
export function referencePipeline(dataDir, outFile) {
  return {
    format: 'caudal.pipeline/1',
    name: 'bench: e-commerce reference',
    params: {},
    connections: {},
    nodes: [
      { id: 'orders', type: 'source.csv', params: { path: `${dataDir}/orders.csv` } },
      { id: 'products', type: 'source.csv', params: { path: `${dataDir}/products.csv` } },
      { id: 'customers', type: 'source.csv', params: { path: `${dataDir}/customers.csv` } },
      { id: 'clean_orders', type: 'transform.derive', params: { columns: [{ name: 'status', expression: 'lower(trim(status))' }] } },
      { id: 'valid_orders', type: 'transform.filter', params: { condition: "status IN ('completed', 'shipped')" } },
      { id: 'clean_customers', type: 'transform.derive', params: { columns: [{ name: 'country', expression: 'upper(trim(country))' }, { name: 'email', expression: 'lower(trim(email))' }] } },
      {
        id: 'enriched',
        type: 'transform.sql',
        params: {
          query:
            'SELECT o.order_id, o.order_date, o.quantity, o.discount, p.category, p.unit_price, c.country\n' +
            'FROM valid_orders o\nJOIN products p USING (product_id)\nJOIN clean_customers c USING (customer_id)',
        },
      },
      { id: 'with_revenue', type: 'transform.derive', params: { columns: [{ name: 'revenue', expression: 'quantity * unit_price * (1 - coalesce(discount, 0))' }, { name: 'month', expression: "strftime(order_date, '%Y-%m')" }] } },
      {
        id: 'by_country',
        type: 'transform.sql',
        params: {
          query:
            'SELECT country, category, month, count(*) AS orders, sum(quantity) AS units, round(sum(revenue), 2) AS revenue\n' +
            'FROM with_revenue\nGROUP BY country, category, month',
        },
      },
      { id: 'report', type: 'sink.parquet', params: { path: outFile, if_exists: 'overwrite', compression: 'zstd' } },
    ],
    edges: [
      { from: 'orders:out', to: 'clean_orders:in' },
      { from: 'clean_orders:out', to: 'valid_orders:in' },
      { from: 'customers:out', to: 'clean_customers:in' },
      { from: 'valid_orders:out', to: 'enriched:in' },
      { from: 'products:out', to: 'enriched:in' },
      { from: 'clean_customers:out', to: 'enriched:in' },
      { from: 'enriched:out', to: 'with_revenue:in' },
      { from: 'with_revenue:out', to: 'by_country:in' },
      { from: 'by_country:out', to: 'report:in' },
    ],
  };
}

const q = (s) => "'" + String(s).replaceAll("'", "''") + "'";

export function handWrittenSql(dataDir, outFile) {
  return `COPY (
  WITH valid_orders AS (
    SELECT * REPLACE (lower(trim(status)) AS status) FROM read_csv(${q(`${dataDir}/orders.csv`)})
    WHERE lower(trim(status)) IN ('completed', 'shipped')
  ),
  products AS (SELECT * FROM read_csv(${q(`${dataDir}/products.csv`)})),
  clean_customers AS (
    SELECT * REPLACE (upper(trim(country)) AS country, lower(trim(email)) AS email) FROM read_csv(${q(`${dataDir}/customers.csv`)})
  ),
  with_revenue AS (
    SELECT o.order_id, o.order_date, o.quantity, o.discount, p.category, p.unit_price, c.country,
           o.quantity * p.unit_price * (1 - coalesce(o.discount, 0)) AS revenue,
           strftime(o.order_date, '%Y-%m') AS month
    FROM valid_orders o JOIN products p USING (product_id) JOIN clean_customers c USING (customer_id)
  )
  SELECT country, category, month, count(*) AS orders, sum(quantity) AS units, round(sum(revenue), 2) AS revenue
  FROM with_revenue GROUP BY country, category, month
) TO ${q(outFile)} (FORMAT parquet, COMPRESSION zstd)`;
}
