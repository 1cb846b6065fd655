import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { KafkaConsumerSession } from '../core/src/connectors/kafka/consume.js';
import { busConfig, kafkaSandbox } from './support/kafka.js';

/**
 * Messages the topic's retention deleted before the group read them, against the real broker
 * (deleteTopicRecords moves the log start as retention does): the session goes on at the oldest message
 * kept, and warns once, naming the topic, the partition and the offsets lost.
 */
const { admin, producer, suffix, groups, topic } = await kafkaSandbox('caudal-kr4r');

const send = (t: string, from: number, n: number) => producer.send({ topic: t, messages: Array.from({ length: n }, (_, i) => ({ value: String(from + i) })) });

/** Deletes partition 0's messages before `offset`, as retention would (the admin's metadata refreshed first: it must know the partition's leader). */
async function deleteBefore(t: string, offset: number): Promise<void> {
  await admin.fetchTopicMetadata({ topics: [t] });
  await admin.deleteTopicRecords({ topic: t, partitions: [{ partition: 0, offset: String(offset) }] });
}

function groupFor(name: string): string {
  const g = `caudal-kr4r-${name}-${suffix}`;
  groups.push(g);
  return g;
}

describe('source.kafka: messages deleted by retention before the group read them', () => {
  it('a run reads on from the oldest message kept and warns naming topic, partition and the offsets lost, once', async () => {
    const t = await topic('gap');
    const group = groupFor('gap');
    await send(t, 0, 10);
    const first = await KafkaConsumerSession.open(busConfig as never, { topics: [t], groupId: group, startFrom: 'earliest', maxRows: 1000, maxWaitMs: 200 });
    try {
      expect((await first.read({ watch: false, stopping: () => false, isCancelled: () => false })).records).toHaveLength(10);
      await first.commit();
    } finally {
      await first.close();
    }
    await send(t, 10, 20);
    await deleteBefore(t, 25);

    const warnings: string[] = [];
    const control = { watch: false, stopping: () => false, isCancelled: () => false, warn: (m: string) => void warnings.push(m) };
    const session = await KafkaConsumerSession.open(busConfig as never, { topics: [t], groupId: group, startFrom: 'earliest', maxRows: 1000, maxWaitMs: 200 });
    try {
      const batch = await session.read(control);
      expect(batch.records.map((r) => Number(r.offset))).toEqual([25, 26, 27, 28, 29]);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(`Kafka topic '${t}' partition 0: 15 messages at offsets 10–24 were deleted by the topic's retention`);
      expect(warnings[0]).toContain(`consumer group '${group}'`);
      expect(warnings[0]).toContain('reading goes on at offset 25');
      expect(batch.warnings).toEqual(warnings);
      await session.commit();
      expect((await session.read(control)).records).toEqual([]);
      expect(warnings).toHaveLength(1);
    } finally {
      await session.close();
    }
  }, 90_000);

  it('a group whose committed offset is still kept gets no warning', async () => {
    const t = await topic('kept');
    const group = groupFor('kept');
    await send(t, 0, 10);
    await deleteBefore(t, 4);
    const warnings: string[] = [];
    const control = { watch: false, stopping: () => false, isCancelled: () => false, warn: (m: string) => void warnings.push(m) };
    // A new group starting at "earliest" starts at the oldest message kept: nothing it should have read is gone.
    const session = await KafkaConsumerSession.open(busConfig as never, { topics: [t], groupId: group, startFrom: 'earliest', maxRows: 1000, maxWaitMs: 200 });
    try {
      expect((await session.read(control)).records.map((r) => Number(r.offset))).toEqual([4, 5, 6, 7, 8, 9]);
      await session.commit();
    } finally {
      await session.close();
    }
    expect(warnings).toEqual([]);
  }, 60_000);

  it('a watch that fell behind the retention while its fetching was paused warns naming the offsets it will never read', async () => {
    const t = await topic('watch');
    const group = groupFor('watch');
    await send(t, 0, 100);
    const warnings: string[] = [];
    const control = { watch: true, stopping: () => false, isCancelled: () => false, warn: (m: string) => void warnings.push(m) };
    // Ten messages a batch: fetching pauses once twenty are buffered, as while a long batch runs.
    const session = await KafkaConsumerSession.open(busConfig as never, { topics: [t], groupId: group, startFrom: 'earliest', maxRows: 10, maxWaitMs: 0 });
    const seen: number[] = [];
    try {
      const first = await session.read(control);
      seen.push(...first.records.map((r) => Number(r.offset)));
      await session.commit();
      // What kafkajs had fetched when it paused: the messages from there on are not buffered.
      await sleep(500);
      await send(t, 100, 100);
      await deleteBefore(t, 150);
      for (let i = 0; i < 40 && !seen.includes(199); i++) {
        const batch = await session.read(control);
        seen.push(...batch.records.map((r) => Number(r.offset)));
        await session.commit();
      }
    } finally {
      await session.close();
    }
    expect(warnings).toHaveLength(1);
    const m = /partition 0: (\d+) messages at offsets (\d+)–149 were deleted/.exec(warnings[0] ?? '');
    expect(m, warnings[0]).not.toBeNull();
    const lostFrom = Number(m![2]);
    // Every message is read or told lost, each once.
    expect(seen).toEqual([...Array.from({ length: lostFrom }, (_, i) => i), ...Array.from({ length: 50 }, (_, i) => 150 + i)]);
    expect(Number(m![1])).toBe(150 - lostFrom);
  }, 90_000);

  it('a partition kafkajs left at its "earliest" mark (-2, committed when it found its position deleted) is read from its oldest message, not from start_from', async () => {
    const t = await topic('mark');
    const group = groupFor('mark');
    await send(t, 0, 10);
    // What kafkajs commits for the group by itself on an out-of-range position (its default offset).
    await admin.setOffsets({ groupId: group, topic: t, partitions: [{ partition: 0, offset: '-2' }] });
    expect((await admin.fetchOffsets({ groupId: group, topics: [t] }))[0]!.partitions[0]!.offset).toBe('-2');
    await deleteBefore(t, 4);
    const session = await KafkaConsumerSession.open(busConfig as never, { topics: [t], groupId: group, startFrom: 'latest', maxRows: 1000, maxWaitMs: 200 });
    try {
      expect((await session.read({ watch: false, stopping: () => false, isCancelled: () => false })).records.map((r) => Number(r.offset))).toEqual([4, 5, 6, 7, 8, 9]);
      await session.commit();
    } finally {
      await session.close();
    }
    expect((await admin.fetchOffsets({ groupId: group, topics: [t] }))[0]!.partitions[0]!.offset).toBe('10');
  }, 60_000);
});
