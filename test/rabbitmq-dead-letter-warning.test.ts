import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import amqp from 'amqplib';
import { describe, expect, it } from 'vitest';
import { deadLetterExchangeOf } from '../core/src/connectors/rabbitmq/consume.js';
import { tempDir } from './support/pipeline.js';
import { rabbitmqSandbox } from './support/rabbitmq.js';
import { SERVICES } from './support/services.js';

/**
 * source.rabbitmq with on_error: dead_letter against the real broker: a queue without a dead-letter
 * exchange drops what is rejected without requeue, so the run says so (naming the queue) before it
 * rejects its poison messages; a queue with one gets them, without a warning. AMQP cannot read a
 * queue's arguments: the dead-letter exchange is learnt from the broker's refusal of a declare with
 * another one, which changes nothing.
 */
const root = await tempDir('caudal-rabbitmq-dlx-');
const { channel, queue, connections } = rabbitmqSandbox('rdlx');

type Row = Record<string, unknown>;

async function runDoc(name: string, qn: string) {
  const dir = path.join(root, name);
  await mkdir(dir, { recursive: true });
  const { runPipeline } = await import('../core/src/engine/engine.js');
  const warnings: string[] = [];
  const nodes = [
    { id: 'ev', type: 'source.rabbitmq', params: { connection: 'mq', queue: qn, on_error: 'dead_letter', columns: [{ name: 'id', type: 'INTEGER' }] } },
    { id: 'load', type: 'sink.json', params: { path: 'out.json', format: 'array' } },
    { id: 'bad', type: 'sink.json', params: { path: 'rejects.json', format: 'array' } },
  ];
  const summary = await runPipeline({
    pipeline: { format: 'caudal.pipeline/1', name, params: {}, connections: { mq: { type: 'rabbitmq' } }, nodes, edges: [{ from: 'ev:out', to: 'load:in' }, { from: 'ev:rejects', to: 'bad:in' }] } as never,
    baseDir: dir,
    connections: connections as never,
    onEvent: (e) => void (e.type === 'warning' && warnings.push(e.message)),
  });
  const read = (file: string) => readFile(path.join(dir, file), 'utf8').then((x) => JSON.parse(x) as Row[], () => undefined);
  return { summary, warnings, rows: await read('out.json'), rejects: await read('rejects.json') };
}

function sendGoodAndPoison(qn: string): void {
  channel().sendToQueue(qn, Buffer.from(JSON.stringify({ id: 1 })));
  channel().sendToQueue(qn, Buffer.from('not json {'));
}

describe('source.rabbitmq on_error: dead_letter', () => {
  it('on a queue without a dead-letter exchange warns, naming the queue, that its poison messages are dropped', async () => {
    const qn = await queue('no-dlx');
    sendGoodAndPoison(qn);
    const { summary, warnings, rows, rejects } = await runDoc('no-dlx', qn);
    expect(summary.status, summary.error?.message).toBe('succeeded');
    expect(rows?.map((r) => r.id)).toEqual([1]);
    expect(rejects).toHaveLength(1);
    const said = warnings.filter((w) => w.includes('dead-letter exchange'));
    expect(said).toHaveLength(1);
    expect(said[0]).toContain(`queue '${qn}' has no dead-letter exchange (no x-dead-letter-exchange argument)`);
    expect(said[0]).toContain('1 poison message of this batch');
    // What the warning says: the broker dropped it.
    expect((await channel().checkQueue(qn)).messageCount).toBe(0);
  }, 60_000);

  it('on a queue with a dead-letter exchange the poison message is dead-lettered, without a warning', async () => {
    const dlq = await queue('dlq');
    const qn = await queue('with-dlx', { durable: true, arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': dlq } });
    sendGoodAndPoison(qn);
    const { summary, warnings, rows } = await runDoc('with-dlx', qn);
    expect(summary.status, summary.error?.message).toBe('succeeded');
    expect(rows?.map((r) => r.id)).toEqual([1]);
    expect(warnings.filter((w) => w.includes('dead-letter exchange'))).toEqual([]);
    const dead = await channel().get(dlq, { noAck: true });
    expect(dead && dead.content.toString()).toBe('not json {');
  }, 60_000);

  it('a run without poison messages does not warn', async () => {
    const qn = await queue('clean');
    channel().sendToQueue(qn, Buffer.from(JSON.stringify({ id: 7 })));
    const { summary, warnings, rows } = await runDoc('clean', qn);
    expect(summary.status, summary.error?.message).toBe('succeeded');
    expect(rows?.map((r) => r.id)).toEqual([7]);
    expect(warnings.filter((w) => w.includes('dead-letter exchange'))).toEqual([]);
  }, 60_000);
});

describe('deadLetterExchangeOf', () => {
  it("tells a queue's dead-letter exchange from the broker's refusal, whatever its durability, auto-delete and TTL, and changes nothing", async () => {
    const cases: Array<[string, amqp.Options.AssertQueue, string | null]> = [
      ['plain', { durable: true }, null],
      ['named', { durable: true, arguments: { 'x-dead-letter-exchange': 'caudal-dlx' } }, 'caudal-dlx'],
      ['default-exchange', { durable: true, arguments: { 'x-dead-letter-exchange': '' } }, ''],
      ['transient', { durable: false, autoDelete: true }, null],
      ['ttl', { durable: false, arguments: { 'x-message-ttl': 60_000, 'x-expires': 3_600_000, 'x-dead-letter-exchange': 'after-ttl' } }, 'after-ttl'],
      ['ttl-none', { durable: true, arguments: { 'x-message-ttl': 60_000 } }, null],
      ['quorum', { durable: true, arguments: { 'x-queue-type': 'quorum', 'x-dead-letter-exchange': 'q-dlx' } }, 'q-dlx'],
    ];
    const conn = await amqp.connect(SERVICES.amqpUrl);
    try {
      for (const [what, opts, expected] of cases) {
        const qn = await queue(`probe-${what}`, opts);
        channel().sendToQueue(qn, Buffer.from('kept'));
        expect([what, await deadLetterExchangeOf(conn, qn)]).toEqual([what, expected]);
        // Nothing changed: the queue is there with its message, and declaring it as it was still works.
        expect([what, (await channel().checkQueue(qn)).messageCount]).toEqual([what, 1]);
        await channel().assertQueue(qn, opts);
      }
      // A queue that does not exist is not created.
      const missing = `caudal-rdlx-missing-${Date.now()}`;
      expect(await deadLetterExchangeOf(conn, missing)).toBeUndefined();
      const check = await conn.createChannel();
      check.on('error', () => undefined);
      await expect(check.checkQueue(missing)).rejects.toMatchObject({ code: 404 });
    } finally {
      await conn.close();
    }
  }, 60_000);
});
