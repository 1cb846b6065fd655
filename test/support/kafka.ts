import { randomUUID } from 'node:crypto';
import { type Admin, Kafka, logLevel, type Producer } from 'kafkajs';
import { afterFile } from './cleanup.js';
import { connectTo, SERVICES } from './services.js';

/** The test broker as connection `bus`, resolved as the host would hand it to the engine. */
export const busConfig = { brokers: SERVICES.kafkaBrokers.join(','), client_id: 'caudal-test', ssl: false, sasl_mechanism: 'none', connect_timeout_s: 10 };
export const busConnections = { bus: { name: 'bus', type: 'kafka', config: busConfig } };

/** A pipeline document over connection `bus`, edges as [from, to] port pairs. */
export function busPipeline(name: string, nodes: Array<{ id: string; type: string; params: Record<string, unknown> }>, edges: Array<[string, string]>) {
  return { format: 'caudal.pipeline/1', name, params: {}, connections: { bus: { type: 'kafka' } }, nodes, edges: edges.map(([from, to]) => ({ from, to })) };
}

/**
 * The values of every message of `topic` a new consumer group sees within `timeoutMs` (kafkajs reads
 * committed messages only: what readers of a transactional producer's topic see).
 */
export async function readCommitted(kafka: Kafka, topic: string, timeoutMs = 4000): Promise<string[]> {
  const consumer = kafka.consumer({ groupId: `verify-${randomUUID()}` });
  const seen: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void seen.push(String(message.value)) });
  await new Promise((r) => setTimeout(r, timeoutMs));
  await consumer.disconnect();
  return seen;
}

/**
 * A client of the test broker for one test file, its admin and producer connected, and topics named
 * `<prefix>-<name>-<suffix>` (suffix unique to the file). Topics made by `topic()` and the consumer
 * groups listed in `groups` are deleted when the file is done.
 */
export async function kafkaSandbox(prefix: string): Promise<{
  kafka: Kafka;
  admin: Admin;
  producer: Producer;
  suffix: string;
  groups: string[];
  topic(name: string, partitions?: number): Promise<string>;
}> {
  const kafka = new Kafka({ clientId: `${prefix}-test`, brokers: [...SERVICES.kafkaBrokers], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await connectTo('kafka', SERVICES.kafkaBrokers.join(','), () => admin.connect());
  const producer = kafka.producer();
  await producer.connect();
  const suffix = randomUUID().slice(0, 8);
  const topics: string[] = [];
  const groups: string[] = [];
  afterFile(async () => {
    await producer.disconnect();
    await admin.deleteTopics({ topics }).catch(() => undefined);
    if (groups.length > 0) await admin.deleteGroups(groups).catch(() => undefined);
    await admin.disconnect();
  });
  return {
    kafka,
    admin,
    producer,
    suffix,
    groups,
    async topic(name, partitions = 1) {
      const t = `${prefix}-${name}-${suffix}`;
      await admin.createTopics({ topics: [{ topic: t, numPartitions: partitions }], waitForLeaders: true });
      topics.push(t);
      return t;
    },
  };
}
