import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunEvent, RunSummary } from '../core/src/engine/protocol.js';
import { tempDir } from './support/pipeline.js';
import { connectTo, SERVICES } from './support/services.js';

/**
 * sink.rabbitmq and source.rabbitmq against the real broker, through the engine API (the sources
 * under test, no build): unroutable messages fail the run, NULL keys and bodies are refused, message
 * ids survive a re-run, and a queue deleted under a --watch fails it.
 */
let conn: ChannelModel;
let ch: Channel;
const suffix = randomUUID().slice(0, 8);
const queues: string[] = [];
const exchanges: string[] = [];
const root = await tempDir('caudal-rabbitmq-guarantees-');
const url = new URL(SERVICES.amqpUrl);
const connections = {
  mq: { name: 'mq', type: 'rabbitmq', config: { host: url.hostname, port: Number(url.port), vhost: '/', user: decodeURIComponent(url.username), password: decodeURIComponent(url.password), tls: false, heartbeat_s: 30 } },
};

beforeAll(async () => {
  conn = await connectTo('rabbitmq', `${url.hostname}:${url.port}`, () => amqp.connect(SERVICES.amqpUrl));
  ch = await conn.createChannel();
});

afterAll(async () => {
  for (const name of queues) await ch?.deleteQueue(name).catch(() => undefined);
  for (const name of exchanges) await ch?.deleteExchange(name).catch(() => undefined);
  await conn?.close();
});

async function queue(name: string): Promise<string> {
  const qn = `caudal-rmqg-${name}-${suffix}`;
  await ch.assertQueue(qn, { durable: true });
  queues.push(qn);
  return qn;
}

const depth = async (qn: string) => (await ch.checkQueue(qn)).messageCount;

async function drain(qn: string): Promise<Array<{ body: string; id: string }>> {
  const out: Array<{ body: string; id: string }> = [];
  for (;;) {
    const m = await ch.get(qn, { noAck: true });
    if (!m) return out;
    out.push({ body: m.content.toString(), id: String(m.properties.messageId) });
  }
}

async function run(name: string, nodes: object[], edges: Array<[string, string]>, opts: { watch?: boolean; onEvent?: (e: RunEvent) => void } = {}) {
  const dir = path.join(root, name);
  await mkdir(dir, { recursive: true });
  const { startRun } = await import('../core/src/engine/engine.js');
  return startRun({
    pipeline: { format: 'caudal.pipeline/1', name, params: {}, connections: { mq: { type: 'rabbitmq' } }, nodes, edges: edges.map(([f, t]) => ({ from: f.includes(':') ? f : `${f}:out`, to: `${t}:in` })) } as never,
    baseDir: dir,
    connections: connections as never,
    watch: opts.watch ?? false,
    onEvent: opts.onEvent,
  });
}

const rows = (sql: string) => ({ id: 'src', type: 'transform.sql', params: { query: sql } });

describe('sink.rabbitmq', () => {
  it('fails the run, naming exchange and routing key, when no queue receives the messages (default exchange: before publishing)', async () => {
    const typo = `caudal-rmqg-nosuchqueue-${suffix}`;
    const r = await (await run('unroutable-default', [rows('SELECT range AS id FROM range(3)'), { id: 'pub', type: 'sink.rabbitmq', params: { connection: 'mq', routing_key: typo } }], [['src', 'pub']])).done;
    expect(r.status).toBe('failed');
    expect(r.error?.message).toContain(`no queue receives messages sent to exchange '(default)' with routing key '${typo}'`);
    expect(r.error?.message).toContain('nothing was published');
  });

  it('fails the run when a named exchange has no binding for a routing key (the broker returns the mandatory message)', async () => {
    const ex = `caudal-rmqg-ex-${suffix}`;
    await ch.assertExchange(ex, 'direct', { durable: false });
    exchanges.push(ex);
    const good = await queue('bound');
    await ch.bindQueue(good, ex, 'good');
    const r = await (
      await run('unroutable-exchange', [rows(`SELECT range AS id, CASE WHEN range = 4 THEN 'typo' ELSE 'good' END AS rk FROM range(6)`), { id: 'pub', type: 'sink.rabbitmq', params: { connection: 'mq', exchange: ex, routing_key_column: 'rk' } }], [['src', 'pub']])
    ).done;
    expect(r.status).toBe('failed');
    expect(r.error?.message).toContain(`1 message was returned as unroutable`);
    expect(r.error?.message).toContain(`exchange '${ex}' with routing key 'typo'`);
    // The ok case: every row routed, the run succeeds.
    const ok = await (await run('routable-exchange', [rows(`SELECT range AS id, 'good' AS rk FROM range(5)`), { id: 'pub', type: 'sink.rabbitmq', params: { connection: 'mq', exchange: ex, routing_key_column: 'rk' } }], [['src', 'pub']])).done;
    expect(ok.status, ok.error?.message).toBe('succeeded');
  });

  it('refuses a NULL value or routing key, naming the column and the row; nothing is published', async () => {
    const qn = await queue('nulls');
    const pub = (extra: object) => ({ id: 'pub', type: 'sink.rabbitmq', params: { connection: 'mq', ...extra } });
    const v = await (await run('null-value', [rows(`SELECT range AS id, CASE range WHEN 1 THEN NULL ELSE 'x' END AS v FROM range(3) ORDER BY id`), pub({ routing_key: qn, value_column: 'v' })], [['src', 'pub']])).done;
    expect(v.status).toBe('failed');
    expect(v.error?.message).toBe("node 'pub': row 2 of the input has NULL in the value column 'v': it would be sent as an empty body, the same as an empty text; nothing was published");
    const k = await (
      await run('null-key', [rows(`SELECT range AS id, CASE WHEN range >= 1 THEN NULL ELSE '${qn}' END AS rk FROM range(4) ORDER BY id`), pub({ routing_key_column: 'rk' })], [['src', 'pub']])
    ).done;
    expect(k.status).toBe('failed');
    expect(k.error?.message).toContain("row 2 of the input has NULL in the routing key column 'rk' (and 2 more rows): a message without a routing key reaches no queue");
    await sleep(200);
    expect(await depth(qn)).toBe(0);
  });

  it('gives a message sent again by another run the same id, so consumers can drop duplicates', async () => {
    const qn = await queue('ids');
    const nodes = [rows(`SELECT range % 3 AS id FROM range(5)`), { id: 'pub', type: 'sink.rabbitmq', params: { connection: 'mq', routing_key: qn } }];
    const first = await (await run('ids', nodes, [['src', 'pub']])).done;
    const second = await (await run('ids', nodes, [['src', 'pub']])).done;
    expect([first.status, second.status]).toEqual(['succeeded', 'succeeded']);
    await sleep(200);
    const got = await drain(qn);
    expect(got).toHaveLength(10);
    const idsOf = (body: string, from: Array<{ body: string; id: string }>) => from.filter((m) => m.body === body).map((m) => m.id).sort();
    // Per run: 0 and 1 twice (two ids each), 2 once; the second run repeats exactly the same ids.
    expect(new Set(got.slice(0, 5).map((m) => m.id)).size).toBe(5);
    expect(got.slice(5).map((m) => m.id).sort()).toEqual(got.slice(0, 5).map((m) => m.id).sort());
    expect(idsOf('{"id":0}', got.slice(0, 5))).toHaveLength(2);
    expect(got[0]!.id).toMatch(/^pub-[0-9a-f]{32}-\d+$/);
  });
});

describe('source.rabbitmq --watch', () => {
  it('fails, saying so, when its queue is deleted under it (instead of waiting forever)', async () => {
    const qn = await queue('deleted');
    ch.sendToQueue(qn, Buffer.from('{"id": 1}'), { persistent: true });
    const events: RunEvent[] = [];
    const handle = await run(
      'deleted',
      [{ id: 'q', type: 'source.rabbitmq', params: { connection: 'mq', queue: qn, columns: [{ name: 'id', type: 'INTEGER' }], max_wait_ms: 100 } }, { id: 'load', type: 'sink.duckdb', params: { database: 'wh.duckdb', table: 'events', mode: 'append' } }],
      [['q', 'load']],
      { watch: true, onEvent: (e) => events.push(e) },
    );
    for (let i = 0; i < 200 && !events.some((e) => e.type === 'batch_finished'); i++) await sleep(50);
    await ch.deleteQueue(qn);
    const summary = (await Promise.race([handle.done, sleep(15_000).then(() => undefined)])) as RunSummary | undefined;
    if (!summary) handle.stop();
    expect(summary?.status).toBe('failed');
    expect(summary?.error?.message).toContain(`the broker cancelled the consumer of queue '${qn}': the queue was deleted`);
    expect(summary?.batches?.committed).toBe(1);
  });
});
