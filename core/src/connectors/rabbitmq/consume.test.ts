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
