#!/usr/bin/env node
/**
 * `npm run demo`: generate the sample data (once) and run the example pipeline headless, the same
 * way `npx caudal run resources/examples/ecommerce/pipeline.json` does.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateEcommerceData } from './generate-data.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const dataDir = path.join(here, 'data');
if (!existsSync(path.join(dataDir, 'orders.csv'))) {
  const r = await generateEcommerceData({ outDir: dataDir });
  console.log(`generated sample data: ${r.rows.orders.toLocaleString('en-US')} orders, ${r.rows.customers.toLocaleString('en-US')} customers, ${r.rows.products.toLocaleString('en-US')} products in ${dataDir}`);
}
const cli = path.join(here, '../../../bin/caudal.js');
const pipeline = path.join(here, 'pipeline.json');
console.log(`running: caudal run ${path.relative(process.cwd(), pipeline)}\n`);
const run = spawnSync(process.execPath, [cli, 'run', pipeline, ...process.argv.slice(2)], { stdio: 'inherit' });
if (run.status === 0) {
  console.log(`\nOutputs are in ${path.join(here, 'out')}:`);
  console.log('  revenue_by_country_month.parquet  monthly revenue per country and category');
  console.log('  warehouse.duckdb                  table order_facts (open with: duckdb out/warehouse.duckdb)');
  console.log('  rejected_orders.csv               malformed input rows, if any');
  console.log(`\nLook inside: npx caudal preview ${path.relative(process.cwd(), pipeline)} --node revenue_by_country`);
}
process.exit(run.status ?? 1);
