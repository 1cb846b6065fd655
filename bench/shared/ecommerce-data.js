/**
 * The e-commerce data set every bench shares: generated once per size (deterministic seed) into
 * `$TMPDIR/caudal-bench-<orders>`, marked complete only when whole, with Parquet copies made on demand.
 */
import { existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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
    // Benches run side by side (several people or sessions on one machine): each generates into its
    // own folder and renames it into place, so none reads a file another is still writing.
    const own = `${dataDir}.tmp-${process.pid}`;
    console.log(`generating ${orders.toLocaleString('en-US')} orders into ${dataDir} …`);
    const t = performance.now();
    await generateEcommerceData({ orders, outDir: own, seed: 42 });
    writeFileSync(path.join(own, '.complete'), String(orders));
    if (existsSync(marker)) rmSync(own, { recursive: true, force: true });
    else {
      rmSync(dataDir, { recursive: true, force: true });
      renameSync(own, dataDir);
    }
    console.log(`  done in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  const missing = parquet.filter((name) => !existsSync(parquetPath(dataDir, name)));
  if (missing.length > 0) {
    const q = (s) => "'" + String(s).replaceAll("'", "''") + "'";
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    for (const name of missing) {
      const own = `${parquetPath(dataDir, name)}.tmp-${process.pid}`;
      await conn.run(`COPY (SELECT * FROM read_csv(${q(path.join(dataDir, `${name}.csv`))})) TO ${q(own)} (FORMAT parquet)`);
      renameSync(own, parquetPath(dataDir, name));
    }
    conn.closeSync();
    db.closeSync();
  }
  return dataDir;
}

export function parquetPath(dataDir, name) {
  return path.join(dataDir, `${name}.parquet`);
}
