import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './support/pipeline.js';
import { kafkaSandbox } from './support/kafka.js';
import { SERVICES } from './support/services.js';

/**
 * source.kafka shares the stream spool with source.rabbitmq: a value that is JSON but not an object,
 * where the value columns are an object's keys, is a reject with its reason (it was a row of NULLs
 * for `null`); a tombstone (no value) stays a row with its key. Through the engine API.
 */
const root = await tempDir('caudal-hostile-mq-kafka-');
const { producer, suffix, groups, topic } = await kafkaSandbox('caudal-hmk');
const connections = { bus: { name: 'bus', type: 'kafka', config: { brokers: SERVICES.kafkaBrokers.join(','), client_id: 'caudal-test', ssl: false, sasl_mechanism: 'none', connect_timeout_s: 10 } } };

type Row = Record<string, unknown>;

async function run(name: string, t: string, params: Record<string, unknown>) {
  const dir = path.join(root, name);
  await mkdir(dir, { recursive: true });
  const { runPipeline } = await import('../core/src/engine/engine.js');
  const group = `caudal-hmk-${name}-${suffix}`;
  groups.push(group);
  const summary = await runPipeline({
    pipeline: {
      format: 'caudal.pipeline/1',
      name,
      params: {},
      connections: { bus: { type: 'kafka' } },
      nodes: [
        { id: 'ev', type: 'source.kafka', params: { connection: 'bus', topics: [t], group_id: group, ...params } },
        { id: 'load', type: 'sink.json', params: { path: 'out.json', format: 'array' } },
        { id: 'bad', type: 'sink.json', params: { path: 'rejects.json', format: 'array' } },
      ],
      edges: [{ from: 'ev:out', to: 'load:in' }, { from: 'ev:rejects', to: 'bad:in' }],
    } as never,
    baseDir: dir,
    connections: connections as never,
  });
  const read = (file: string) => readFile(path.join(dir, file), 'utf8').then((x) => JSON.parse(x) as Row[], () => undefined);
  return { summary, rows: await read('out.json'), rejects: await read('rejects.json') };
}

describe('source.kafka: values that are not objects', () => {
  it('a JSON null value stops the run naming topic, partition and offset; a tombstone does not', async () => {
    const t = await topic('null-fail');
    await producer.send({ topic: t, messages: [{ key: 'a', value: '{"id": 1}' }, { key: 'b', value: null }, { key: 'c', value: 'null' }] });
    const { summary } = await run('null-fail', t, { columns: [{ name: 'id', type: 'INTEGER' }] });
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toContain(`message ${t}/0@2: the value is JSON null, not an object`);
  }, 60_000);

  it('with on_error reject, non-object values go to rejects; a tombstone is a row of NULL values with its key', async () => {
    const t = await topic('non-objects');
    await producer.send({ topic: t, messages: [{ key: 'a', value: '{"id": 1}' }, { key: 'b', value: null }, { key: 'c', value: 'null' }, { key: 'd', value: '[1]' }, { key: 'e', value: '' }] });
    const { summary, rows, rejects } = await run('non-objects', t, { columns: [{ name: 'id', type: 'INTEGER' }], on_error: 'reject' });
    expect(summary.status, summary.error?.message).toBe('succeeded');
    expect(rows?.map((r) => [r._key, r.id])).toEqual([['a', 1], ['b', null]]);
    expect(rejects?.map((r) => [r._key, r._reason])).toEqual([
      ['c', expect.stringMatching(/^the value is JSON null, not an object/)],
      ['d', expect.stringMatching(/^the value is a JSON array, not an object/)],
      ['e', 'the value is empty (0 bytes), not JSON'],
    ]);
  }, 60_000);
});
