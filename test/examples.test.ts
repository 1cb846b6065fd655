import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../core/src/util/package-root.js';
import { generateEcommerceData } from '../resources/examples/ecommerce/generate-data.js';
import { caudal } from './support/cli.js';
import { tempDir } from './support/pipeline.js';
import { PG, pgSandbox, pgSecretEnv } from './support/postgres.js';

const examples = path.join(packageRoot(), 'resources/examples');

/**
 * A copy of an example folder without what runs leave in it (out/, data/, .caudal/ run history and
 * incremental state), so tests never write into the repository nor start from a user's earlier run.
 */
async function copyExample(name: string): Promise<string> {
  const dir = path.join(await tempDir(`caudal-example-${name}-`), name);
  const from = path.join(examples, name);
  const generated = (src: string) => ['out', 'data', '.caudal'].includes(path.relative(from, src).split(path.sep)[0] ?? '');
  await cp(from, dir, { recursive: true, filter: (src) => !generated(src) });
  return dir;
}

const lines = async (file: string) => (await readFile(file, 'utf8')).trimEnd().split('\n');

describe('example: order-rules (cleaning, normalization, join, rules, aggregate)', () => {
  it('runs headless and writes the report, the billable lines and every rejected order with its reason', async () => {
    const dir = await copyExample('order-rules');
    const r = await caudal(['run', 'pipeline.json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const progress = r.stdout + r.stderr;
    // Rule matches are reported per rule, and so are the rows cast/parse_dates set aside.
    expect(progress).toContain('unknown_customer=2  non_positive_price=1  zero_quantity=1  billable=16  not_billable=3  large_order=4  bulk=1');
    expect(progress).toContain("1 row with values that do not convert was set aside on the 'rejects' port");
    expect(progress).toContain("1 row with values that do not parse was set aside on the 'rejects' port");

    expect(await lines(path.join(dir, 'out/revenue_by_country.csv'))).toEqual([
      'country,month,orders,customers,units,revenue,largest_order',
      'ES,2025-01,1,1,2,39.80,39.80',
      'NO,2025-01,1,1,3,37.50,37.50',
      'SE,2025-01,1,1,1,250.00,250.00',
      'US,2025-01,1,1,10,576.00,576.00',
      'DE,2025-02,1,1,3,99.90,99.90',
      'ES,2025-02,2,2,3,2200.00,1200.00',
      'FR,2025-02,1,1,6,594.00,594.00',
      'SE,2025-02,1,1,2,91.00,91.00',
    ]);

    // Billable lines: duplicates removed, names tidied, countries mapped, tags and discount set by the rules.
    const billable = (await lines(path.join(dir, 'out/billable_orders.csv'))).sort();
    expect(billable).toEqual(
      [
        '1001,1,2025-01-03,completed,2,19.90,José Muñoz,jose.munoz@example.com,ES,true,,[],39.80,2025-01',
        '1002,2,2025-01-04,completed,1,250.00,Zoë Ångström,zoe.angstrom@example.org,SE,true,,[],250.00,2025-01',
        '1003,3,2025-01-05,shipped,3,12.50,Björn Ødegaard,bjorn@example.net,NO,true,,[],37.50,2025-01',
        '1004,4,2025-01-07,completed,10,64.00,Mary Keane,mary.keane@example.com,US,true,0.10,"[""large"",""bulk""]",576.00,2025-01',
        '1010,10,2025-02-02,completed,6,99.00,Émile Zola,emile@example.fr,FR,true,,"[""large""]",594.00,2025-02',
        '1011,1,2025-02-03,completed,1,1200.00,José Muñoz,jose.munoz@example.com,ES,true,,"[""large""]",1200.00,2025-02',
        '1012,2,2025-02-04,shipped,2,45.50,Zoë Ångström,zoe.angstrom@example.org,SE,true,,[],91.00,2025-02',
        '1017,6,2025-02-09,completed,3,33.30,Anna Schmidt,anna@example.de,DE,true,,[],99.90,2025-02',
        '1018,7,2025-02-10,completed,2,500.00,Lucía Fernández,lucia.f@example.es,ES,true,,"[""large""]",1000.00,2025-02',
        'order_id,customer_id,order_date,status,quantity,unit_price,name,email,country,billable,discount,_caudal_tags,revenue,month',
      ].sort(),
    );

    const rejected = await lines(path.join(dir, 'out/rejected_orders.csv'));
    expect(rejected[0]).toBe('order_id,customer_id,order_date,status,quantity,unit_price,_caudal_reason,name,email,country,_caudal_rule,rejected_by');
    expect(rejected.slice(1).sort()).toEqual(
      [
        `1007,7,2025-01-12,shipped,4,n/a,"column unit_price: 'n/a' is not a valid DECIMAL(10,2)",,,,,typed_orders:rejects`,
        `1008,8,13.01.2025,completed,2,30.00,"column order_date: '13.01.2025' matches none of the formats %Y-%m-%d, %d/%m/%Y, %m-%d-%Y %H:%M",,,,,dated_orders:rejects`,
        '1006,6,2025-01-09,completed,1,-5.00,unit price must be positive,Anna Schmidt,anna@example.de,DE,non_positive_price,business_rules:rejects',
        '1013,3,2025-02-05,completed,0,10.00,quantity must be at least 1,Björn Ødegaard,bjorn@example.net,NO,zero_quantity,business_rules:rejects',
        '1014,11,2025-02-06,completed,1,15.00,customer not found or has no name,,unknown@example.com,XX,unknown_customer,business_rules:rejects',
        '1015,12,2025-02-07,completed,1,15.00,customer not found or has no name,,,,unknown_customer,business_rules:rejects',
      ].sort(),
    );
  });
});

describe('example: ecommerce revenue', () => {
  it('runs headless on generated data and its report adds up to the same revenue as a direct query', async () => {
    const dir = await copyExample('ecommerce');
    const data = await generateEcommerceData({ orders: 5000, outDir: path.join(dir, 'data'), seed: 7 });
    const r = await caudal(['run', 'pipeline.json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);

    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    const q = (s: string) => `'${s.replaceAll("'", "''")}'`;
    const [[expected]] = (await conn.runAndReadAll(
      `SELECT round(sum(o.quantity * p.unit_price * (1 - coalesce(o.discount, 0))), 2)::DOUBLE
       FROM read_csv(${q(data.files.orders)}) o JOIN read_csv(${q(data.files.products)}) p USING (product_id)
       WHERE lower(trim(o.status)) IN ('completed', 'shipped') AND o.order_date >= DATE '2024-01-01'`,
    )).getRows() as [[number]];
    const [[reported]] = (await conn.runAndReadAll(`SELECT sum(revenue)::DOUBLE FROM read_parquet(${q(path.join(dir, 'out/revenue_by_country_month.parquet'))})`)).getRows() as [[number]];
    conn.closeSync();
    db.closeSync();
    expect(expected).toBeGreaterThan(0);
    // Rounded per order, then summed, against rounding the total: within a cent per order.
    expect(Math.abs(reported - expected)).toBeLessThan(data.rows.orders * 0.005);
  });
});

/** The example names 127.0.0.1:5432; the copy follows CAUDAL_TEST_PG_* when the test server lives elsewhere. */
async function pointAtTestServer(file: string): Promise<void> {
  const project = JSON.parse(await readFile(file, 'utf8')) as { connections: { warehouse: Record<string, unknown> } };
  Object.assign(project.connections.warehouse, { host: PG.host, port: PG.port, database: PG.database, user: PG.user });
  await writeFile(file, JSON.stringify(project, null, 2));
}

describe('example: postgres-sync (upsert into PostgreSQL, incremental export)', async () => {
  const { schema, q } = await pgSandbox();
  const env = { CAUDAL_CONFIG_DIR: await tempDir('caudal-user-config-'), ...pgSecretEnv('warehouse') };

  it('loads the customers, reruns without duplicates, and exports only what changed since the last run', async () => {
    const dir = await copyExample('postgres-sync');
    await pointAtTestServer(path.join(dir, 'caudal.connections.json'));
    const run = (file: string) => caudal(['run', file, '--param', `schema=${schema}`, '-q'], { cwd: dir, env });
    for (const attempt of [1, 2]) {
      const r = await run('load.json');
      expect(r.code, `${attempt}: ${r.stderr}`).toBe(0);
    }
    expect(await q(`SELECT customer_id::int AS id, name, email, country FROM customers ORDER BY 1 LIMIT 3`)).toEqual([
      { id: 1, name: 'José Muñoz', email: 'jose.munoz@example.com', country: 'ES' },
      { id: 2, name: 'Zoë Ångström', email: 'zoe.angstrom@example.org', country: 'SE' },
      { id: 3, name: 'Björn Ødegaard', email: 'bjorn@example.net', country: 'NO' },
    ]);
    expect(await q(`SELECT count(*)::int AS n FROM customers`)).toEqual([{ n: 6 }]);

    expect((await run('export-changes.json')).code).toBe(0);
    expect((await lines(path.join(dir, 'out/changed_customers.csv'))).length).toBe(7);
    await q(`UPDATE customers SET country = 'FI', updated_at = '2025-03-01 00:00:00+00' WHERE customer_id = 2`);
    expect((await run('export-changes.json')).code).toBe(0);
    expect(await lines(path.join(dir, 'out/changed_customers.csv'))).toEqual([
      'customer_id,name,email,country,updated_at',
      '2,Zoë Ångström,zoe.angstrom@example.org,FI,2025-03-01 00:00:00+00',
    ]);
  });
});

describe('example: api-lake (REST API → geocoding → S3 lake → report)', () => {
  it('loads the orders into the lake in batches, incrementally, and reports from it', async () => {
    const { startApi } = await import('./services/http-api/server.js');
    const { startS3 } = await import('./services/s3/server.js');
    const api = await startApi({ records: 300 });
    const s3 = await startS3({ buckets: ['caudal-demo'] });
    try {
      const dir = await copyExample('api-lake');
      const connFile = path.join(dir, 'caudal.connections.json');
      await writeFile(connFile, (await readFile(connFile, 'utf8')).replaceAll('http://127.0.0.1:4810', api.url).replaceAll('http://127.0.0.1:4811', s3.endpoint));
      const env = { CAUDAL_CONFIG_DIR: await tempDir('caudal-user-config-'), CAUDAL_CACHE_DIR: await tempDir('caudal-cache-'), CAUDAL_SECRET_SHOP_API_API_KEY: 'k-123', CAUDAL_SECRET_LAKE_SECRET_ACCESS_KEY: 'S3RVER' };
      const run = (...args: string[]) => caudal(['run', ...args, '-q'], { cwd: dir, env });
      const first = await run('orders-to-lake.json', '--param', 'batch=1');
      expect(first.code, first.stderr).toBe(0);
      api.addRecords(20);
      expect((await run('orders-to-lake.json', '--param', 'batch=2')).code).toBe(0);
      // Each city was geocoded once over both runs (the second found the answers in the cache).
      expect(new Set(api.log.filter((l) => l.path === '/geocode').map((l) => l.query.q)).size).toBe(api.log.filter((l) => l.path === '/geocode').length);
      const report = await run('lake-report.json');
      expect(report.code, report.stderr).toBe(0);
      const rows = await lines(path.join(dir, 'out/revenue_by_city.csv'));
      expect(rows[0]).toBe('customer_address_city,orders,revenue,batches');
      const total = rows.slice(1).reduce((a, l) => a + Number(l.split(',')[1]), 0);
      expect(total).toBe(320);
      expect(rows.slice(1).every((l) => l.endsWith(',2'))).toBe(true);
    } finally {
      await api.close();
      await s3.close();
    }
  });
});

describe('example: redis-cache (hashes with a TTL, a catalog version behind a pointer key)', async () => {
  const { redisSandbox } = await import('./support/redis.js');
  const { client, prefix } = await redisSandbox();
  const env = { CAUDAL_CONFIG_DIR: await tempDir('caudal-user-config-') };

  it('caches every product, then publishes a new catalog version on each run and lets the old one expire', async () => {
    const dir = await copyExample('redis-cache');
    const run = () => caudal(['run', 'cache.json', '--param', `prefix=${prefix}`, '-q'], { cwd: dir, env });
    const first = await run();
    expect(first.code, first.stderr).toBe(0);
    expect(await client.hGetAll(`${prefix}product:101`)).toEqual({ product_id: '101', name: 'Espresso cup', category: 'kitchen', price: '4.5', in_stock: 'true' });
    expect(await client.ttl(`${prefix}product:101`)).toBeGreaterThan(86_000);
    const v1 = (await client.get(`${prefix}catalog:current`))!;
    expect(JSON.parse((await client.get(`${prefix}catalog:${v1}:office:202`))!)).toEqual({ name: 'Fountain pen', price: 24, in_stock: true });
    const second = await run();
    expect(second.code, second.stderr).toBe(0);
    const v2 = (await client.get(`${prefix}catalog:current`))!;
    expect(v2).not.toBe(v1);
    expect(await client.ttl(`${prefix}catalog:${v1}:office:202`)).toBeGreaterThan(0);
    expect(await client.ttl(`${prefix}catalog:${v2}:office:202`)).toBe(-1);
  });
});
