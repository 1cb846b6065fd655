import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { stageKafkaWrite } from '../core/src/connectors/kafka/produce.js';
import type { HookIo } from '../core/src/nodes/define.js';
import { tempDir } from './support/pipeline.js';
import { busConfig, busConnections, busPipeline, kafkaSandbox, readCommitted } from './support/kafka.js';

/**
 * sink.kafka and compacted topics (cleanup.policy=compact), against the real broker: such a topic
 * keeps the last message of each key, and its brokers refuse a message without a key. Before, a row
 * with a NULL key failed the run with kafkajs' "This record has failed the validation on broker and
 * hence be rejected", naming neither the rows nor the reason. Now the sink reads the topic's
 * cleanup.policy when the run starts and refuses, before sending anything, naming the node, the
 * topic, the key column and how many rows (and which first) have a NULL key; when the policy could
 * not be read (or changed during the run), the brokers' refusal is translated so.
 */
const root = await tempDir('caudal-streams-round4-kafka-');
const { kafka, admin, suffix } = await kafkaSandbox('caudal-r4c');

async function compactedTopic(name: string, policy = 'compact'): Promise<string> {
  const t = `caudal-r4c-${name}-${suffix}`;
  await admin.createTopics({ topics: [{ topic: t, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: policy }] }], waitForLeaders: true });
  return t;
}
const dropTopic = (t: string) => admin.deleteTopics({ topics: [t] }).catch(() => undefined);
const endOffset = async (t: string) => Number((await admin.fetchTopicOffsets(t))[0]!.high);

async function run(name: string, sql: string, sinkParams: object) {
  const dir = path.join(root, name);
  await mkdir(dir, { recursive: true });
  const { runPipeline } = await import('../core/src/engine/engine.js');
  return runPipeline({
    pipeline: busPipeline(name, [{ id: 'src', type: 'transform.sql', params: { query: sql } }, { id: 'pub', type: 'sink.kafka', params: { connection: 'bus', ...sinkParams } }], [['src:out', 'pub:in']]) as never,
    baseDir: dir,
    connections: busConnections as never,
  });
}

const FIVE_ROWS = `SELECT i AS n, CASE WHEN i IN (2, 4) THEN NULL ELSE 'k' || i END AS id FROM range(1, 6) t(i) ORDER BY i`;

describe('sink.kafka to a compacted topic', () => {
  it('refuses rows with a NULL key before publishing anything, naming the node, topic, key column, how many rows and the first', async () => {
    const t = await compactedTopic('nullkey');
    try {
      const summary = await run('nullkey', FIVE_ROWS, { topic: t, key_column: 'id' });
      expect(summary.status).toBe('failed');
      const message = summary.error?.message ?? '';
      expect(message).toContain(`node 'pub' (connection 'bus'): topic '${t}' is compacted (cleanup.policy=compact), and a compacted topic needs every message to have a key`);
      expect(message).toContain("2 of the 5 input rows have a NULL key (column 'id'), the first is row 2");
      expect(message).toContain('nothing was published');
      expect(message).not.toMatch(/failed the validation on broker/);
      expect(summary.error?.hint).toMatch(/filter out the rows whose 'id' is NULL .* or fill them/);
      // Refused before producing: not even an aborted transaction's records reached the topic.
      expect(await endOffset(t)).toBe(0);
    } finally {
      await dropTopic(t);
    }
  }, 120_000);

  it('without a Key column, says that no message has a key and to set one', async () => {
    const t = await compactedTopic('nokey', 'compact,delete');
    try {
      const summary = await run('nokey', `SELECT i AS n FROM range(3) t(i)`, { topic: t });
      expect(summary.status).toBe('failed');
      expect(summary.error?.message).toContain(`topic '${t}' is compacted (cleanup.policy=compact), and a compacted topic needs every message to have a key: the node has no Key column, so no message has a key; nothing was published`);
      expect(summary.error?.hint).toMatch(/set the Key column/);
      expect(await endOffset(t)).toBe(0);
    } finally {
      await dropTopic(t);
    }
  }, 120_000);

  it('publishes when every row has a key (a NULL value is a tombstone, which a compacted topic takes)', async () => {
    const t = await compactedTopic('keyed');
    try {
      const summary = await run('keyed', `SELECT 'k' || i AS id, CASE WHEN i = 2 THEN NULL ELSE 'v' || i END AS body FROM range(1, 4) t(i) ORDER BY i`, { topic: t, key_column: 'id', value_column: 'body' });
      expect(summary.status, summary.error?.message).toBe('succeeded');
      expect(await readCommitted(kafka, t)).toEqual(['v1', 'null', 'v3']);
    } finally {
      await dropTopic(t);
    }
  }, 120_000);

  it('when the topic became compacted after the run read its policy, the brokers’ refusal is said as the missing key of a row, with nothing published', async () => {
    const t = await compactedTopic('changed', 'delete');
    const { ConfigResourceTypes } = await import('kafkajs');
    try {
      // The input as the engine streams it; the topic is made compacted just before the first send.
      const rows: unknown[][] = [['a', '{"n":1}'], [null, '{"n":2}'], ['c', '{"n":3}']];
      const io = {
        db: {
          rows: () => Promise.reject(new Error('the NULL keys are only counted for a topic known to be compacted')),
          async *stream() {
            await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: t, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] });
            await sleep(1500);
            yield rows;
          },
        },
        isCancelled: () => false,
        log: () => undefined,
        progress: () => undefined,
      } as unknown as HookIo;
      const spec = { topic: t, transactionalId: `caudal-r4c-changed-${suffix}`, rowsSql: 'unused', keyColumn: 'id', batchSize: 100, compression: 'none' as const };
      const error = await stageKafkaWrite(busConfig as never, spec, io, { nodeId: 'pub', connection: 'bus' }).then(
        () => undefined,
        (e: unknown) => e as { message: string; hint?: string },
      );
      expect(error?.message).toContain(`node 'pub' (connection 'bus'): the brokers refused the messages of topic '${t}' as invalid records, as they refuse a message without a key on a compacted topic (cleanup.policy=compact)`);
      expect(error?.message).toContain("row 2 of the input has a NULL key (column 'id'); nothing was published");
      expect(error?.hint).toMatch(/filter out the rows whose 'id' is NULL/);
      expect(await readCommitted(kafka, t, 2000)).toEqual([]);
    } finally {
      await dropTopic(t);
    }
  }, 120_000);
});
