import { z } from 'zod';
import { defineConnectionType } from '../connection-type.js';
import { redact } from '../redact.js';
import { noSecretError } from '../../secrets/resolve.js';
import { errorMessage } from '../../util/errors.js';

export const postgresFields = z
  .object({
    host: z.string().min(1).default('localhost').meta({ label: 'Host' }),
    port: z.int().min(1).max(65535).default(5432).meta({ label: 'Port' }),
    database: z.string().min(1).meta({ label: 'Database' }),
    user: z.string().min(1).meta({ label: 'User' }),
    password: z.string().optional().meta({ label: 'Password', widget: 'text', help: 'Stored in the OS keychain, never in files.' }),
    ssl: z.enum(['disable', 'require', 'verify-full']).default('disable').meta({ label: 'TLS', help: 'require: encrypt without checking the certificate; verify-full: encrypt and check it.' }),
    connect_timeout_s: z.int().positive().default(10).meta({ label: 'Connect timeout (s)' }),
    commit_timeout_s: z
      .int()
      .positive()
      .default(120)
      .meta({ label: 'Commit timeout (s)', help: "How long a load's PREPARE TRANSACTION or COMMIT may go unanswered before the server is taken as lost (frozen, paused); the outcome is then asked from a new session." }),
  })
  .strict();

export type PostgresConfig = z.infer<typeof postgresFields>;

/** node-postgres client options for a connection. */
export function pgClientConfig(c: PostgresConfig) {
  return {
    host: c.host,
    port: c.port,
    database: c.database,
    user: c.user,
    password: c.password,
    ssl: c.ssl === 'disable' ? false : { rejectUnauthorized: c.ssl === 'verify-full' },
    connectionTimeoutMillis: c.connect_timeout_s * 1000,
    application_name: 'caudal',
    // A server that vanished without closing the connection (host down, a network cut) would leave a
    // COMMIT or PREPARE, which cannot be cancelled, waiting for ever: TCP keepalive ends it.
    keepAlive: true,
    keepAliveInitialDelayMillis: 30_000,
  };
}

export const postgresConnection = defineConnectionType({
  type: 'postgres',
  label: 'PostgreSQL',
  fields: postgresFields,
  secrets: ['password'],
  async test(config) {
    const { default: pg } = await import('pg');
    const client = new pg.Client(pgClientConfig(config));
    const t0 = performance.now();
    try {
      await client.connect();
      const { rows } = await client.query<{ v: string }>("SELECT current_setting('server_version') AS v");
      return { ok: true, serverVersion: `PostgreSQL ${rows[0]?.v ?? '?'}`, latencyMs: Math.round(performance.now() - t0) };
    } catch (e) {
      if (config.password === undefined && isPasswordRequest(e)) throw noSecretError('password');
      throw redact(e, [config.password]);
    } finally {
      await client.end().catch(() => undefined);
    }
  },
});

/** The server wanted a password: the driver's complaint that it has none, or a failed password check. */
export function isPasswordRequest(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  return code === '28P01' || /password must be a string|no password (was )?(supplied|provided)/i.test(errorMessage(e));
}
