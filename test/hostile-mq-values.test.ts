import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { tempDir } from './support/pipeline.js';
import { rabbitmqSandbox } from './support/rabbitmq.js';

/**
 * source.rabbitmq (and the stream spool it shares with source.kafka) against message bodies and
 * headers a hostile producer sends: JSON that is not an object where the value columns read an
 * object's keys, 64-bit integer headers that a JS number cannot hold, AMQP timestamp and decimal
 * headers. Through the engine API (the sources under test, no build).
 */
const mq = rabbitmqSandbox('hmv');
const root = await tempDir('caudal-hostile-mq-values-');
const connections = mq.connections;
const columns = [{ name: 'id', type: 'INTEGER' }];
const queue = (what: string) => mq.queue(what);

const depth = async (qn: string) => (await mq.channel().checkQueue(qn)).messageCount;

type Row = Record<string, unknown>;

/** source.rabbitmq -> sink.json (out) and sink.json (rejects) through the engine. */
async function run(what: string, params: Record<string, unknown>) {
  const dir = path.join(root, what);
  await mkdir(dir, { recursive: true });
  const { runPipeline } = await import('../core/src/engine/engine.js');
  const summary = await runPipeline({
    pipeline: {
      format: 'caudal.pipeline/1',
      name: what,
      params: {},
      connections: { mq: { type: 'rabbitmq' } },
      nodes: [
        { id: 'q', type: 'source.rabbitmq', params: { connection: 'mq', ...params } },
        { id: 'load', type: 'sink.json', params: { path: 'out.json', format: 'array' } },
        { id: 'bad', type: 'sink.json', params: { path: 'rejects.json', format: 'array' } },
      ],
      edges: [{ from: 'q:out', to: 'load:in' }, { from: 'q:rejects', to: 'bad:in' }],
    } as never,
    baseDir: dir,
    connections: connections as never,
  });
  const read = (file: string) => readFile(path.join(dir, file), 'utf8').then((t) => JSON.parse(t) as Row[], () => undefined);
  return { summary, rows: await read('out.json'), rejects: await read('rejects.json') };
}

describe('source.rabbitmq: JSON values that are not objects', () => {
  it('a JSON null body stops the run naming the message (on_error fail), instead of a row of NULLs; nothing is consumed', async () => {
    const qn = await queue('null-fail');
    mq.channel().sendToQueue(qn, Buffer.from('{"id": 1}'));
    mq.channel().sendToQueue(qn, Buffer.from('null'), { messageId: 'm-null' });
    await sleep(200);
    const { summary } = await run('null-fail', { queue: qn, columns });
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toMatch(/message #\d+ \(routing key '[^']+'\): the value is JSON null, not an object/);
    await sleep(200);
    expect(await depth(qn)).toBe(2);
  }, 30_000);

  it('with on_error reject, null, numbers, strings, arrays, booleans and empty bodies go to rejects with their reason', async () => {
    const qn = await queue('non-objects');
    for (const body of ['{"id": 1}', 'null', '42', '"x"', '[1,2]', 'true', '', '  \n']) mq.channel().sendToQueue(qn, Buffer.from(body));
    await sleep(200);
    const { summary, rows, rejects } = await run('non-objects', { queue: qn, columns, on_error: 'reject', metadata: false });
    expect(summary.status, summary.error?.message).toBe('succeeded');
    expect(rows).toEqual([{ id: 1 }]);
    const reasons = Object.fromEntries((rejects ?? []).map((r) => [r._raw, r._reason]));
    expect(reasons).toEqual({
      null: expect.stringMatching(/^the value is JSON null, not an object/),
      '42': expect.stringMatching(/^the value is a JSON number, not an object/),
      '"x"': expect.stringMatching(/^the value is a JSON string, not an object/),
      '[1,2]': expect.stringMatching(/^the value is a JSON array, not an object/),
      true: expect.stringMatching(/^the value is a JSON boolean, not an object/),
      '': 'the value is empty (0 bytes), not JSON',
      '  \n': 'the value is empty (only white space), not JSON',
    });
  }, 30_000);

  it('more than 100 non-object values in a batch go to rejects too (they are not set aside one DuckDB read at a time)', async () => {
    const qn = await queue('many-numbers');
    for (let i = 0; i < 150; i++) mq.channel().sendToQueue(qn, Buffer.from(String(i)));
    mq.channel().sendToQueue(qn, Buffer.from('{"id": 7}'));
    await sleep(300);
    const { summary, rows, rejects } = await run('many-numbers', { queue: qn, columns, on_error: 'reject', metadata: false });
    expect(summary.status, summary.error?.message).toBe('succeeded');
    expect(rows).toEqual([{ id: 7 }]);
    expect(rejects).toHaveLength(150);
  }, 60_000);

  it('values of a scalar type (inferred from numbers) still take numbers; null is a NULL value there', async () => {
    const qn = await queue('scalars');
    for (const body of ['1', '2', 'null']) mq.channel().sendToQueue(qn, Buffer.from(body));
    await sleep(200);
    const { summary, rows } = await run('scalars', { queue: qn, metadata: false });
    expect(summary.status, summary.error?.message).toBe('succeeded');
    expect(rows?.map((r) => r.value)).toEqual([1, 2, null]);
  }, 30_000);
});

describe('source.rabbitmq: headers a JS number cannot hold', () => {
  it('a 64-bit integer header beyond 2^53 stops the run naming the message and the header, instead of losing digits', async () => {
    const qn = await queue('long-fail');
    mq.channel().sendToQueue(qn, Buffer.from('{"id": 1}'), { headers: { 'x-trace': { '!': 'int64', value: '9007199254740993' } } });
    await sleep(200);
    const { summary, rows } = await run('long-fail', { queue: qn, columns });
    expect(rows).toBeUndefined();
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toMatch(/message #\d+ \(routing key '[^']+'\): header 'x-trace' holds an integer beyond 2\^53/);
    await sleep(200);
    expect(await depth(qn)).toBe(1);
  }, 30_000);

  it('with on_error reject such a message goes to rejects; 64-bit integers within 2^53 keep every digit', async () => {
    const qn = await queue('long-reject');
    mq.channel().sendToQueue(qn, Buffer.from('{"id": 1}'), { headers: { big: { '!': 'int64', value: '-9223372036854775808' } } });
    mq.channel().sendToQueue(qn, Buffer.from('{"id": 2}'), { headers: { ok: { '!': 'int64', value: '9007199254740991' } } });
    await sleep(200);
    const { summary, rows, rejects } = await run('long-reject', { queue: qn, columns, on_error: 'reject' });
    expect(summary.status, summary.error?.message).toBe('succeeded');
    expect(rows?.map((r) => [r.id, r._headers])).toEqual([[2, { ok: '9007199254740991' }]]);
    expect(rejects?.map((r) => r._reason)).toEqual([expect.stringMatching(/^header 'big' holds an integer beyond 2\^53/)]);
  }, 30_000);

  it('metadata off: headers are not read, so a big integer header does not stop the run', async () => {
    const qn = await queue('long-nometa');
    mq.channel().sendToQueue(qn, Buffer.from('{"id": 1}'), { headers: { big: { '!': 'int64', value: '9007199254740993' } } });
    await sleep(200);
    const { summary, rows } = await run('long-nometa', { queue: qn, columns, metadata: false });
    expect(summary.status, summary.error?.message).toBe('succeeded');
    expect(rows).toEqual([{ id: 1 }]);
  }, 30_000);

  it('AMQP timestamp and decimal headers are their value as text, not amqplib\'s {"!": ...} wrappers', async () => {
    const qn = await queue('typed-headers');
    const headers = { at: { '!': 'timestamp', value: 1700000000 }, price: { '!': 'decimal', value: { places: 2, digits: 12345 } }, whole: { '!': 'decimal', value: { places: 0, digits: 7 } }, list: [{ '!': 'timestamp', value: 5 }] };
    mq.channel().sendToQueue(qn, Buffer.from('{"id": 1}'), { headers });
    await sleep(200);
    const { summary, rows } = await run('typed-headers', { queue: qn, columns });
    expect(summary.status, summary.error?.message).toBe('succeeded');
    expect(rows?.[0]?._headers).toEqual({ at: '1700000000', price: '123.45', whole: '7', list: '[5]' });
  }, 30_000);
});

describe('source.rabbitmq: _redelivered', () => {
  // RabbitMQ has no way to look at a classic queue without delivering: reading the head of the queue
  // (a preview, or inferring the value columns) gets and requeues messages, which marks them
  // redelivered. The node's docs say so; these pin what a user sees.
  it('is false for messages nobody read before when the value columns are listed', async () => {
    const qn = await queue('redelivered-declared');
    mq.channel().sendToQueue(qn, Buffer.from('{"id": 1}'));
    await sleep(200);
    const { summary, rows } = await run('redelivered-declared', { queue: qn, columns });
    expect(summary.status, summary.error?.message).toBe('succeeded');
    expect(rows?.map((r) => r._redelivered)).toEqual([false]);
  }, 30_000);

  it('is true for the messages at the head of the queue when the value columns are inferred (they were read to infer them)', async () => {
    const qn = await queue('redelivered-inferred');
    mq.channel().sendToQueue(qn, Buffer.from('{"id": 1}'));
    await sleep(200);
    const { summary, rows } = await run('redelivered-inferred', { queue: qn });
    expect(summary.status, summary.error?.message).toBe('succeeded');
    expect(rows?.map((r) => r._redelivered)).toEqual([true]);
  }, 30_000);
});
