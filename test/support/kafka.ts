import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';

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
