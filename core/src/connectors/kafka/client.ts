import { createRequire } from 'node:module';
import type * as KafkaJs from 'kafkajs';
import type { Kafka, SASLOptions } from 'kafkajs';
import type { KafkaConfig } from '../../connections/kafka/kafka.connection.js';

// kafkajs is CommonJS; require() keeps it out of the way until a Kafka node runs.
export const loadKafkaJs = () => createRequire(import.meta.url)('kafkajs') as typeof KafkaJs;

/** A kafkajs client for a connection: brokers, TLS, SASL; its own logs off (errors reach us). */
export function kafkaClient(config: KafkaConfig): Kafka {
  const { Kafka, logLevel } = loadKafkaJs();
  const sasl: SASLOptions | undefined =
    config.sasl_mechanism === 'none'
      ? undefined
      : ({ mechanism: config.sasl_mechanism, username: config.username ?? '', password: config.password ?? '' } as SASLOptions);
  return new Kafka({
    clientId: config.client_id,
    brokers: config.brokers.split(',').map((b) => b.trim()).filter(Boolean),
    ssl: config.ssl,
    sasl,
    connectionTimeout: config.connect_timeout_s * 1000,
    logLevel: logLevel.NOTHING,
    retry: { retries: 5, initialRetryTime: 200 },
  });
}

/** The topics whose whole name matches `pattern` (a JavaScript regular expression), internal ones left out. */
export async function topicsMatching(config: KafkaConfig, pattern: string): Promise<string[]> {
  const re = new RegExp(`^(?:${pattern})$`);
  const admin = kafkaClient(config).admin();
  await admin.connect();
  try {
    return (await admin.listTopics()).filter((t) => !t.startsWith('__') && re.test(t)).sort();
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
