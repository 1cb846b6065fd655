import { randomUUID } from 'node:crypto';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { afterAll, beforeAll } from 'vitest';
import { connectTo, SERVICES } from './services.js';

/**
 * The test broker for one spec file: a channel opened before its tests, the queues it declares
 * (named `caudal-<prefix>-<what>-<random>`, so files and reruns never share one) deleted after them,
 * and the resolved connection the engine is given for `mq`.
 */
export function rabbitmqSandbox(prefix: string) {
  const url = new URL(SERVICES.amqpUrl);
  const suffix = randomUUID().slice(0, 8);
  const queues: string[] = [];
  let conn: ChannelModel | undefined;
  let ch: Channel | undefined;
  beforeAll(async () => {
    conn = await connectTo('rabbitmq', `${url.hostname}:${url.port}`, () => amqp.connect(SERVICES.amqpUrl));
    ch = await conn.createChannel();
  });
  afterAll(async () => {
    for (const name of queues) await ch?.deleteQueue(name).catch(() => undefined);
    await conn?.close();
  });
  const channel = (): Channel => {
    if (!ch) throw new Error('the RabbitMQ channel opens in beforeAll');
    return ch;
  };
  return {
    channel,
    /** Declares a queue of this file, deleted after its tests. */
    async queue(what: string, opts: amqp.Options.AssertQueue = { durable: true }): Promise<string> {
      const name = `caudal-${prefix}-${what}-${suffix}`;
      await channel().assertQueue(name, opts);
      queues.push(name);
      return name;
    },
    connections: {
      mq: { name: 'mq', type: 'rabbitmq', config: { host: url.hostname, port: Number(url.port), vhost: '/', user: decodeURIComponent(url.username), password: decodeURIComponent(url.password), tls: false, heartbeat_s: 30 } },
    },
  };
}
