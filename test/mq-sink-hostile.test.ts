import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../core/src/engine/protocol.js';
import { tempDir } from './support/pipeline.js';
import { kafkaSandbox, readCommitted } from './support/kafka.js';
import { connectTo, SERVICES } from './support/services.js';

/**
 * sink.kafka and sink.rabbitmq under hostile data and a failing broker, against the real brokers
 * through the engine API (the sources under test, no build). The RabbitMQ connection is cut by a
 * TCP proxy the test starts in front of the shared broker (which is never stopped).
 */
const root = await tempDir('caudal-mq-sink-hostile-');
const suffix = randomUUID().slice(0, 8);
const amqpUrl = new URL(SERVICES.amqpUrl);
const { kafka, topic } = await kafkaSandbox('caudal-mqh');
let conn: ChannelModel;
let ch: Channel;
const queues: string[] = [];

const rabbitConnection = (port = Number(amqpUrl.port)) => ({
  name: 'mq',
  type: 'rabbitmq',
  config: { host: amqpUrl.hostname, port, vhost: '/', user: decodeURIComponent(amqpUrl.username), password: decodeURIComponent(amqpUrl.password), tls: false, heartbeat_s: 5 },
});
const kafkaConnection = { name: 'bus', type: 'kafka', config: { brokers: SERVICES.kafkaBrokers.join(','), client_id: 'caudal-test', ssl: false, sasl_mechanism: 'none', connect_timeout_s: 10 } };

beforeAll(async () => {
  conn = await connectTo('rabbitmq', `${amqpUrl.hostname}:${amqpUrl.port}`, () => amqp.connect(SERVICES.amqpUrl));
  ch = await conn.createChannel();
});

afterAll(async () => {
  for (const name of queues) await ch?.deleteQueue(name).catch(() => undefined);
  await conn?.close();
});

async function queue(name: string, args: Record<string, unknown> = {}): Promise<string> {
  const qn = `caudal-mqh-${name}-${suffix}`;
  await ch.assertQueue(qn, { durable: false, arguments: args });
  queues.push(qn);
  return qn;
}

const depth = async (qn: string) => (await ch.checkQueue(qn)).messageCount;

/** Runs `SELECT …` into one sink; the summary, or 'hung' when the run does not end within `ms`. */
async function run(name: string, sql: string, sink: object, opts: { rabbitPort?: number; ms?: number } = {}): Promise<RunSummary | 'hung'> {
  const dir = path.join(root, name);
  await mkdir(dir, { recursive: true });
  const { startRun } = await import('../core/src/engine/engine.js');
  const handle = startRun({
    pipeline: {
      format: 'caudal.pipeline/1',
      name,
      params: {},
      connections: { mq: { type: 'rabbitmq' }, bus: { type: 'kafka' } },
      nodes: [{ id: 'src', type: 'transform.sql', params: { query: sql } }, { id: 'pub', ...sink }],
      edges: [{ from: 'src:out', to: 'pub:in' }],
    } as never,
    baseDir: dir,
    connections: { mq: rabbitConnection(opts.rabbitPort), bus: kafkaConnection } as never,
    watch: false,
  });
  const result = await Promise.race([handle.done, sleep(opts.ms ?? 60_000).then(() => 'hung' as const)]);
  if (result === 'hung') handle.cancel();
  return result;
}

/**
 * A TCP proxy to the shared RabbitMQ broker that, on every connection, stops forwarding and then
 * resets both sides once the client has sent more than `cutAfter` bytes: the broker lost mid-publish.
 */
async function cuttingProxy(cutAfter: number): Promise<{ port: number; close(): void }> {
  const sockets: net.Socket[] = [];
  const server = net.createServer((client) => {
    const broker = net.connect(Number(amqpUrl.port), amqpUrl.hostname);
    sockets.push(client, broker);
    let sent = 0;
    client.on('data', (d) => {
      sent += d.length;
      broker.write(d);
      if (sent > cutAfter) {
        client.pause();
        setTimeout(() => (client.resetAndDestroy(), broker.destroy()), 500);
      }
    });
    broker.on('data', (d) => client.write(d));
    broker.on('error', () => client.destroy());
    client.on('error', () => broker.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => {
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
}

describe('sink.rabbitmq, hostile', () => {
  it('fails the run (no crashed engine, no hang) naming the node when the broker is lost mid-publish', async () => {
    const qn = await queue('cut');
    const proxy = await cuttingProxy(3_000_000);
    try {
      const r = await run('rabbit-cut', `SELECT range AS id, repeat('x', 1000) AS pad FROM range(20000)`, { type: 'sink.rabbitmq', params: { connection: 'mq', routing_key: qn } }, { rabbitPort: proxy.port, ms: 45_000 });
      expect(r).not.toBe('hung');
      const summary = r as RunSummary;
      expect(summary.status).toBe('failed');
      expect(summary.error?.message).toContain(`node 'pub' (connection 'mq'): publishing to exchange '(default)' failed: the connection to the broker was lost`);
      expect(summary.error?.message).toMatch(/after \d+ of 20000 messages were sent \(\d+ confirmed: those stay published; /);
    } finally {
      proxy.close();
    }
  }, 60_000);

  it('fails the run saying how many messages the broker refused (nack) when a queue is full and rejects publishes', async () => {
    const qn = await queue('full', { 'x-max-length': 3, 'x-overflow': 'reject-publish' });
    const r = (await run('rabbit-full', `SELECT range AS id FROM range(10)`, { type: 'sink.rabbitmq', params: { connection: 'mq', routing_key: qn } })) as RunSummary;
    expect(r.status).toBe('failed');
    expect(r.error?.message).toContain(`node 'pub' (connection 'mq'): publishing to exchange '(default)' failed: the broker refused 7 of 10 messages (nack; the first: id pub-`);
    expect(r.error?.hint).toContain('x-max-length');
    expect(await depth(qn)).toBe(3);
  });

  it('refuses a routing key longer than AMQP allows (255 bytes), naming the row and the column; nothing is published', async () => {
    const qn = await queue('long-key');
    await ch.bindQueue(qn, 'amq.direct', qn);
    // 100 × 'é' is 100 characters but 200 bytes; 130 of them are over the limit.
    const sql = `SELECT range AS id, CASE WHEN range = 5 THEN repeat('é', 130) ELSE '${qn}' END AS rk FROM range(10) ORDER BY id`;
    const r = (await run('rabbit-long-key', sql, { type: 'sink.rabbitmq', params: { connection: 'mq', exchange: 'amq.direct', routing_key_column: 'rk' } })) as RunSummary;
    expect(r.status).toBe('failed');
    expect(r.error?.message).toBe("node 'pub': row 6 of the input has a routing key of 260 bytes in the routing key column 'rk': AMQP allows up to 255 bytes; nothing was published");
    await sleep(200);
    expect(await depth(qn)).toBe(0);
    // A fixed routing key that is too long is refused the same way, before connecting.
    const fixed = (await run('rabbit-long-fixed', `SELECT 1 AS id`, { type: 'sink.rabbitmq', params: { connection: 'mq', exchange: 'amq.direct', routing_key: 'k'.repeat(256) } })) as RunSummary;
    expect(fixed.status).toBe('failed');
    expect(fixed.error?.message).toContain("node 'pub': the routing key (param routing_key) is 256 bytes: AMQP allows up to 255 bytes");
  });
});

describe('sink.kafka, hostile', () => {
  it('publishes many small messages whose batch is larger than the broker accepts in one request', async () => {
    const out = await topic('many');
    // 1,000 messages of 2 kB: 2 MB in one send of the default batch size, over message.max.bytes (1 MB).
    const r = (await run('kafka-many', `SELECT range AS id, repeat('x', 2000) AS pad FROM range(1000)`, { type: 'sink.kafka', params: { connection: 'bus', topic: out } })) as RunSummary;
    expect(r.status, r.error?.message).toBe('succeeded');
    expect((await readCommitted(kafka, out)).length).toBe(1000);
  });

  it('refuses a message over the topic\'s size limit naming the row, its size and the limit; nothing is visible', async () => {
    const out = await topic('huge');
    const sql = `SELECT range AS id, repeat('x', CASE WHEN range = 3 THEN 2000000 ELSE 10 END) AS pad FROM range(10) ORDER BY id`;
    const r = (await run('kafka-huge', sql, { type: 'sink.kafka', params: { connection: 'bus', topic: out, key_column: 'id' } })) as RunSummary;
    expect(r.status).toBe('failed');
    expect(r.error?.message).toMatch(/writing to topic '[^']+' failed: row 4 of the input \(key '3'\) is a message of 2000\d+ bytes, over the topic's limit of 1048588 bytes \(max\.message\.bytes\)/);
    expect(await readCommitted(kafka, out, 2000)).toEqual([]);
  });

  it('sends a message over the limit uncompressed but under it gzipped (the broker checks the compressed batch)', async () => {
    const out = await topic('gzip');
    const r = (await run('kafka-gzip', `SELECT range AS id, repeat('x', 2000000) AS pad FROM range(2)`, { type: 'sink.kafka', params: { connection: 'bus', topic: out, compression: 'gzip' } })) as RunSummary;
    expect(r.status, r.error?.message).toBe('succeeded');
    expect((await readCommitted(kafka, out)).map((v) => v.length)).toEqual([2000017, 2000017]);
  });

  it('says that a topic does not exist (the sink does not create topics)', async () => {
    const missing = `caudal-mqh-missing-${suffix}`;
    const r = (await run('kafka-missing', `SELECT 1 AS id`, { type: 'sink.kafka', params: { connection: 'bus', topic: missing } })) as RunSummary;
    expect(r.status).toBe('failed');
    expect(r.error?.message).toContain(`writing to topic '${missing}' failed: the topic does not exist (sink.kafka does not create topics)`);
  });
});
