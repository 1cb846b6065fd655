import { z } from 'zod';
import { defineConnectionType } from '../connection-type.js';
import { redact } from '../redact.js';

export const kafkaFields = z
  .object({
    brokers: z.string().min(1).meta({ label: 'Brokers', help: 'host:port of one or more brokers, comma-separated (the client discovers the rest).', placeholder: 'kafka-1:9092,kafka-2:9092' }),
    client_id: z.string().min(1).default('caudal').meta({ label: 'Client id', help: 'How the brokers name this client in their logs and quotas.' }),
    ssl: z.boolean().default(false).meta({ label: 'TLS', help: 'Encrypt the connection (the brokers\' certificate is checked against the system\'s CAs).' }),
    sasl_mechanism: z.enum(['none', 'plain', 'scram-sha-256', 'scram-sha-512']).default('none').meta({ label: 'SASL', help: 'How to authenticate; none for an open cluster.' }),
    username: z.string().optional().meta({ label: 'User', help: 'SASL user name.' }),
    password: z.string().optional().meta({ label: 'Password', widget: 'text', help: 'SASL password. Stored in the OS keychain, never in files.' }),
    connect_timeout_s: z.int().positive().default(10).meta({ label: 'Connect timeout (s)' }),
  })
  .strict();

export type KafkaConfig = z.infer<typeof kafkaFields>;

export const kafkaConnection = defineConnectionType({
  type: 'kafka',
  label: 'Apache Kafka',
  fields: kafkaFields,
  secrets: ['password'],
  async test(config) {
    const { kafkaClient, missingPasswordOr } = await import('../../connectors/kafka/client.js');
    const admin = kafkaClient(config).admin();
    const t0 = performance.now();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      return { ok: true, serverVersion: `Kafka cluster ${cluster.clusterId} (${cluster.brokers.length} broker${cluster.brokers.length === 1 ? '' : 's'})`, latencyMs: Math.round(performance.now() - t0) };
    } catch (e) {
      // No password stored and the brokers refused the login: noSecretError (`connections test` names the connection).
      const missing = missingPasswordOr(e, config);
      if (missing !== e) throw missing;
      throw redact(e, [config.password]);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  },
});
