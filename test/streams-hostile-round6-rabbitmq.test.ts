import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import amqp, { type ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rabbitmqConnection } from '../core/src/connections/rabbitmq/rabbitmq.connection.js';
import { missingSecretField } from '../core/src/secrets/resolve.js';
import { pipeline, run, tempDir } from './support/pipeline.js';
import { connectTo, SERVICES } from './support/services.js';

/**
 * source.rabbitmq against the real broker, through the engine API: a connection without a stored
 * password says so when the broker refuses the login; a misspelt exchange leaves no queue behind
 * and says what is wrong; JSON booleans are not numbers (also for source.json, the same conversion).
 */
const url = new URL(SERVICES.amqpUrl);
const suffix = randomUUID().slice(0, 8);
const root = await tempDir('s39m-hr6-rabbitmq-');
const config = { host: url.hostname, port: Number(url.port), vhost: '/', user: decodeURIComponent(url.username), password: decodeURIComponent(url.password), tls: false, heartbeat_s: 30 };
const connections = { mq: { name: 'mq', type: 'rabbitmq', config } };
const withoutPassword = { mq: { ...connections.mq, config: { ...config, password: undefined } } };
const queues: string[] = [];
let conn: ChannelModel;

beforeAll(async () => {
  conn = await connectTo('rabbitmq', `${url.hostname}:${url.port}`, () => amqp.connect(SERVICES.amqpUrl));
});
afterAll(async () => {
  const ch = await conn.createChannel();
  for (const q of queues) await ch.deleteQueue(q).catch(() => undefined);
  await conn.close();
});

const queueName = (what: string) => {
  const q = `s39m_hr6_${what}_${suffix}`;
  queues.push(q);
  return q;
};

/** Whether the queue exists, asked on a channel of its own (the broker closes a channel that asks about a missing queue). */
async function queueExists(q: string): Promise<boolean> {
  const ch = await conn.createChannel();
  ch.on('error', () => undefined);
  try {
    await ch.checkQueue(q);
    await ch.close();
    return true;
  } catch {
    return false;
  }
}

async function runDoc(name: string, params: object, conns: object = connections) {
  const dir = path.join(root, name);
  await mkdir(dir, { recursive: true });
  const { runPipeline } = await import('../core/src/engine/engine.js');
  const nodes = [
    { id: 'ev', type: 'source.rabbitmq', params: { connection: 'mq', ...params } },
    { id: 'load', type: 'sink.json', params: { path: 'out.json', format: 'array' } },
  ];
  return runPipeline({
    pipeline: { format: 'caudal.pipeline/1', name, params: {}, connections: { mq: { type: 'rabbitmq' } }, nodes, edges: [{ from: 'ev:out', to: 'load:in' }] } as never,
    baseDir: dir,
    connections: conns as never,
  });
}

describe('a RabbitMQ connection without a stored password, on a broker that asks for one', () => {
  it('the run stops naming the node, the connection and the missing password, and how to provide it (declared columns)', async () => {
    const q = queueName('nopw');
    const ch = await conn.createChannel();
    await ch.assertQueue(q, { durable: true });
    await ch.close();
    const summary = await runDoc('nopw', { queue: q, columns: [{ name: 'id', type: 'INTEGER' }] }, withoutPassword);
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toBe("node 'ev' (connection 'mq'): the server asks for a password: connection 'mq' needs its password, which is not in the environment or the OS keychain");
    expect(summary.error?.message).not.toMatch(/ACCESS.REFUSED/);
    expect(summary.error?.hint).toContain('caudal connections add mq');
    expect(summary.error?.hint).toContain('CAUDAL_SECRET_MQ_PASSWORD');
  }, 60_000);

  it('so does sink.rabbitmq, before anything is published', async () => {
    const q = queueName('nopw_sink');
    const ch = await conn.createChannel();
    await ch.assertQueue(q, { durable: true });
    await ch.close();
    const dir = path.join(root, 'nopw-sink');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'rows.csv'), 'id\n1\n');
    const { runPipeline } = await import('../core/src/engine/engine.js');
    const nodes = [
      { id: 'src', type: 'source.csv', params: { path: 'rows.csv' } },
      { id: 'pub', type: 'sink.rabbitmq', params: { connection: 'mq', routing_key: q } },
    ];
    const summary = await runPipeline({
      pipeline: { format: 'caudal.pipeline/1', name: 'nopw-sink', params: {}, connections: { mq: { type: 'rabbitmq' } }, nodes, edges: [{ from: 'src:out', to: 'pub:in' }] } as never,
      baseDir: dir,
      connections: withoutPassword as never,
    });
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toBe("node 'pub' (connection 'mq'): the server asks for a password: connection 'mq' needs its password, which is not in the environment or the OS keychain");
    expect(summary.error?.hint).toContain('CAUDAL_SECRET_MQ_PASSWORD');
  }, 60_000);

  it('so does the inference of the value columns while the run is planned', async () => {
    const q = queueName('nopw_infer');
    const ch = await conn.createChannel();
    await ch.assertQueue(q, { durable: true });
    await ch.close();
    const summary = await runDoc('nopw-infer', { queue: q }, withoutPassword);
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toContain("connection 'mq' needs its password");
    expect(summary.error?.hint).toContain('caudal connections add mq');
  }, 60_000);

  it('and `connections test`: the connection type reports the missing password (the service names the connection)', async () => {
    const refused = await rabbitmqConnection.test({ ...config, password: undefined }).then(() => undefined, (e: unknown) => e);
    expect(missingSecretField(refused)).toBe('password');
  }, 60_000);

  it('a wrong password stored is still the broker\'s refusal, with the advice to check user and password', async () => {
    const q = queueName('wrongpw');
    const ch = await conn.createChannel();
    await ch.assertQueue(q, { durable: true });
    await ch.close();
    const summary = await runDoc('wrongpw', { queue: q, columns: [{ name: 'id', type: 'INTEGER' }] }, { mq: { ...connections.mq, config: { ...config, password: 'not-the-password' } } });
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toContain(`cannot consume queue '${q}'`);
    expect(summary.error?.hint).toContain('check the user and password');
  }, 60_000);
});

describe('source.rabbitmq bound to an exchange that does not exist', () => {
  it('declares no queue: the run fails saying the exchange does not exist, and the queue it would have declared is not there', async () => {
    const q = queueName('noexchange');
    const exchange = `s39m_hr6_nosuchexchange_${suffix}`;
    const summary = await runDoc('noexchange', { queue: q, exchange, columns: [{ name: 'id', type: 'INTEGER' }] });
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toContain(`cannot consume queue '${q}'`);
    expect(summary.error?.message).toMatch(/no exchange/);
    expect(summary.error?.hint).toContain(`the exchange '${exchange}' does not exist`);
    expect(summary.error?.hint).not.toContain('the queue is bound to it');
    expect(await queueExists(q)).toBe(false);
  }, 60_000);

  it('an existing queue is left as it was, its messages kept', async () => {
    const q = queueName('noexchange_existing');
    const ch = await conn.createChannel();
    await ch.assertQueue(q, { durable: true });
    ch.sendToQueue(q, Buffer.from('{"id":1}'));
    await ch.close();
    const summary = await runDoc('noexchange-existing', { queue: q, exchange: `s39m_hr6_nosuchexchange_${suffix}`, columns: [{ name: 'id', type: 'INTEGER' }] });
    expect(summary.status).toBe('failed');
    const probe = await conn.createChannel();
    expect((await probe.checkQueue(q)).messageCount).toBe(1);
    await probe.close();
  }, 60_000);

  it('with the exchange there, the queue is declared and bound as before', async () => {
    const q = queueName('bound');
    const exchange = `s39m_hr6_ex_${suffix}`;
    const ch = await conn.createChannel();
    await ch.assertExchange(exchange, 'topic', { durable: false, autoDelete: false });
    try {
      const summary = await runDoc('bound', { queue: q, exchange, routing_key: 'k.#', columns: [{ name: 'id', type: 'INTEGER' }] });
      expect(summary.status, summary.error?.message).toBe('succeeded');
      ch.publish(exchange, 'k.1', Buffer.from('{"id":7}'));
      const again = await runDoc('bound-2', { queue: q, exchange, routing_key: 'k.#', columns: [{ name: 'id', type: 'INTEGER' }] });
      expect(again.status, again.error?.message).toBe('succeeded');
      const rows = JSON.parse(await readFile(path.join(root, 'bound-2', 'out.json'), 'utf8')) as Array<{ id: number }>;
      expect(rows.map((r) => r.id)).toEqual([7]);
    } finally {
      await ch.deleteExchange(exchange).catch(() => undefined);
      await ch.close().catch(() => undefined);
    }
  }, 60_000);
});

describe('source.rabbitmq: a JSON boolean in an INTEGER value column', () => {
  it('is a poison message with on_error reject, not the number 1', async () => {
    const q = queueName('bools');
    const ch = await conn.createChannel();
    await ch.assertQueue(q, { durable: true });
    for (const body of ['{"id":1}', '{"id":true}', '{"id":3}']) ch.sendToQueue(q, Buffer.from(body));
    await ch.close();
    const dir = path.join(root, 'bools');
    await mkdir(dir, { recursive: true });
    const { runPipeline } = await import('../core/src/engine/engine.js');
    const nodes = [
      { id: 'ev', type: 'source.rabbitmq', params: { connection: 'mq', queue: q, on_error: 'reject', metadata: false, columns: [{ name: 'id', type: 'INTEGER' }] } },
      { id: 'load', type: 'sink.json', params: { path: 'out.json', format: 'array' } },
      { id: 'bad', type: 'sink.json', params: { path: 'bad.json', format: 'array' } },
    ];
    const summary = await runPipeline({
      pipeline: { format: 'caudal.pipeline/1', name: 'bools', params: {}, connections: { mq: { type: 'rabbitmq' } }, nodes, edges: [{ from: 'ev:out', to: 'load:in' }, { from: 'ev:rejects', to: 'bad:in' }] } as never,
      baseDir: dir,
      connections: connections as never,
    });
    expect(summary.status, summary.error?.message).toBe('succeeded');
    expect((JSON.parse(await readFile(path.join(dir, 'out.json'), 'utf8')) as Array<{ id: number }>).map((r) => r.id)).toEqual([1, 3]);
    const bad = JSON.parse(await readFile(path.join(dir, 'bad.json'), 'utf8')) as Array<{ _raw: string; _reason: string }>;
    expect(bad.map((r) => r._raw)).toEqual(['{"id":true}']);
    expect(bad[0]!._reason).toContain("'true' is not a number of type INTEGER");
  }, 60_000);
});

describe('source.json with listed INTEGER and DOUBLE columns', () => {
  async function readJson(name: string, lines: string[], columns: Array<{ name: string; type: string }>) {
    const dir = path.join(root, `json-${name}`);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'in.ndjson'), lines.join('\n') + '\n');
    const doc = pipeline([{ id: 'src', type: 'source.json', params: { path: 'in.ndjson', columns } }, { id: 'out', type: 'sink.json', params: { path: 'out.json', format: 'array' } }], ['src -> out']);
    const { summary } = await run(doc, dir);
    const text = await readFile(path.join(dir, 'out.json'), 'utf8').catch(() => undefined);
    return { summary, text };
  }

  it("refuses true in an INTEGER column: 'true' is not a number of type INTEGER (it was read as 1)", async () => {
    const { summary } = await readJson('int', ['{"id":true}'], [{ name: 'id', type: 'INTEGER' }]);
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toContain("'true' is not a number of type INTEGER");
  }, 60_000);

  it("refuses false in a DOUBLE column: 'false' is not a number of type DOUBLE (it was read as 0)", async () => {
    const { summary } = await readJson('double', ['{"x":false}'], [{ name: 'x', type: 'DOUBLE' }]);
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toContain("'false' is not a number of type DOUBLE");
  }, 60_000);

  it('a boolean inside a struct field of type FLOAT is refused too', async () => {
    const { summary } = await readJson('struct', ['{"s":{"f":true}}'], [{ name: 's', type: 'STRUCT(f FLOAT)' }]);
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toContain("'true' is not a number of type FLOAT");
  }, 60_000);

  it('numbers, numeric strings and nulls read as before; whole numbers beyond 2^53 keep their digits in BIGINT', async () => {
    const { summary, text } = await readJson(
      'numbers',
      ['{"id":9007199254740993,"x":12.5}', '{"id":2,"x":"2.5"}', '{"id":3,"x":null}', '{"id":4,"x":7}', '{"id":5,"x":1e300}'],
      [{ name: 'id', type: 'BIGINT' }, { name: 'x', type: 'DOUBLE' }],
    );
    expect(summary.status, summary.error?.message).toBe('succeeded');
    expect(text).toContain('9007199254740993');
    expect((JSON.parse(text!) as Array<{ x: number | null }>).map((r) => r.x)).toEqual([12.5, 2.5, null, 7, 1e300]);
  }, 60_000);

  it('a number too large for BIGINT still does not fit, and a text still is not a number', async () => {
    expect((await readJson('big', ['{"id":123456789012345678901234}'], [{ name: 'id', type: 'BIGINT' }])).summary.error?.message).toContain('does not fit BIGINT');
    expect((await readJson('text', ['{"x":"abc"}'], [{ name: 'x', type: 'DOUBLE' }])).summary.error?.message).toContain('is not a number of type DOUBLE');
  }, 60_000);
});
