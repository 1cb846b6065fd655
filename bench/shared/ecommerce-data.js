/**
 * The e-commerce data set every bench shares: generated once per size (deterministic seed) into
 * `$TMPDIR/caudal-bench-<orders>`, marked complete only when whole, with Parquet copies made on demand.
 */
import { existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { generateEcommerceData } from '../../resources/examples/ecommerce/generate-data.js';

export function defaultDataDir(orders) {
  return path.join(os.tmpdir(), `caudal-bench-${orders}`);
}

/** Generates the CSVs unless a complete copy is there; `parquet` lists tables to convert too. */
export async function ensureEcommerceData(orders, { dataDir = defaultDataDir(orders), parquet = [] } = {}) {
  const marker = path.join(dataDir, '.complete');
  if (!existsSync(marker)) {
    console.log(`generating ${orders.toLocaleString('en-US')} orders into ${dataDir} …`);
    const t = performance.now();
    await generateEcommerceData({ orders, outDir: dataDir, seed: 42 });
    writeFileSync(marker, String(orders));
    console.log(`  done in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  const missing = parquet.filter((name) => !existsSync(parquetPath(dataDir, name)));
  if (missing.length > 0) {
    const q = (s) => "'" + String(s).replaceAll("'", "''") + "'";
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    for (const name of missing) await conn.run(`COPY (SELECT * FROM read_csv(${q(path.join(dataDir, `${name}.csv`))})) TO ${q(parquetPath(dataDir, name))} (FORMAT parquet)`);
    conn.closeSync();
    db.closeSync();
  }
  return dataDir;
}

export function parquetPath(dataDir, name) {
  return path.join(dataDir, `${name}.parquet`);
}
