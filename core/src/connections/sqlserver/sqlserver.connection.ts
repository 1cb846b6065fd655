import type { config as MssqlConfig } from 'mssql';
import { z } from 'zod';
import { defineConnectionType } from '../connection-type.js';
import { redact } from '../redact.js';

export const sqlserverFields = z
  .object({
    host: z.string().min(1).default('localhost').meta({ label: 'Host' }),
    port: z.int().min(1).max(65535).optional().meta({ label: 'Port', help: 'Default 1433. Leave empty with a named instance: the SQL Server Browser tells its port.' }),
    instance: z.string().min(1).optional().meta({ label: 'Instance', help: 'A named instance (e.g. SQLEXPRESS).' }),
    database: z.string().min(1).meta({ label: 'Database' }),
    auth: z.enum(['sql', 'ntlm']).default('sql').meta({ label: 'Authentication', help: 'sql: a SQL Server login. ntlm: a Windows account (domain, user and password).', widget: 'select' }),
    user: z.string().min(1).meta({ label: 'User' }),
    password: z.string().optional().meta({ label: 'Password', widget: 'text', help: 'Stored in the OS keychain, never in files.' }),
    domain: z.string().min(1).optional().meta({ label: 'Windows domain', help: 'ntlm only.' }),
    encrypt: z.boolean().default(true).meta({ label: 'Encrypt', help: 'TLS on the connection (required by Azure SQL).', widget: 'boolean' }),
    trust_server_certificate: z.boolean().default(false).meta({ label: 'Trust the server certificate', help: 'Accept a self-signed certificate (local containers). Off: the certificate is checked.', widget: 'boolean' }),
    connect_timeout_s: z.int().positive().default(15).meta({ label: 'Connect timeout (s)' }),
    request_timeout_s: z.int().min(0).default(0).meta({ label: 'Statement timeout (s)', help: '0: statements may run as long as they need (bulk loads, large reads).' }),
  })
  .strict();

export type SqlServerConfig = z.infer<typeof sqlserverFields>;

/** mssql (tedious) options for a connection: one connection per pool, UTC for dates, no retries of statements. */
export function mssqlConfig(c: SqlServerConfig): MssqlConfig {
  return {
    server: c.host,
    port: c.instance && c.port === undefined ? undefined : (c.port ?? 1433),
    database: c.database,
    ...(c.auth === 'ntlm'
      ? { authentication: { type: 'ntlm', options: { userName: c.user, password: c.password ?? '', domain: c.domain ?? '' } } }
      : { user: c.user, password: c.password }),
    connectionTimeout: c.connect_timeout_s * 1000,
    requestTimeout: c.request_timeout_s * 1000,
    pool: { min: 0, max: 1 },
    options: {
      encrypt: c.encrypt,
      trustServerCertificate: c.trust_server_certificate,
      instanceName: c.instance,
      appName: 'caudal',
      useUTC: true,
      enableArithAbort: true,
    },
  };
}

export const sqlserverConnection = defineConnectionType({
  type: 'sqlserver',
  label: 'SQL Server',
  fields: sqlserverFields,
  secrets: ['password'],
  async test(config) {
    const { default: sql } = await import('mssql');
    const pool = new sql.ConnectionPool(mssqlConfig(config));
    pool.on('error', () => undefined);
    const t0 = performance.now();
    try {
      await pool.connect();
      const r = await pool.request().query<{ v: string; e: string }>("SELECT CAST(SERVERPROPERTY('ProductVersion') AS nvarchar(64)) AS v, CAST(SERVERPROPERTY('Edition') AS nvarchar(128)) AS e");
      const row = r.recordset[0];
      return { ok: true, serverVersion: `SQL Server ${row?.v ?? '?'} (${row?.e ?? '?'})`, latencyMs: Math.round(performance.now() - t0) };
    } catch (e) {
      throw redact(e, [config.password]);
    } finally {
      await pool.close().catch(() => undefined);
    }
  },
});
