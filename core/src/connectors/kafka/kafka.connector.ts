import { kafkaConnection } from '../../connections/kafka/kafka.connection.js';
import type { Connector } from '../connector.js';
import { kafkaClient } from './client.js';

/**
 * Apache Kafka: the connection type plus topic discovery for the studio's pickers. Reading and
 * writing are streaming: source.kafka (consume.ts) and sink.kafka (produce.ts) use this folder's
 * modules directly.
 */
export const kafkaConnector = {
  ...kafkaConnection,
  capabilities: { pushdown: false, upsert: false, incremental: true, transactional: true },
  async discover(config) {
    const admin = kafkaClient(config).admin();
    await admin.connect();
    try {
      const topics = (await admin.listTopics()).filter((t) => !t.startsWith('__')).sort();
      return topics.map((name) => ({ schema: '', name, kind: 'table' as const }));
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  },
} satisfies Connector<typeof kafkaConnection.fields>;
