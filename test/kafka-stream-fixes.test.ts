import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../core/src/engine/protocol.js';
import { KafkaConsumerSession } from '../core/src/connectors/kafka/consume.js';
import { tempDir } from './support/pipeline.js';
import { inDb } from './support/duckdb.js';
import { busConfig, busConnections, busPipeline, kafkaSandbox } from './support/kafka.js';

/**
 * source.kafka against the real broker, through the engine API: a fresh group's "latest" start is
 * durable before anything is read, null header values, value keys named like metadata columns, keys
 * that cannot be inferred columns, a byte bound on the buffer, and errors that say what to do.
 */
const root = await tempDir('caudal-kafka-fixes-');
const { admin, producer, suffix, groups, topic } = await kafkaSandbox('caudal-kfx');
const connections = busConnections;

type Row = Record<string, unknown>;

const doc = busPipeline;

/** source.kafka (own group) → sink.json out.json, rejects → rejects.json. */
function toJson(name: string, t: string, params: Record<string, unknown>) {
  const group = `caudal-kfx-${name}-${suffix}`;
  groups.push(group);
  return doc(
    name,
    [
      { id: 'ev', type: 'source.kafka', params: { connection: 'bus', topics: [t], group_id: group, ...params } },
      { id: 'load', type: 'sink.json', params: { path: 'out.json', format: 'array' } },
      { id: 'bad', type: 'sink.json', params: { path: 'rejects.json', format: 'array' } },
    ],
    [['ev:out', 'load:in'], ['ev:rejects', 'bad:in']],
  );
}

async function runDoc(name: string, pipeline: object, opts: { connections?: object } = {}) {
  const dir = path.join(root, name);
  await mkdir(dir, { recursive: true });
  const { runPipeline } = await import('../core/src/engine/engine.js');
  const warnings: string[] = [];
  const summary = await runPipeline({
    pipeline: pipeline as never,
    baseDir: dir,
    connections: (opts.connections ?? connections) as never,
    onEvent: (e) => void (e.type === 'warning' && warnings.push(e.message)),
  });
  const read = (file: string) => readFile(path.join(dir, file), 'utf8').then((x) => JSON.parse(x) as Row[], () => undefined);
  return { summary, warnings, rows: await read('out.json'), rejects: await read('rejects.json'), dir };
}

async function previewOf(name: string, pipeline: object) {
  const dir = path.join(root, `${name}-preview`);
  await mkdir(dir, { recursive: true });
  const { previewPipeline } = await import('../core/src/engine/engine.js');
  return previewPipeline({ pipeline: pipeline as never, baseDir: dir, nodeId: 'ev', connections: connections as never } as never);
}

/**
 * kafkajs' producer cannot size a header without a value (Buffer.byteLength(null) throws), which the
 * protocol allows and Java producers send: the send is made with that one call patched.
 */
async function sendWithNullHeader(t: string, messages: Array<{ key: string; value: string; headers?: Record<string, string | null> }>): Promise<void> {
  const original = Buffer.byteLength;
  Buffer.byteLength = ((v: unknown, ...rest: unknown[]) => (v === null ? 0 : (original as (...a: unknown[]) => number)(v, ...rest))) as typeof Buffer.byteLength;
  try {
    await producer.send({ topic: t, messages: messages as never });
  } finally {
    Buffer.byteLength = original;
  }
}

describe('source.kafka start_from latest', () => {
  it('a fresh group whose first (watch) run fails keeps its start: the next run reads what arrived meanwhile', async () => {
    const t = await topic('latest');
    await producer.send({ topic: t, messages: [{ key: 'old', value: JSON.stringify({ id: -1 }) }] });
    const group = `caudal-kfx-latest-${suffix}`;
    groups.push(group);
    const columns = [{ name: 'id', type: 'BIGINT' }];
    const pipeline = (fail: boolean) =>
      doc(
        'latest',
        [
          { id: 'ev', type: 'source.kafka', params: { connection: 'bus', topics: [t], group_id: group, start_from: 'latest', columns, max_wait_ms: 200 } },
          { id: 'check', type: 'transform.derive', params: { columns: [{ name: 'ok', expression: fail ? `CASE WHEN id >= 0 THEN error('sink down') ELSE 1 END` : '1' }] } },
          { id: 'load', type: 'sink.duckdb', params: { database: 'wh.duckdb', table: 'events', mode: 'append' } },
        ],
        [['ev:out', 'check:in'], ['check:out', 'load:in']],
      );
    const dir = path.join(root, 'latest');
    await mkdir(dir, { recursive: true });
    const { startRun } = await import('../core/src/engine/engine.js');
    const events: RunEvent[] = [];
    const handle = startRun({ pipeline: pipeline(true) as never, baseDir: dir, connections: connections as never, watch: true, onEvent: (e) => events.push(e) });
    // The watch has joined the group (it reads from "latest" now): then messages arrive, and its first batch fails.
    for (let i = 0; i < 200; i++) {
      const [g] = (await admin.describeGroups([group])).groups;
      if (g?.state === 'Stable') break;
      await sleep(100);
    }
    await producer.send({ topic: t, messages: [0, 1, 2, 3, 4].map((i) => ({ key: String(i), value: JSON.stringify({ id: i }) })) });
    const failed = await handle.done;
    expect(failed.status).toBe('failed');
    expect(failed.error?.message).toContain('sink down');
    // A plain run of the fixed pipeline reads the five messages, not "latest" again (which would skip them).
    const { summary } = await runDoc('latest', pipeline(false));
    expect(summary.status, summary.error?.message).toBe('succeeded');
    expect(await inDb(path.join(dir, 'wh.duckdb'), 'SELECT id::INT AS id FROM events ORDER BY id')).toEqual([0, 1, 2, 3, 4].map((id) => ({ id })));
  }, 90_000);
});

describe('source.kafka headers without a value', () => {
  it('a null header value is JSON null in _headers, in runs and previews', async () => {
    const t = await topic('nullhdr');
    await sendWithNullHeader(t, [
      { key: 'a', value: JSON.stringify({ id: 1 }) },
      { key: 'b', value: JSON.stringify({ id: 2 }), headers: { trace: null, tenant: 'x' } },
    ]);
    const pipeline = toJson('nullhdr', t, { columns: [{ name: 'id', type: 'BIGINT' }] });
    const preview = await previewOf('nullhdr', pipeline);
    expect(JSON.stringify(preview)).toContain('tenant');
    const { summary, rows } = await runDoc('nullhdr', pipeline);
    expect(summary.status, summary.error?.message).toBe('succeeded');
    expect(rows?.map((r) => [r.id, r._headers])).toEqual([
      [1, {}],
      [2, { trace: null, tenant: 'x' }],
    ]);
  }, 60_000);
});

describe('source.kafka value keys named like metadata columns', () => {
  it('the metadata keeps its name; the value key is read as value_<key> with a warning (declared and inferred columns)', async () => {
    const t = await topic('spoof');
    await producer.send({
      topic: t,
      messages: [
        { key: 'a', value: JSON.stringify({ id: 1, _topic: 'upstream', _offset: 999 }) },
        { key: 'b', value: JSON.stringify({ id: 2, _topic: 'fake', _offset: 0 }) },
      ],
    });
    const inferred = await runDoc('spoof', toJson('spoof', t, {}));
    expect(inferred.summary.status, inferred.summary.error?.message).toBe('succeeded');
    expect(inferred.rows?.map((r) => [r.id, r._topic, r._offset, r.value__topic, r.value__offset, r._topic_1])).toEqual([
      [1, t, 0, 'upstream', 999, undefined],
      [2, t, 1, 'fake', 0, undefined],
    ]);
    expect(inferred.warnings.join('\n')).toMatch(/named like metadata columns.*'_offset' as 'value__offset'.*'_topic' as 'value__topic'|named like metadata columns.*'_topic' as 'value__topic'/);
    const declared = await runDoc('spoof-declared', toJson('spoof-declared', t, { columns: [{ name: 'id', type: 'BIGINT' }, { name: '_topic', type: 'VARCHAR' }], flatten: true }));
    expect(declared.summary.status, declared.summary.error?.message).toBe('succeeded');
    expect(declared.rows?.map((r) => [r.id, r._topic, r.value__topic])).toEqual([
      [1, t, 'upstream'],
      [2, t, 'fake'],
    ]);
    expect(declared.warnings.join('\n')).toContain("'_topic' as 'value__topic'");
  }, 60_000);
});

describe('source.kafka keys that cannot be inferred columns', () => {
  it('a message with keys differing only in case, or an empty key, goes to rejects naming its offset; the others are read', async () => {
    const t = await topic('oddkeys');
    await producer.send({
      topic: t,
      messages: [
        { key: 'a', value: JSON.stringify({ id: 1, name: 'x' }) },
        { key: 'b', value: JSON.stringify({ ID: 1, id: 2 }) },
        { key: 'c', value: JSON.stringify({ '': 1, id: 3 }) },
        { key: 'd', value: JSON.stringify({ id: 4, name: 'y' }) },
      ],
    });
    const pipeline = toJson('oddkeys', t, { on_error: 'reject' });
    const preview = await previewOf('oddkeys', pipeline);
    expect(JSON.stringify(preview)).toContain('"y"');
    const { summary, rows, rejects } = await runDoc('oddkeys', pipeline);
    expect(summary.status, summary.error?.message).toBe('succeeded');
    expect(rows?.map((r) => [r.id, r.name])).toEqual([
      [1, 'x'],
      [4, 'y'],
    ]);
    expect(rejects?.map((r) => [r._offset, r._reason])).toEqual([
      [1, expect.stringContaining("keys 'ID' and 'id'")],
      [2, expect.stringContaining('empty key')],
    ]);
  }, 60_000);

  it('with on_error fail the run stops naming the message and saying to list the columns', async () => {
    const t = await topic('oddfail');
    await producer.send({ topic: t, messages: [{ key: 'a', value: JSON.stringify({ id: 1 }) }, { key: 'b', value: JSON.stringify({ ID: 1, id: 2 }) }] });
    const { summary } = await runDoc('oddfail', toJson('oddfail', t, {}));
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toContain(`message ${t}/0@1: the value has keys 'ID' and 'id'`);
    expect(summary.error?.message).toContain('list the value columns');
  }, 60_000);
});

describe('source.kafka buffer', () => {
  it('bounds the buffered bytes: a batch of large messages closes at the byte bound, and every message is read once', async () => {
    const t = await topic('bytes');
    const big = 'x'.repeat(20_000);
    for (let i = 0; i < 40; i += 10) await producer.send({ topic: t, messages: Array.from({ length: 10 }, (_, j) => ({ key: String(i + j), value: JSON.stringify({ id: i + j, big }) })) });
    const group = `caudal-kfx-bytes-${suffix}`;
    groups.push(group);
    const session = await KafkaConsumerSession.open(busConfig as never, { topics: [t], groupId: group, startFrom: 'earliest', maxRows: 1000, maxWaitMs: 200, maxBufferBytes: 200_000 });
    const seen: number[] = [];
    let batches = 0;
    try {
      for (let i = 0; i < 20 && seen.length < 40; i++) {
        const batch = await session.read({ watch: false, stopping: () => false, isCancelled: () => false });
        const bytes = batch.records.reduce((n, r) => n + (r.value?.length ?? 0) + (r.key?.length ?? 0), 0);
        expect(bytes).toBeLessThanOrEqual(200_000);
        seen.push(...batch.records.map((r) => Number(r.offset)));
        if (batch.records.length > 0) batches++;
        await session.commit();
      }
    } finally {
      await session.close();
    }
    expect(seen).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(batches).toBeGreaterThanOrEqual(4);
  }, 90_000);
});

describe('source.kafka errors', () => {
  it('a missing topic with declared columns names the topic and says to check the name or create it', async () => {
    const t = `caudal-kfx-nosuch-${suffix}`;
    const { summary } = await runDoc('notopic', toJson('notopic', t, { columns: [{ name: 'id', type: 'BIGINT' }] }));
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toContain(`'${t}'`);
    expect(summary.error?.hint).toMatch(/check the topic name, or create the topic/);
  }, 60_000);

  it('SASL against a plaintext listener says to set sasl_mechanism to none', async () => {
    const t = await topic('sasl');
    const sasl = { bus: { name: 'bus', type: 'kafka', config: { ...busConfig, sasl_mechanism: 'plain', username: 'u', password: 'p' } } };
    const { summary } = await runDoc('sasl', toJson('sasl', t, { columns: [{ name: 'id', type: 'BIGINT' }] }), { connections: sasl });
    expect(summary.status).toBe('failed');
    expect(summary.error?.hint).toContain('sasl_mechanism to "none"');
  }, 90_000);

  it('the unread-keys warning says the columns came from a sample of the latest messages', async () => {
    const t = await topic('unread');
    // The oldest message has a key the latest 500 (the sample) do not have.
    await producer.send({ topic: t, messages: Array.from({ length: 600 }, (_, i) => ({ key: String(i), value: JSON.stringify(i === 0 ? { id: i, extra: 'x' } : { id: i }) })) });
    const { summary, warnings } = await runDoc('unread', toJson('unread', t, {}));
    expect(summary.status, summary.error?.message).toBe('succeeded');
    const w = warnings.find((x) => x.includes('extra'));
    expect(w).toContain('the latest 500 messages of the topics');
    expect(w).not.toContain('earlier messages');
  }, 60_000);
});
