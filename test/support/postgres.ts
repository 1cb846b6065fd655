import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll } from 'vitest';
import type { ResolvedConnection } from '../../core/src/nodes/define.js';

/** The machine's PostgreSQL (trust auth on 127.0.0.1), overridable for other setups. */
export const PG = {
  host: process.env.CAUDAL_TEST_PG_HOST ?? '127.0.0.1',
  port: Number(process.env.CAUDAL_TEST_PG_PORT ?? 5432),
  database: process.env.CAUDAL_TEST_PG_DATABASE ?? 'test',
  user: process.env.CAUDAL_TEST_PG_USER ?? 'postgres',
};

export function pgConnection(name = 'db'): Record<string, ResolvedConnection> {
  return { [name]: { name, type: 'postgres', config: { ...PG, ssl: 'disable', connect_timeout_s: 10 } } };
}

/**
 * A client and a fresh schema per test file, dropped afterwards, so test files can run in
 * parallel against one database without seeing each other's tables.
 */
export async function pgSandbox(): Promise<{ client: pg.Client; schema: string; q: <T extends pg.QueryResultRow = Record<string, unknown>>(sql: string, values?: unknown[]) => Promise<T[]> }> {
  const client = new pg.Client(PG);
  await client.connect();
  const schema = `caudal_test_${randomUUID().slice(0, 8)}`;
  await client.query(`CREATE SCHEMA "${schema}"`);
  await client.query(`SET search_path = "${schema}"`);
  afterAll(async () => {
    await client.query(`DROP SCHEMA "${schema}" CASCADE`);
    await client.end();
  });
  return { client, schema, q: async (sql, values) => (await client.query(sql, values)).rows };
}
