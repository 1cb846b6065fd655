import { randomUUID } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './support/pipeline.js';
import { connectTo, SERVICES } from './support/services.js';

/**
 * source.rabbitmq against queues a hostile user or broker sets up, through the engine API (the
 * sources under test, no build): a queue that does not exist or is exclusive to another
 * connection, an existing queue with other arguments than the node would declare, and a batch size
 * the AMQP prefetch cannot carry.
 */
let conn: ChannelModel;
let ch: Channel;
const suffix = randomUUID().slice(0, 8);
const queues: string[] = [];
const exchanges: string[] = [];
const root = await tempDir('caudal-rabbitmq-source-hostile-');
const url = new URL(SERVICES.amqpUrl);
const connections = {
  mq: { name: 'mq', type: 'rabbitmq', config: { host: url.hostname, port: Number(url.port), vhost: '/', user: decodeURIComponent(url.username), password: decodeURIComponent(url.password), tls: false, heartbeat_s: 30 } },
};
const columns = [{ name: 'id', type: 'INTEGER' }];

beforeAll(async () => {
  conn = await connectTo('rabbitmq', `${url.hostname}:${url.port}`, () => amqp.connect(SERVICES.amqpUrl));
  ch = await conn.createChannel();
});

afterAll(async () => {
  for (const name of queues) await ch?.deleteQueue(name).catch(() => undefined);
  for (const name of exchanges) await ch?.deleteExchange(name).catch(() => undefined);
  await conn?.close();
});

const name = (what: string) => `caudal-rmqh-${what}-${suffix}`;

async function queue(what: string, opts: amqp.Options.AssertQueue = { durable: true }): Promise<string> {
  const qn = name(what);
  await ch.assertQueue(qn, opts);
  queues.push(qn);
  return qn;
}

const depth = async (qn: string) => (await ch.checkQueue(qn)).messageCount;

/** source.rabbitmq -> sink.json through the engine; the summary and the rows written (undefined: none). */
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
      nodes: [{ id: 'q', type: 'source.rabbitmq', params: { connection: 'mq', ...params } }, { id: 'load', type: 'sink.json', params: { path: 'out.json', format: 'array' } }],
      edges: [{ from: 'q:out', to: 'load:in' }],
    } as never,
    baseDir: dir,
    connections: connections as never,
  });
  const rows = await readFile(path.join(dir, 'out.json'), 'utf8').then((t) => JSON.parse(t) as Array<Record<string, unknown>>, () => undefined);
  return { summary, rows };
}

describe('source.rabbitmq: queues it cannot read', () => {
  it('a queue that does not exist, with the value columns inferred, fails the run naming the queue (the engine does not crash)', async () => {
    const qn = name('missing-inferred');
    const { summary } = await run('missing-inferred', { queue: qn });
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toContain(`cannot read queue '${qn}'`);
    expect(summary.error?.message).not.toMatch(/engine worker crashed/);
    expect(summary.error?.hint).toMatch(/create the queue, or set an exchange/);
  }, 30_000);

  it('a queue exclusive to another connection fails the run naming the queue and why, with inferred or declared columns', async () => {
    const other = await amqp.connect(SERVICES.amqpUrl);
    try {
      const och = await other.createChannel();
      const qn = name('exclusive');
      await och.assertQueue(qn, { exclusive: true });
      och.sendToQueue(qn, Buffer.from('{"id": 1}'));
      const inferred = await run('exclusive-inferred', { queue: qn });
      expect(inferred.summary.status).toBe('failed');
      expect(inferred.summary.error?.message).not.toMatch(/engine worker crashed/);
      expect(inferred.summary.error?.message).toMatch(/RESOURCE_LOCKED - cannot obtain exclusive access/);
      expect(inferred.summary.error?.hint).toMatch(/exclusive to another connection/);
      const declared = await run('exclusive-declared', { queue: qn, columns });
      expect(declared.summary.status).toBe('failed');
      expect(declared.summary.error?.message).toContain(`cannot consume queue '${qn}'`);
      expect(declared.summary.error?.hint).toMatch(/exclusive to another connection/);
    } finally {
      await other.close();
    }
  }, 30_000);

  it('a queue that does not exist, with declared columns, says what to do', async () => {
    const qn = name('missing-declared');
    const { summary } = await run('missing-declared', { queue: qn, columns });
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toContain(`cannot consume queue '${qn}'`);
    expect(summary.error?.hint).toMatch(/create the queue, or set an exchange/);
  }, 30_000);
});

describe('source.rabbitmq: Bind to exchange on a queue that already exists', () => {
  it('consumes a queue declared with a dead-letter exchange (what on_error: dead_letter needs) instead of failing PRECONDITION_FAILED', async () => {
    const ex = name('ex-dlx');
    await ch.assertExchange(ex, 'topic', { durable: false });
    exchanges.push(ex);
    const dlq = await queue('dlx-dead');
    const qn = await queue('dlx', { durable: true, arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': dlq } });
    ch.sendToQueue(qn, Buffer.from('{"id": 1}'), { persistent: true });
    ch.sendToQueue(qn, Buffer.from('not json'), { persistent: true });
    await sleep(200);
    const { summary, rows } = await run('dlx', { queue: qn, exchange: ex, routing_key: 'orders.*', columns, on_error: 'dead_letter', metadata: false });
    expect(summary.status, summary.error?.message).toBe('succeeded');
    expect(rows).toEqual([{ id: 1 }]);
    await sleep(200);
    expect(await depth(qn)).toBe(0);
    expect(await depth(dlq)).toBe(1);
    // And the binding is in place: a message published to the exchange reaches the queue.
    ch.publish(ex, 'orders.new', Buffer.from('{"id": 2}'));
    await sleep(200);
    expect(await depth(qn)).toBe(1);
  }, 30_000);

  it('consumes an existing non-durable queue instead of failing on the durable flag it would have been declared with', async () => {
    const ex = name('ex-nd');
    await ch.assertExchange(ex, 'fanout', { durable: false });
    exchanges.push(ex);
    const qn = await queue('non-durable', { durable: false });
    ch.sendToQueue(qn, Buffer.from('{"id": 7}'));
    await sleep(200);
    const { summary, rows } = await run('non-durable', { queue: qn, exchange: ex, columns, metadata: false });
    expect(summary.status, summary.error?.message).toBe('succeeded');
    expect(rows).toEqual([{ id: 7 }]);
  }, 30_000);

  it('still declares (durable) and binds a queue that does not exist yet', async () => {
    const ex = name('ex-new');
    await ch.assertExchange(ex, 'fanout', { durable: false });
    exchanges.push(ex);
    const qn = name('declared');
    queues.push(qn);
    const { summary } = await run('declared', { queue: qn, exchange: ex, columns });
    expect(summary.status, summary.error?.message).toBe('succeeded');
    ch.publish(ex, '', Buffer.from('{"id": 3}'));
    await sleep(200);
    expect(await depth(qn)).toBe(1);
  }, 30_000);
});

describe('source.rabbitmq: batch sizes', () => {
  it('refuses a max_rows the AMQP prefetch (16 bits) cannot carry before the run, naming the param, not with a bare range error', async () => {
    const qn = await queue('big-batch');
    ch.sendToQueue(qn, Buffer.from('{"id": 1}'), { persistent: true });
    await sleep(100);
    const { summary } = await run('big-batch', { queue: qn, columns, max_rows: 100_000 });
    expect(summary.status).toBe('failed');
    expect(JSON.stringify(summary.error)).toMatch(/max_rows/);
    expect(JSON.stringify(summary.error)).toMatch(/65535/);
    expect(summary.error?.message).not.toMatch(/The value of "value" is out of range/);
    expect(await depth(qn)).toBe(1);
  }, 30_000);
});

describe('source.rabbitmq: a connection the broker refuses', () => {
  it('a wrong password with Bind to exchange and inferred columns says the login was refused, not that there are no messages to infer from', async () => {
    const wrong = { mq: { ...connections.mq, config: { ...connections.mq.config, password: 'not-the-password-9f3a' } } };
    const dir = path.join(root, 'wrong-password');
    await mkdir(dir, { recursive: true });
    const { runPipeline } = await import('../core/src/engine/engine.js');
    const summary = await runPipeline({
      pipeline: {
        format: 'caudal.pipeline/1',
        name: 'wrong-password',
        params: {},
        connections: { mq: { type: 'rabbitmq' } },
        nodes: [{ id: 'q', type: 'source.rabbitmq', params: { connection: 'mq', queue: name('wrong-password'), exchange: 'amq.topic' } }, { id: 'load', type: 'sink.json', params: { path: 'out.json', format: 'array' } }],
        edges: [{ from: 'q:out', to: 'load:in' }],
      } as never,
      baseDir: dir,
      connections: wrong as never,
    });
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toMatch(/ACCESS_REFUSED - Login was refused/);
    expect(summary.error?.message).not.toMatch(/no messages to infer/);
    expect(summary.error?.hint).toMatch(/user and password/);
    expect(JSON.stringify(summary)).not.toContain('not-the-password-9f3a');
  }, 30_000);
});

describe('source.rabbitmq: headers of odd types', () => {
  it('byte-array headers (a Java client\'s byte[]) are their text, or \\x and hex when not UTF-8, not Node\'s {"type":"Buffer"} JSON', async () => {
    const qn = await queue('headers');
    const headers = { text: 'plain', bytes: Buffer.from('order-7'), binary: Buffer.from([0xff, 0x00, 0x10]), nested: { trace: Buffer.from('abc'), n: 2 }, count: 3, flag: true };
    ch.sendToQueue(qn, Buffer.from('{"id": 1}'), { persistent: true, headers });
    await sleep(200);
    const { summary, rows } = await run('headers', { queue: qn, columns });
    expect(summary.status, summary.error?.message).toBe('succeeded');
    expect(rows?.[0]?._headers).toEqual({ text: 'plain', bytes: 'order-7', binary: '\\xff0010', nested: '{"trace":"abc","n":2}', count: '3', flag: 'true' });
  }, 30_000);
});
