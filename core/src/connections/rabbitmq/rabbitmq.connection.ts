import { z } from 'zod';
import { defineConnectionType } from '../connection-type.js';
import { redact } from '../redact.js';

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

export const rabbitmqConnection = defineConnectionType({
  type: 'rabbitmq',
  label: 'RabbitMQ',
  fields: rabbitmqFields,
  secrets: ['password'],
  async test(config) {
    const { default: amqp } = await import('amqplib');
    const t0 = performance.now();
    try {
      const conn = await amqp.connect(amqpOptions(config));
      const props = conn.connection.serverProperties;
      await conn.close();
      return { ok: true, serverVersion: `${props.product ?? 'AMQP server'} ${props.version ?? ''}`.trim(), latencyMs: Math.round(performance.now() - t0) };
    } catch (e) {
      throw redact(e, [config.password]);
    }
  },
});
