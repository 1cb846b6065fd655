import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { transactionalIdOf } from '../core/src/nodes/sink.kafka/sink.kafka.node.js';
import { tempDir } from './support/pipeline.js';
import { busConnections, busPipeline, kafkaSandbox } from './support/kafka.js';

/**
 * Kafka topics and transactions against the real broker, through the engine API: two copies of a
 * pipeline with the same name (other folders) write side by side without fencing each other's
 * transaction, and a topic written by a transactional producer (its last record a commit marker)
 * is read to its end: the group's offset reaches the topic's end and a run with nothing new does not
 * wait for a message that never comes.
 */
const root = await tempDir('caudal-kafka-txn-');
const { kafka, admin, suffix, groups, topic } = await kafkaSandbox('caudal-ktx');
const connections = busConnections;

type Row = Record<string, unknown>;

const doc = busPipeline;

async function runIn(dir: string, pipeline: object) {
  await mkdir(dir, { recursive: true });
  const { runPipeline } = await import('../core/src/engine/engine.js');
  const t0 = Date.now();
  const summary = await runPipeline({ pipeline: pipeline as never, baseDir: dir, connections: connections as never });
  const ms = Date.now() - t0;
  const rows = await readFile(path.join(dir, 'out.json'), 'utf8').then((x) => JSON.parse(x) as Row[], () => undefined);
  return { summary, rows, ms };
}

/** The group's committed offset and the topic's end, per partition. */
async function offsets(group: string, t: string) {
  const [committed] = await admin.fetchOffsets({ groupId: group, topics: [t] });
  const ends = await admin.fetchTopicOffsets(t);
  return {
    committed: committed!.partitions.sort((a, b) => a.partition - b.partition).map((p) => p.offset),
    ends: ends.sort((a, b) => a.partition - b.partition).map((p) => p.high),
  };
}

describe('sink.kafka transactional id', () => {
  it('two copies of a pipeline with the same name in other folders write at the same time without fencing each other', async () => {
    const [ta, tb] = [await topic('copy-a'), await topic('copy-b')];
    const rows = 60_000;
    const pipeline = (t: string) =>
      doc(
        'orders-export',
        [
          { id: 'src', type: 'transform.sql', params: { query: `SELECT i AS id, repeat('x', 200) AS pad FROM range(${rows}) t(i)` } },
          { id: 'pub', type: 'sink.kafka', params: { connection: 'bus', topic: t, batch_size: 200 } },
        ],
        [['src:out', 'pub:in']],
      );
    // The same pipeline name and node id, in two project folders: before, both producers were
    // 'caudal.orders-export.pub' and the second one's start fenced the first run's transaction.
    const [a, b] = await Promise.all([runIn(path.join(root, 'copy-a', 'project'), pipeline(ta)), runIn(path.join(root, 'copy-b', 'project'), pipeline(tb))]);
    expect(a.summary.status, a.summary.error?.message).toBe('succeeded');
    expect(b.summary.status, b.summary.error?.message).toBe('succeeded');
    for (const t of [ta, tb]) expect(Number((await admin.fetchTopicOffsets(t))[0]!.high)).toBeGreaterThanOrEqual(rows);
  }, 180_000);

  it('is the same for every run of one copy (fencing a killed run of it) and differs between state folders', () => {
    const one = transactionalIdOf('orders-export', 'pub', '/projects/a/.caudal/state/orders-export');
    expect(one).toMatch(/^caudal\.orders-export\.pub\.[0-9a-f]{12}$/);
    expect(transactionalIdOf('orders-export', 'pub', '/projects/a/.caudal/state/orders-export')).toBe(one);
    expect(transactionalIdOf('orders-export', 'pub', '/projects/b/.caudal/state/orders-export')).not.toBe(one);
  });
});

describe('source.kafka on a topic written by a transactional producer', () => {
  it('commits the end of the topic (past the commit marker): a second run reads nothing at once, and a preview does not wait', async () => {
    const t = await topic('txn-src', 2);
    const producer = kafka.producer({ transactionalId: `caudal-ktx-writer-${suffix}`, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      const txn = await producer.transaction();
      await txn.send({ topic: t, messages: [0, 1, 2, 3, 4, 5].map((i) => ({ key: String(i), value: JSON.stringify({ id: i }), partition: i % 2 })) });
      await txn.commit();
    } finally {
      await producer.disconnect();
    }
    const group = `caudal-ktx-src-${suffix}`;
    groups.push(group);
    const pipeline = doc(
      'txn-src',
      [
        { id: 'ev', type: 'source.kafka', params: { connection: 'bus', topics: [t], group_id: group, columns: [{ name: 'id', type: 'BIGINT' }], max_wait_ms: 200 } },
        { id: 'load', type: 'sink.json', params: { path: 'out.json', format: 'array' } },
      ],
      [['ev:out', 'load:in']],
    );
    const first = await runIn(path.join(root, 'txn-src-1'), pipeline);
    expect(first.summary.status, first.summary.error?.message).toBe('succeeded');
    expect(first.rows?.map((r) => Number(r.id)).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    // Each partition ends with the transaction's commit marker: the group is at the end, not one before it.
    const after = await offsets(group, t);
    expect(after.ends).toEqual(['4', '4']);
    expect(after.committed).toEqual(after.ends);

    const second = await runIn(path.join(root, 'txn-src-2'), pipeline);
    expect(second.summary.status, second.summary.error?.message).toBe('succeeded');
    expect(second.rows ?? []).toEqual([]);
    // Before, every run waited the 5 s idle give-up for the offset of the marker.
    expect(second.ms).toBeLessThan(3_000);
    expect((await offsets(group, t)).committed).toEqual(['4', '4']);

    const dir = path.join(root, 'txn-src-preview');
    await mkdir(dir, { recursive: true });
    const { previewPipeline } = await import('../core/src/engine/engine.js');
    const t0 = Date.now();
    const preview = (await previewPipeline({ pipeline: pipeline as never, baseDir: dir, nodeId: 'ev', connections: connections as never } as never)) as { rows?: Row[] };
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect(preview.rows?.map((r) => Number(r.id)).sort()).toEqual([0, 1, 2, 3, 4, 5]);
  }, 120_000);

  it('a group committed at a commit marker (by an earlier version) moves past it without waiting', async () => {
    const t = await topic('txn-old');
    const producer = kafka.producer({ transactionalId: `caudal-ktx-old-${suffix}`, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      const txn = await producer.transaction();
      await txn.send({ topic: t, messages: [{ value: JSON.stringify({ id: 1 }) }, { value: JSON.stringify({ id: 2 }) }] });
      await txn.commit();
    } finally {
      await producer.disconnect();
    }
    const group = `caudal-ktx-old-${suffix}`;
    groups.push(group);
    // Where the old code left the group: after the last message, at the marker.
    await admin.setOffsets({ groupId: group, topic: t, partitions: [{ partition: 0, offset: '2' }] });
    const pipeline = doc(
      'txn-old',
      [
        { id: 'ev', type: 'source.kafka', params: { connection: 'bus', topics: [t], group_id: group, columns: [{ name: 'id', type: 'BIGINT' }], max_wait_ms: 200 } },
        { id: 'load', type: 'sink.json', params: { path: 'out.json', format: 'array' } },
      ],
      [['ev:out', 'load:in']],
    );
    const run = await runIn(path.join(root, 'txn-old'), pipeline);
    expect(run.summary.status, run.summary.error?.message).toBe('succeeded');
    expect(run.rows ?? []).toEqual([]);
    expect(run.ms).toBeLessThan(3_000);
    expect((await offsets(group, t)).committed).toEqual(['3']);
  }, 120_000);
});
