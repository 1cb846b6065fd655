import { z } from 'zod';
import { defineConnectionType } from '../connection-type.js';
import { redact } from '../redact.js';
import { missingSecretField, noSecretError } from '../../secrets/resolve.js';

export const rabbitmqFields = z
  .object({
    host: z.string().min(1).default('localhost').meta({ label: 'Host' }),
    port: z.int().min(1).max(65535).default(5672).meta({ label: 'Port', help: '5672, or 5671 with TLS.' }),
    vhost: z.string().default('/').meta({ label: 'Virtual host' }),
    user: z.string().min(1).default('guest').meta({ label: 'User' }),
    password: z.string().optional().meta({ label: 'Password', widget: 'text', help: 'Stored in the OS keychain, never in files.' }),
    tls: z.boolean().default(false).meta({ label: 'TLS', help: 'amqps: encrypt the connection (the server certificate is checked).' }),
    heartbeat_s: z.int().nonnegative().default(30).meta({ label: 'Heartbeat (s)' }),
  })
  .strict();

export type RabbitmqConfig = z.infer<typeof rabbitmqFields>;

/** amqplib connection options (an object, so the password never sits in a URL that could be logged). */
export function amqpOptions(c: RabbitmqConfig) {
  return { protocol: c.tls ? 'amqps' : 'amqp', hostname: c.host, port: c.port, vhost: c.vhost, username: c.user, password: c.password ?? '', heartbeat: c.heartbeat_s };
}

/** The broker refused the login (a wrong user or password: AMQP does not say which). */
export function isLoginRefused(e: unknown): boolean {
  const m = e instanceof Error ? e.message : String(e);
  return /ACCESS.REFUSED/.test(m) && /Login was refused|Handshake terminated/.test(m);
}

/**
 * An amqplib connection for a connection's config. No password stored and the login refused: the
 * broker asks for the password the connection does not have, and the error says so
 * (noSecretError: the node, or `connections test`, names the connection and how to provide it),
 * not only the broker's "403 (ACCESS-REFUSED)".
 */
export async function amqpConnect(c: RabbitmqConfig) {
  const { default: amqp } = await import('amqplib');
  try {
    return await amqp.connect(amqpOptions(c));
  } catch (e) {
    if (c.password === undefined && isLoginRefused(e)) throw noSecretError('password');
    throw e;
  }
}

export const rabbitmqConnection = defineConnectionType({
  type: 'rabbitmq',
  label: 'RabbitMQ',
  fields: rabbitmqFields,
  secrets: ['password'],
  async test(config) {
    const t0 = performance.now();
    try {
      const conn = await amqpConnect(config);
      const props = conn.connection.serverProperties;
      await conn.close();
      return { ok: true, serverVersion: `${props.product ?? 'AMQP server'} ${props.version ?? ''}`.trim(), latencyMs: Math.round(performance.now() - t0) };
    } catch (e) {
      if (missingSecretField(e)) throw e;
      throw redact(e, [config.password]);
    }
  },
});
