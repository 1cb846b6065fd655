import { randomUUID } from 'node:crypto';
import sql from 'mssql';
import { afterFile } from './cleanup.js';
import { mssqlConfig, sqlserverFields } from '../../core/src/connections/sqlserver/sqlserver.connection.js';
import type { ResolvedConnection } from '../../core/src/nodes/define.js';

/**
 * A real SQL Server, when CAUDAL_TEST_MSSQL_URL names one
 * (`mssql://sa:Your_password123@127.0.0.1:1433/master?trustServerCertificate=true`; the official
 * mcr.microsoft.com/mssql/server container). None can run on the project's machines.
 */
export const MSSQL_URL = process.env.CAUDAL_TEST_MSSQL_URL;

export function mssqlTestConfig(): Record<string, unknown> {
  const u = new URL(MSSQL_URL!);
  const flag = (name: string, dflt: boolean) => (u.searchParams.has(name) ? u.searchParams.get(name) === 'true' : dflt);
  return sqlserverFields.parse({
    host: u.hostname,
    port: u.port ? Number(u.port) : undefined,
    instance: u.searchParams.get('instance') ?? undefined,
    database: decodeURIComponent(u.pathname.slice(1)) || 'master',
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    encrypt: flag('encrypt', true),
    trust_server_certificate: flag('trustServerCertificate', false),
  });
}

export function mssqlConnection(name = 'erp'): Record<string, ResolvedConnection> {
  return { [name]: { name, type: 'sqlserver', config: mssqlTestConfig() } };
}

/** A pool and a fresh schema per test file; its tables and the schema are dropped afterwards. */
export async function mssqlSandbox(): Promise<{ pool: sql.ConnectionPool; schema: string; q: <T = Record<string, unknown>>(text: string) => Promise<T[]> }> {
  const pool = new sql.ConnectionPool(mssqlConfig(sqlserverFields.parse(mssqlTestConfig())));
  await pool.connect();
  const schema = `caudal_test_${randomUUID().slice(0, 8)}`;
  await pool.request().batch(`CREATE SCHEMA [${schema}]`);
  afterFile(async () => {
    const tables = await pool.request().input('s', sql.NVarChar, schema).query<{ name: string; type: string }>("SELECT o.name, RTRIM(o.type) AS type FROM sys.objects o WHERE o.schema_id = SCHEMA_ID(@s) AND o.type IN ('U', 'V')");
    for (const t of tables.recordset.filter((t) => t.type === 'V')) await pool.request().batch(`DROP VIEW [${schema}].[${t.name}]`);
    for (const t of tables.recordset.filter((t) => t.type === 'U')) await pool.request().batch(`DROP TABLE [${schema}].[${t.name}]`);
    await pool.request().batch(`DROP SCHEMA [${schema}]`);
    await pool.close();
  });
  return { pool, schema, q: async <T>(text: string) => (await pool.request().query<T>(text)).recordset as T[] };
}
