import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bytesText } from '../core/src/nodes/source.kafka/decode.js';
import { tempDir } from './support/pipeline.js';
import { busConnections, busPipeline, kafkaSandbox } from './support/kafka.js';

/**
 * Kafka keys and header values that are not UTF-8 (binary keys: Avro, 4-byte integers), against the
 * real broker through the engine: each byte string is its own `_key` text, `\x` and its hex, as
 * source.rabbitmq writes such header values; UTF-8 keys are their text.
 */
const root = await tempDir('caudal-kafka-r4-keys-');
const { producer, suffix, groups, topic } = await kafkaSandbox('caudal-kr4k');

type Row = Record<string, unknown>;

async function readTopic(name: string, t: string): Promise<Row[]> {
  const dir = path.join(root, name);
  await mkdir(dir, { recursive: true });
  const group = `caudal-kr4k-${name}-${suffix}`;
  groups.push(group);
  const { runPipeline } = await import('../core/src/engine/engine.js');
  const pipeline = busPipeline(
    name,
    [
      { id: 'ev', type: 'source.kafka', params: { connection: 'bus', topics: [t], group_id: group, columns: [{ name: 'id', type: 'BIGINT' }] } },
      { id: 'load', type: 'sink.json', params: { path: 'out.json', format: 'array' } },
    ],
    [['ev:out', 'load:in']],
  );
  const summary = await runPipeline({ pipeline: pipeline as never, baseDir: dir, connections: busConnections as never });
  expect(summary.status, summary.error?.message).toBe('succeeded');
  return JSON.parse(await readFile(path.join(dir, 'out.json'), 'utf8')) as Row[];
}

describe('source.kafka: keys and header values that are not UTF-8', () => {
  it('different binary keys are different _key texts (\\x and hex); UTF-8 keys, U+FFFD included, are their text', async () => {
    const t = await topic('keys');
    const keys = [
      Buffer.from([0, 0, 0, 0xfe]),
      Buffer.from([0, 0, 0, 0xff]),
      Buffer.from('order-1', 'utf8'),
      Buffer.from('Zürich', 'utf8'),
      Buffer.from('\uFFFD', 'utf8'),
      Buffer.from([0xc3, 0x28]),
    ];
    await producer.send({ topic: t, messages: keys.map((key, id) => ({ key, value: JSON.stringify({ id }) })) });
    const rows = await readTopic('keys', t);
    expect(rows.map((r) => [r.id, r._key])).toEqual([
      [0, '\\x000000fe'],
      [1, '\\x000000ff'],
      [2, 'order-1'],
      [3, 'Zürich'],
      [4, '\uFFFD'],
      [5, '\\xc328'],
    ]);
    expect(new Set(rows.map((r) => r._key)).size).toBe(keys.length);
  }, 60_000);

  it('a text key that starts with \\x is written as hex too, so it cannot meet the bytes it spells', async () => {
    const t = await topic('spelled');
    await producer.send({
      topic: t,
      messages: [
        { key: Buffer.from([0xff]), value: JSON.stringify({ id: 1 }) },
        { key: Buffer.from('\\xff', 'utf8'), value: JSON.stringify({ id: 2 }) },
      ],
    });
    const rows = await readTopic('spelled', t);
    expect(rows.map((r) => [r.id, r._key])).toEqual([
      [1, '\\xff'],
      [2, '\\x5c786666'],
    ]);
  }, 60_000);

  it('header values that are not UTF-8 are \\x and hex; UTF-8 ones their text', async () => {
    const t = await topic('headers');
    await producer.send({
      topic: t,
      messages: [{ key: 'a', value: JSON.stringify({ id: 1 }), headers: { bin: Buffer.from([0x80, 0x01]), text: 'café', list: [Buffer.from([0xfe]), Buffer.from('x')] } }],
    });
    const rows = await readTopic('headers', t);
    expect(rows.map((r) => r._headers)).toEqual([{ bin: '\\x8001', text: 'café', list: '\\xfe,x' }]);
  }, 60_000);

  it('the text of bytes is one-to-one: no two byte strings give the same text', () => {
    const samples = [[], [0], [0xfe], [0xff], [0xef, 0xbf, 0xbd], [0x5c, 0x78], [0x5c, 0x78, 0x66, 0x66], [0xff, 0xff], [0x41]].map((b) => Buffer.from(b));
    const texts = samples.map(bytesText);
    expect(new Set(texts).size).toBe(samples.length);
    expect(texts).toEqual(['', '\u0000', '\\xfe', '\\xff', '\uFFFD', '\\x5c78', '\\x5c786666', '\\xffff', 'A']);
  });
});
