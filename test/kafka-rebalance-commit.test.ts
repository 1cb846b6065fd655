import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { KafkaConsumerSession } from '../core/src/connectors/kafka/consume.js';
import { kafkaSandbox } from './support/kafka.js';
import { SERVICES } from './support/services.js';

/**
 * A consumer group member's offset commits while the group rebalances around it: another member
 * (whose id sorts first, so the round-robin assignment gives it the only partition) joins and leaves
 * again, several times, while this member commits batch after batch. Every commit must go through
 * (the batches are in the destinations), and once the other member has left, reading goes on where
 * the last batch ended, with nothing read twice.
 */
const { kafka, producer, suffix, groups, topic } = await kafkaSandbox('caudal-krc');
const config = { brokers: SERVICES.kafkaBrokers.join(','), client_id: 'zz-caudal-member', ssl: false, sasl_mechanism: 'none' as const, connect_timeout_s: 10 };

describe('Kafka offset commits during a rebalance', () => {
  it('commits every batch while another member joins and leaves, and reads on without a replay', async () => {
    const t = await topic('commits');
    const group = `caudal-krc-g-${suffix}`;
    groups.push(group);
    await producer.send({ topic: t, messages: Array.from({ length: 20_000 }, (_, i) => ({ value: String(i) })) });
    const session = await KafkaConsumerSession.open(config as never, { topics: [t], groupId: group, startFrom: 'earliest', maxRows: 1, maxWaitMs: 0 });
    const seen: number[] = [];
    const failures: string[] = [];
    let stop = false;
    const control = { watch: true, stopping: () => stop, isCancelled: () => false };
    // This member: one message per batch, committed at once, as fast as the broker allows.
    const committing = (async () => {
      while (!stop) {
        const records = await session.read(control).then((b) => b.records, () => []);
        if (stop) return;
        try {
          await session.commit();
          seen.push(...records.map((r) => Number(r.offset)));
        } catch (e) {
          failures.push((e as Error).message);
          return;
        }
      }
    })();
    try {
      while (seen.length < 5) await sleep(50);
      for (let round = 0; round < 3 && failures.length === 0; round++) {
        const joiner = kafka.consumer({ groupId: group, sessionTimeout: 10_000, heartbeatInterval: 500 });
        await joiner.connect();
        await joiner.subscribe({ topics: [t], fromBeginning: true });
        await joiner.run({ autoCommit: false, eachBatch: async () => undefined });
        await sleep(1_000);
        await joiner.disconnect();
        await sleep(1_500);
      }
      const before = seen.length;
      const end = Date.now() + 30_000;
      while (failures.length === 0 && seen.length < before + 20 && Date.now() < end) await sleep(50);
    } finally {
      stop = true;
      await committing;
      await session.close();
    }
    expect(failures).toEqual([]);
    // Offsets read: consecutive from 0, none twice (a batch committed while the partition was away is not read again).
    expect(seen.length).toBeGreaterThan(25);
    expect(seen).toEqual(Array.from({ length: seen.length }, (_, i) => i));
  }, 120_000);
});
