import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import amqp, { type ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTo, SERVICES } from '../../../../test/support/services.js';
import { RabbitConsumerSession } from './consume.js';

/**
 * RabbitMQ acks get no reply, and amqplib only queues them on the socket: acknowledging a batch
 * on a connection that just dropped "succeeded" while the broker never got the acks and delivered
 * the batch again. The session confirms its acks with a round trip to the broker, so a lost
 * acknowledgement fails (and the run can say that the messages come again). Against the real broker.
 */
const url = new URL(SERVICES.amqpUrl);
const config = { host: url.hostname, port: Number(url.port), vhost: '/', user: decodeURIComponent(url.username), password: decodeURIComponent(url.password), tls: false, heartbeat_s: 30 };
const queue = `stream-ack-${randomUUID().slice(0, 8)}`;
let conn: ChannelModel;

beforeAll(async () => {
  conn = await connectTo('rabbitmq', `${url.hostname}:${url.port}`, () => amqp.connect(SERVICES.amqpUrl));
  const ch = await conn.createChannel();
  await ch.assertQueue(queue, { durable: false });
  await ch.close();
});

afterAll(async () => {
  const ch = await conn.createChannel();
  await ch.deleteQueue(queue).catch(() => undefined);
  await conn.close();
});

async function publish(bodies: string[]): Promise<void> {
  const ch = await conn.createConfirmChannel();
  for (const b of bodies) ch.sendToQueue(queue, Buffer.from(b));
  await ch.waitForConfirms();
  await ch.close();
}

const spec = { queue, maxRows: 10, maxWaitMs: 0 };
const control = { watch: false, stopping: () => false, isCancelled: () => false };

describe('RabbitConsumerSession.ack', () => {
  it('resolves once the broker has the acks: the messages are gone from the queue', async () => {
    await publish(['{"id":1}', '{"id":2}']);
    const session = await RabbitConsumerSession.open(config, spec);
    try {
      expect((await session.read(spec, control)).messages).toHaveLength(2);
      await session.ack();
    } finally {
      await session.close();
    }
    const again = await RabbitConsumerSession.open(config, spec);
    try {
      expect((await again.read(spec, control)).messages).toHaveLength(0);
    } finally {
      await again.close();
    }
  });

  it('fails, naming the queue and the cause, when the connection drops before the acks reach the broker; the broker delivers the batch again', async () => {
    await publish(['{"id":3}', '{"id":4}', '{"id":5}']);
    const session = await RabbitConsumerSession.open(config, spec);
    try {
      expect((await session.read(spec, control)).messages).toHaveLength(3);
      // The network goes away just as the run acknowledges its committed batch.
      (session as unknown as { conn: { connection: { stream: Socket } } }).conn.connection.stream.destroy(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
      await expect(session.ack()).rejects.toThrow(new RegExp(`^acknowledging 3 messages of queue '${queue}' failed: `));
    } finally {
      await session.close();
    }
    const again = await RabbitConsumerSession.open(config, spec);
    try {
      expect((await again.read(spec, control)).messages.map((m) => m.content.toString())).toEqual(['{"id":3}', '{"id":4}', '{"id":5}']);
      await again.ack();
    } finally {
      await again.close();
    }
  });
});

/**
 * A plain run reads what was queued when it started, as the Kafka source reads up to the end offsets
 * taken at its start: producers that keep sending must not keep it reading (and holding every message
 * unacknowledged) until max_rows. A --watch batch is not bounded by that count.
 */
describe('RabbitConsumerSession.read bounds a plain run by the messages queued when it starts', () => {
  async function freshQueue(what: string): Promise<string> {
    const name = `stream-bound-${what}-${randomUUID().slice(0, 8)}`;
    const ch = await conn.createChannel();
    await ch.assertQueue(name, { durable: false });
    await ch.close();
    return name;
  }
  async function publishTo(name: string, bodies: string[]): Promise<void> {
    const ch = await conn.createConfirmChannel();
    for (const b of bodies) ch.sendToQueue(name, Buffer.from(b));
    await ch.waitForConfirms();
    await ch.close();
  }
  /** Everything left in the queue, in order, with its redelivered flag; the queue is deleted. */
  async function drain(name: string): Promise<Array<[string, boolean]>> {
    const ch = await conn.createChannel();
    const out: Array<[string, boolean]> = [];
    for (let m = await ch.get(name, { noAck: true }); m; m = await ch.get(name, { noAck: true })) out.push([m.content.toString(), m.fields.redelivered]);
    await ch.deleteQueue(name);
    await ch.close();
    return out;
  }

  it('takes the 10 queued messages and returns at once while a producer keeps sending; what was sent after stays queued, not redelivered', async () => {
    const name = await freshQueue('trickle');
    const spec10k = { queue: name, maxRows: 10_000, maxWaitMs: 1000 };
    await publishTo(name, Array.from({ length: 10 }, (_, i) => `q${i}`));
    const session = await RabbitConsumerSession.open(config, spec10k);
    let stop = false;
    let sent = 0;
    let trickle: Promise<void> = Promise.resolve();
    try {
      const t0 = Date.now();
      const reading = session.read(spec10k, control);
      // A producer that sends one message every 100 ms, starting just after the run began reading.
      trickle = (async () => {
        await new Promise((r) => setTimeout(r, 100));
        while (!stop && sent < 100) {
          await publishTo(name, [`t${sent++}`]);
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      let timer: NodeJS.Timeout | undefined;
      const batch = await Promise.race([reading, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('the plain read was still going after 5 s')), 5000)))]).finally(() => clearTimeout(timer));
      expect(Date.now() - t0).toBeLessThan(1000);
      expect(batch.messages.map((m) => m.content.toString())).toEqual(Array.from({ length: 10 }, (_, i) => `q${i}`));
      // Acknowledging the batch does not pull the producer's later messages into this session.
      await new Promise((r) => setTimeout(r, 300));
      await session.ack();
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      stop = true;
      await trickle;
      await session.close();
    }
    expect(sent).toBeGreaterThan(0);
    expect(await drain(name)).toEqual(Array.from({ length: sent }, (_, i) => [`t${i}`, false]));
  }, 30_000);

  it('with max_rows below the queued count, takes max_rows and leaves the rest for the next run', async () => {
    const name = await freshQueue('cap');
    const spec3 = { queue: name, maxRows: 3, maxWaitMs: 1000 };
    await publishTo(name, ['a', 'b', 'c', 'd', 'e']);
    const session = await RabbitConsumerSession.open(config, spec3);
    try {
      expect((await session.read(spec3, control)).messages.map((m) => m.content.toString())).toEqual(['a', 'b', 'c']);
      await session.ack();
    } finally {
      await session.close();
    }
    expect(await drain(name)).toEqual([['d', false], ['e', false]]);
  }, 30_000);

  it('an empty queue: returns at once with nothing, and a message sent just after is not taken', async () => {
    const name = await freshQueue('empty');
    const specE = { queue: name, maxRows: 100, maxWaitMs: 1000 };
    const session = await RabbitConsumerSession.open(config, specE);
    try {
      const t0 = Date.now();
      const reading = session.read(specE, control);
      await publishTo(name, ['late']);
      expect((await reading).messages).toHaveLength(0);
      expect(Date.now() - t0).toBeLessThan(300);
      await session.ack();
    } finally {
      await session.close();
    }
    expect(await drain(name)).toEqual([['late', false]]);
  }, 30_000);

  it('a --watch batch on a queue empty when it started still waits for, and takes, the messages that come', async () => {
    const name = await freshQueue('watch');
    const specW = { queue: name, maxRows: 100, maxWaitMs: 200 };
    const watch = { watch: true, stopping: () => false, isCancelled: () => false };
    const session = await RabbitConsumerSession.open(config, specW);
    try {
      const reading = session.read(specW, watch);
      await new Promise((r) => setTimeout(r, 200));
      await publishTo(name, ['w1', 'w2']);
      expect((await reading).messages.map((m) => m.content.toString())).toEqual(['w1', 'w2']);
      await session.ack();
      await publishTo(name, ['w3']);
      expect((await session.read(specW, watch)).messages.map((m) => m.content.toString())).toEqual(['w3']);
      await session.ack();
    } finally {
      await session.close();
    }
    expect(await drain(name)).toEqual([]);
  }, 30_000);
});
