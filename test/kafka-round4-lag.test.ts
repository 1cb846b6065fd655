import { describe, expect, it } from 'vitest';
import { KafkaConsumerSession } from '../core/src/connectors/kafka/consume.js';
import { busConfig, kafkaSandbox } from './support/kafka.js';

/**
 * The lag a batch reports, against the real broker: the messages behind the batch in every
 * partition the member reads, counted against the ends the brokers report, also in partitions
 * whose messages were not fetched yet (fetching pauses once twice a batch is buffered).
 */
const { producer, suffix, groups, topic } = await kafkaSandbox('caudal-kr4l');

const PARTITIONS = 3;
const PER_PARTITION = 2000;

async function fill(t: string): Promise<void> {
  for (let p = 0; p < PARTITIONS; p++) {
    await producer.send({ topic: t, messages: Array.from({ length: PER_PARTITION }, (_, i) => ({ partition: p, value: `${p}-${i}` })) });
  }
}

describe('source.kafka lag', () => {
  for (const watch of [false, true]) {
    it(`${watch ? 'a --watch batch' : 'a plain run'} reports every message behind it, over every partition: 3 × 2000 messages, 100 a batch`, async () => {
      const t = await topic(`lag-${String(watch)}`, PARTITIONS);
      await fill(t);
      const group = `caudal-kr4l-${String(watch)}-${suffix}`;
      groups.push(group);
      const session = await KafkaConsumerSession.open(busConfig as never, { topics: [t], groupId: group, startFrom: 'earliest', maxRows: 100, maxWaitMs: 200 });
      const control = { watch, stopping: () => false, isCancelled: () => false };
      const total = PARTITIONS * PER_PARTITION;
      let read = 0;
      try {
        for (let i = 0; i < 5; i++) {
          const batch = await session.read(control);
          read += batch.records.length;
          expect(batch.records).toHaveLength(100);
          expect(batch.lag).toBe(total - read);
          await session.commit();
        }
      } finally {
        await session.close();
      }
    }, 90_000);
  }

  it('every partition with messages buffered has an equal share of each batch: one partition\'s burst does not hold the others back', async () => {
    const t = await topic('fair', PARTITIONS);
    await fill(t);
    const group = `caudal-kr4l-fair-${suffix}`;
    groups.push(group);
    const session = await KafkaConsumerSession.open(busConfig as never, { topics: [t], groupId: group, startFrom: 'earliest', maxRows: 99, maxWaitMs: 200 });
    const control = { watch: false, stopping: () => false, isCancelled: () => false };
    const next = new Map<number, number>();
    try {
      for (let i = 0; i < 10; i++) {
        const batch = await session.read(control);
        const per = [0, 1, 2].map((p) => batch.records.filter((r) => r.partition === p));
        expect(batch.records).toHaveLength(99);
        // The first batch may close before kafkajs handed over the other partitions' fetches.
        if (i > 0) expect(per.map((x) => x.length), `batch ${i}`).toEqual([33, 33, 33]);
        // Within each partition: in order, and on from where the last batch stopped.
        for (const [p, records] of per.entries()) {
          expect(records.map((r) => Number(r.offset))).toEqual(Array.from({ length: records.length }, (_, j) => (next.get(p) ?? 0) + j));
          next.set(p, (next.get(p) ?? 0) + records.length);
        }
        await session.commit();
      }
    } finally {
      await session.close();
    }
  }, 90_000);
});
