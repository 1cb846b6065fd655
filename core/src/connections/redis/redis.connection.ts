import { z } from 'zod';
import { defineConnectionType } from '../connection-type.js';
import { redact } from '../redact.js';

export const redisFields = z
  .object({
    host: z.string().min(1).default('localhost').meta({ label: 'Host' }),
    port: z.int().min(1).max(65535).default(6379).meta({ label: 'Port' }),
    database: z.int().min(0).default(0).meta({ label: 'Database number', help: 'SELECT index (0 unless the server is shared by several applications).' }),
    username: z.string().min(1).optional().meta({ label: 'User', help: 'An ACL user (Redis 6+). Empty: the default user.' }),
    password: z.string().optional().meta({ label: 'Password', widget: 'text', help: 'Stored in the OS keychain, never in files.' }),
    tls: z.enum(['disable', 'require', 'verify-full']).default('disable').meta({ label: 'TLS', help: 'require: encrypt without checking the certificate; verify-full: encrypt and check it.' }),
    connect_timeout_s: z.int().positive().default(10).meta({ label: 'Connect timeout (s)' }),
    command_timeout_s: z.int().positive().max(86_400).default(60).meta({
      label: 'Command timeout (s)',
      help: 'Seconds to wait for the answer to one command: a server that stops answering fails the run instead of holding it (and its locks). Every command the sink sends is short (batches of 1,000 keys).',
    }),
  })
  .strict();

export type RedisConfig = z.infer<typeof redisFields>;

/** node-redis client options for a connection (no reconnects: a lost connection fails the load). */
export function redisClientOptions(c: RedisConfig) {
  const common = { host: c.host, port: c.port, connectTimeout: c.connect_timeout_s * 1000, reconnectStrategy: false as const };
  return {
    socket: c.tls === 'disable' ? { ...common, tls: false as const } : { ...common, tls: true as const, rejectUnauthorized: c.tls === 'verify-full' },
    username: c.username,
    password: c.password,
    database: c.database,
    name: 'caudal',
  };
}

export const redisConnection = defineConnectionType({
  type: 'redis',
  label: 'Redis',
  fields: redisFields,
  secrets: ['password'],
  async test(config) {
    const { createClient } = await import('redis');
    const client = createClient(redisClientOptions(config));
    client.on('error', () => undefined);
    const t0 = performance.now();
    try {
      await client.connect();
      const info = String(await client.sendCommand(['INFO', 'server']));
      const version = /redis_version:([^\r\n]+)/.exec(info)?.[1] ?? '?';
      return { ok: true, serverVersion: `Redis ${version}`, latencyMs: Math.round(performance.now() - t0) };
    } catch (e) {
      throw redact(e, [config.password]);
    } finally {
      client.destroy();
    }
  },
});
