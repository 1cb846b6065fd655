import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KafkaConsumerSession, type KafkaRecord } from '../core/src/connectors/kafka/consume.js';
import { tempDir } from './support/pipeline.js';
import { busConfig, busConnections, busPipeline, kafkaSandbox } from './support/kafka.js';

/**
 * Where source.kafka starts on partitions the group has no offset for, against the real broker.
 * *Start from* applies only to a topic the group has never read: a partition added to a topic the
 * group reads, and a topic a pattern matched after the group read others of the pattern, start at
 * their oldest message, so the messages written to them before the next run are read, not skipped.
 */
const root = await tempDir('caudal-kafka-r4-start-');
const { kafka, admin, producer, suffix, groups, topic } = await kafkaSandbox('caudal-kr4s');

type Row = Record<string, unknown>;
const control = { watch: false, stopping: () => false, isCancelled: () => false };

/** A group name for this file, deleted when it is done. */
function groupFor(name: string): string {
  const g = `caudal-kr4s-${name}-${suffix}`;
  groups.push(g);
  return g;
}

/** One plain run of source.kafka (declared columns) → sink.json, in-process; the rows it wrote. */
async function run(name: string, t: string, group: string, params: Record<string, unknown>): Promise<Row[]> {
  const dir = path.join(root, `${name}-${Math.random().toString(36).slice(2, 8)}`);
  await mkdir(dir, { recursive: true });
  const { runPipeline } = await import('../core/src/engine/engine.js');
  const pipeline = busPipeline(
    name,
    [
      { id: 'ev', type: 'source.kafka', params: { connection: 'bus', topics: [t], group_id: group, columns: [{ name: 'id', type: 'BIGINT' }], ...params } },
      { id: 'load', type: 'sink.json', params: { path: 'out.json', format: 'array' } },
    ],
    [['ev:out', 'load:in']],
  );
  const summary = await runPipeline({ pipeline: pipeline as never, baseDir: dir, connections: busConnections as never });
  expect(summary.status, summary.error?.message).toBe('succeeded');
  return readFile(path.join(dir, 'out.json'), 'utf8').then((x) => JSON.parse(x) as Row[], () => []);
}

/**
 * Sends with a new producer once every partition has a leader: the file's producer may not know
 * partitions added since it started, and an idempotent producer does not write a message twice when
 * it retries a send the new partitions' leaders were not ready for.
 */
async function sendFresh(t: string, messages: Array<{ partition: number; value: string }>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const meta = await admin.fetchTopicMetadata({ topics: [t] });
    if (meta.topics[0]!.partitions.every((p) => p.leader >= 0)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const p = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await p.connect();
  try {
    await p.send({ topic: t, messages });
  } finally {
    await p.disconnect();
  }
}

/** Everything a plain read of one session returns, the session's offsets committed and closed. */
async function readAll(spec: { topics: string[]; groupId: string; startFrom: 'earliest' | 'latest'; topicPattern?: string }): Promise<KafkaRecord[]> {
  const session = await KafkaConsumerSession.open(busConfig as never, { ...spec, maxRows: 1000, maxWaitMs: 200 });
  try {
    const batch = await session.read(control);
    await session.commit();
    return batch.records;
  } finally {
    await session.close();
  }
}

const values = (records: KafkaRecord[]) => records.map((r) => `${r.topic.split('-')[2]}:${String(r.value)}`).sort();

describe('source.kafka: partitions added to a topic the group reads', () => {
  it('start at their oldest message, not at start_from "latest": the first messages of the new partitions are read', async () => {
    const t = await topic('grow');
    const group = groupFor('grow');
    expect(await run('grow1', t, group, { start_from: 'latest' })).toEqual([]);
    await producer.send({ topic: t, messages: [{ value: JSON.stringify({ id: 1 }) }, { value: JSON.stringify({ id: 2 }) }] });
    expect((await run('grow2', t, group, { start_from: 'latest' })).map((r) => r.id)).toEqual([1, 2]);

    await admin.createPartitions({ topicPartitions: [{ topic: t, count: 4 }] });
    await sendFresh(t, [
      { partition: 1, value: JSON.stringify({ id: 10 }) },
      { partition: 2, value: JSON.stringify({ id: 20 }) },
      { partition: 2, value: JSON.stringify({ id: 21 }) },
      { partition: 0, value: JSON.stringify({ id: 30 }) },
    ]);
    const rows = await run('grow3', t, group, { start_from: 'latest' });
    expect(rows.map((r) => [r._partition, r.id]).sort((a, b) => Number(a[1]) - Number(b[1]))).toEqual([
      [1, 10],
      [2, 20],
      [2, 21],
      [0, 30],
    ]);
    // The group is at the end of every partition: nothing is read twice, nothing is left behind.
    const offsets = await admin.fetchOffsets({ groupId: group, topics: [t] });
    expect(offsets[0]!.partitions.sort((a, b) => a.partition - b.partition).map((p) => p.offset)).toEqual(['3', '1', '2', '0']);
    expect(await run('grow4', t, group, { start_from: 'latest' })).toEqual([]);
  }, 120_000);
});

describe('source.kafka: topics new to a group that reads others', () => {
  it('a topic a pattern matched after the group read other matching topics starts at its oldest message', async () => {
    const a = await topic('pa');
    const group = groupFor('pattern');
    const pattern = `caudal-kr4s-p.-${suffix}`;
    await producer.send({ topic: a, messages: [{ value: 'a-old' }] });
    expect(await readAll({ topics: [a], groupId: group, startFrom: 'latest', topicPattern: pattern })).toEqual([]);
    await producer.send({ topic: a, messages: [{ value: 'a1' }] });
    // Created after the group's first run, written to before the next: all of it is read.
    const b = await topic('pb');
    await producer.send({ topic: b, messages: [{ value: 'b1' }, { value: 'b2' }, { value: 'b3' }] });
    expect(values(await readAll({ topics: [a, b], groupId: group, startFrom: 'latest', topicPattern: pattern }))).toEqual(['pa:a1', 'pb:b1', 'pb:b2', 'pb:b3']);
    const stored = await admin.fetchOffsets({ groupId: group, topics: [b] });
    expect(stored[0]!.partitions[0]!.offset).toBe('3');
  }, 90_000);

  it('a pattern that matches topics for a group that has read none of them starts where start_from says', async () => {
    const c = await topic('pc');
    const group = groupFor('pattern-new');
    await producer.send({ topic: c, messages: [{ value: 'c-old' }] });
    expect(await readAll({ topics: [c], groupId: group, startFrom: 'latest', topicPattern: `caudal-kr4s-pc-${suffix}` })).toEqual([]);
    await producer.send({ topic: c, messages: [{ value: 'c1' }] });
    expect(values(await readAll({ topics: [c], groupId: group, startFrom: 'latest', topicPattern: `caudal-kr4s-pc-${suffix}` }))).toEqual(['pc:c1']);
  }, 90_000);

  it('a listed topic the group has never read starts where start_from says, also when the group reads other topics', async () => {
    const x = await topic('lx');
    const group = groupFor('listed');
    expect(await readAll({ topics: [x], groupId: group, startFrom: 'latest' })).toEqual([]);
    await producer.send({ topic: x, messages: [{ value: 'x1' }] });
    const y = await topic('ly');
    await producer.send({ topic: y, messages: [{ value: 'y-before' }] });
    expect(values(await readAll({ topics: [x, y], groupId: group, startFrom: 'latest' }))).toEqual(['lx:x1']);
    await producer.send({ topic: y, messages: [{ value: 'y1' }] });
    expect(values(await readAll({ topics: [x, y], groupId: group, startFrom: 'latest' }))).toEqual(['ly:y1']);
  }, 90_000);
});
