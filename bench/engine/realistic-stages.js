/**
 * Where the realistic pipeline of issue 13 spends its time: the hand-written script's work split
 * into stages, each materialized into a temp table so it can be timed alone (the fused script runs
 * faster than the sum; the shares are what this is for). The last line writes the fact table again
 * with `preserve_insertion_order = false`, which DuckDB may use when the order does not matter (it
 * is arbitrary after DISTINCT).
 *
 *   node bench/engine/realistic-stages.js [--orders 10000000]
 */
import { mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { ensureEcommerceData } from '../shared/ecommerce-data.js';
import { EMAIL_PATTERN, ORDER_COLUMNS } from './realistic-case.js';

const { values } = parseArgs({ options: { orders: { type: 'string', default: '10000000' } } });
const dataDir = await ensureEcommerceData(Number(values.orders));
const outDir = path.join(os.tmpdir(), 'caudal-bench-stages');
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });

const q = (s) => "'" + String(s).replaceAll("'", "''") + "'";
const columns = `{${ORDER_COLUMNS.map(([n, t]) => `${q(n)}: ${q(t)}`).join(', ')}}`;
const WHITESPACE = '[\\t\\n\\x0B\\x0C\\r \\x{85}\\p{Zs}\\x{2028}\\x{2029}]+';
const clean = (c) => `nullif(lower(trim(regexp_replace(${c}, ${q(WHITESPACE)}, ' ', 'g'))), '')`;
const parquet = "(FORMAT parquet, COMPRESSION 'zstd')";

const stages = [
  ['read the orders CSV (typed columns)', `CREATE TEMP TABLE o AS SELECT * FROM read_csv(${q(`${dataDir}/orders.csv`)}, header := true, columns := ${columns})`],
  ['trim/collapse/lower two text columns', `CREATE TEMP TABLE o2 AS SELECT * REPLACE (${clean('status')} AS status, ${clean('channel')} AS channel) FROM o`],
  ['exact dedupe (DISTINCT)', 'CREATE TEMP TABLE d AS SELECT DISTINCT * FROM o2'],
  [
    'fill, filter, two left joins (customers and products CSV), revenue and month',
    `CREATE TEMP TABLE fact AS
WITH f AS (SELECT * REPLACE (coalesce(discount, CAST(0 AS DOUBLE)) AS discount) FROM d WHERE quantity > 0),
j AS (
  SELECT f.*, c.name, c.email, c.country, c.signup_date, p.product_name, p.category, p.unit_price
  FROM f
  LEFT JOIN read_csv(${q(`${dataDir}/customers.csv`)}) c ON f.customer_id = c.customer_id
  LEFT JOIN read_csv(${q(`${dataDir}/products.csv`)}) p ON f.product_id = p.product_id
)
SELECT *, quantity * unit_price * (1 - discount) AS revenue, strftime(order_date, '%Y-%m') AS month FROM j`,
  ],
  [
    'the three checks as one aggregate query',
    `SELECT count(*), (SELECT count(*) FROM (SELECT order_id FROM fact GROUP BY order_id HAVING count(*) > 1)),
  count(*) FILTER (WHERE unit_price < 0 OR unit_price > 10000), count(*) FILTER (WHERE NOT regexp_full_match(email, ${q(EMAIL_PATTERN)})) FROM fact`,
  ],
  ['the fact table to Parquet (zstd)', `COPY fact TO ${q(path.join(outDir, 'fact.parquet'))} ${parquet}`],
  ['the monthly aggregate to Parquet', `COPY (SELECT country, month, category, count(*) AS orders, sum(quantity) AS units, sum(revenue) AS revenue FROM fact GROUP BY ALL) TO ${q(path.join(outDir, 'monthly.parquet'))} ${parquet}`],
  ['the fact table to Parquet again, preserve_insertion_order = false', `SET preserve_insertion_order = false; COPY fact TO ${q(path.join(outDir, 'fact-unordered.parquet'))} ${parquet}`],
];

const db = await DuckDBInstance.create(':memory:');
const conn = await db.connect();
console.log(`data: ${dataDir}; ${os.cpus().length} cores; load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
for (const [name, sql] of stages) {
  const t0 = performance.now();
  await conn.run(sql);
  console.log(`${((performance.now() - t0) / 1000).toFixed(2).padStart(7)} s  ${name}`);
}
db.closeSync();
rmSync(outDir, { recursive: true, force: true });
