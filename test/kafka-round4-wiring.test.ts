import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './support/pipeline.js';
import { busConnections, busPipeline, kafkaSandbox } from './support/kafka.js';

/**
 * source.kafka through the engine, against the real broker: a topic a *Topic pattern* matches after
 * the group read other topics of the pattern is read from its first message, and messages the
 * topic's retention deleted before the group read them are told by a warning naming the node,
 * topic, partition and offsets.
 */
const root = await tempDir('caudal-kafka-r4-wiring-');
const { admin, producer, suffix, groups, topic } = await kafkaSandbox('caudal-kr4w');

type Row = Record<string, unknown>;

async function run(name: string, group: string, source: Record<string, unknown>): Promise<{ rows: Row[]; warnings: string[] }> {
  const dir = path.join(root, `${name}-${Math.random().toString(36).slice(2, 8)}`);
  await mkdir(dir, { recursive: true });
  const { runPipeline } = await import('../core/src/engine/engine.js');
  const pipeline = busPipeline(
    name,
    [
      { id: 'ev', type: 'source.kafka', params: { connection: 'bus', group_id: group, columns: [{ name: 'id', type: 'BIGINT' }], ...source } },
      { id: 'load', type: 'sink.json', params: { path: 'out.json', format: 'array' } },
    ],
    [['ev:out', 'load:in']],
  );
  const warnings: string[] = [];
  const summary = await runPipeline({
    pipeline: pipeline as never,
    baseDir: dir,
    connections: busConnections as never,
    onEvent: (e) => void (e.type === 'warning' && warnings.push(e.message)),
  });
  expect(summary.status, summary.error?.message).toBe('succeeded');
  const rows = await readFile(path.join(dir, 'out.json'), 'utf8').then((x) => JSON.parse(x) as Row[], () => []);
  return { rows, warnings };
}

const ids = (n: number, from = 0) => Array.from({ length: n }, (_, i) => ({ value: JSON.stringify({ id: from + i }) }));

describe('source.kafka topic_pattern: a topic created after the group started', () => {
  it('is read from its first message by the next run, although start_from is "latest"', async () => {
    const group = `caudal-kr4w-pattern-${suffix}`;
    groups.push(group);
    const params = { topic_pattern: `caudal-kr4w-pat.-${suffix}`, start_from: 'latest' };
    const a = await topic('pata');
    await producer.send({ topic: a, messages: ids(2, 100) });
    expect((await run('pattern1', group, params)).rows).toEqual([]);
    const b = await topic('patb');
    await producer.send({ topic: b, messages: ids(6) });
    await producer.send({ topic: a, messages: ids(1, 200) });
    const { rows } = await run('pattern2', group, params);
    expect(rows.map((r) => r.id).sort((x, y) => Number(x) - Number(y))).toEqual([0, 1, 2, 3, 4, 5, 200]);
  }, 120_000);
});

describe('source.kafka: messages deleted by retention before the group read them', () => {
  it('the run reads on from the oldest message kept and warns naming node, topic, partition and offsets', async () => {
    const t = await topic('gap');
    const group = `caudal-kr4w-gap-${suffix}`;
    groups.push(group);
    await producer.send({ topic: t, messages: ids(10) });
    expect((await run('gap1', group, { topics: [t] })).rows).toHaveLength(10);
    await producer.send({ topic: t, messages: ids(20, 10) });
    await admin.fetchTopicMetadata({ topics: [t] });
    await admin.deleteTopicRecords({ topic: t, partitions: [{ partition: 0, offset: '25' }] });
    const { rows, warnings } = await run('gap2', group, { topics: [t] });
    expect(rows.map((r) => r.id)).toEqual([25, 26, 27, 28, 29]);
    expect(warnings.filter((w) => w.includes('retention'))).toEqual([
      expect.stringContaining(`node 'ev': Kafka topic '${t}' partition 0: 15 messages at offsets 10–24 were deleted by the topic's retention`),
    ]);
  }, 120_000);
});
