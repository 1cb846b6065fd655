import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caudal, startCaudal, startWatching } from './support/cli.js';
import { tempDir } from './support/pipeline.js';
import { PG, pgSandbox, pgSecretEnv } from './support/postgres.js';
import { connectTo, SERVICES } from './support/services.js';
import { inDb } from './support/duckdb.js';

/**
 * source.rabbitmq and sink.rabbitmq against the real broker (test/services/up.sh): acknowledgements
 * only after the commit, messages of a failed run back on the queue, poison messages to the rejects
 * port and the dead-letter exchange, publishing only on commit, and --watch under kill -9.
 */
let conn: ChannelModel;
let ch: Channel;
const suffix = randomUUID().slice(0, 8);
const queues: string[] = [];
const root = await tempDir('caudal-rabbitmq-');
const { schema, q } = await pgSandbox();
const url = new URL(SERVICES.amqpUrl);

beforeAll(async () => {
  conn = await connectTo('rabbitmq', `${url.hostname}:${url.port}`, () => amqp.connect(SERVICES.amqpUrl));
  ch = await conn.createChannel();
});

afterAll(async () => {
  for (const name of queues) await ch?.deleteQueue(name).catch(() => undefined);
  await conn?.close();
});

async function queue(name: string, args: Record<string, unknown> = {}): Promise<string> {
  const qn = `caudal-test-${name}-${suffix}`;
  await ch.assertQueue(qn, { durable: true, arguments: args });
  queues.push(qn);
  return qn;
}

function send(qn: string, from: number, to: number, body = (i: number) => JSON.stringify({ id: i % 5000, seq: i })): void {
  for (let i = from; i < to; i++) ch.sendToQueue(qn, Buffer.from(body(i)), { persistent: true });
}

async function project(name: string, nodes: object[], edges: Array<[string, string]>): Promise<{ dir: string; env: NodeJS.ProcessEnv; run: (...a: string[]) => ReturnType<typeof caudal> }> {
  const dir = path.join(root, name);
  await mkdir(dir, { recursive: true });
  await writeFile(
    path.join(dir, 'caudal.connections.json'),
    JSON.stringify({
      format: 'caudal.connections/1',
      connections: {
        mq: { type: 'rabbitmq', host: url.hostname, port: Number(url.port), user: decodeURIComponent(url.username) },
        db: { type: 'postgres', host: PG.host, port: PG.port, database: PG.database, user: PG.user },
      },
    }),
  );
  const doc = { format: 'caudal.pipeline/1', name, params: {}, connections: { mq: { type: 'rabbitmq' }, db: { type: 'postgres' } }, nodes, edges: edges.map(([f, t]) => ({ from: f.includes(':') ? f : `${f}:out`, to: `${t}:in` })) };
  await writeFile(path.join(dir, 'pipeline.json'), JSON.stringify(doc, null, 2));
  const env = { ...pgSecretEnv('db'), CAUDAL_SECRET_MQ_PASSWORD: decodeURIComponent(url.password), CAUDAL_RUNTIME_DIR: path.join(dir, 'runtime'), CAUDAL_CONFIG_DIR: path.join(dir, 'config') };
  return { dir, env, run: (...a) => caudal(['run', 'pipeline.json', ...a], { cwd: dir, env }) };
}

const query = inDb;

const depth = async (qn: string) => (await ch.checkQueue(qn)).messageCount;
const columns = [{ name: 'id', type: 'INTEGER' }, { name: 'seq', type: 'BIGINT' }];

describe('source.rabbitmq', () => {
  it('consumes what is queued, acknowledging only after the run committed; a failed run puts it all back', async () => {
    const qn = await queue('batch');
    send(qn, 0, 500);
    await sleep(200);
    const failing = await project('batch-fails', [
      { id: 'mq', type: 'source.rabbitmq', params: { connection: 'mq', queue: qn, columns } },
      { id: 'bad', type: 'transform.derive', params: { columns: [{ name: 'x', expression: `CASE WHEN seq = 250 THEN error('poison row') ELSE 1 END` }] } },
      { id: 'load', type: 'sink.duckdb', params: { database: 'wh.duckdb', table: 'events', mode: 'append' } },
    ], [['mq', 'bad'], ['bad', 'load']]);
    expect((await failing.run('-q')).code).toBe(1);
    expect(await depth(qn)).toBe(500);

    const ok = await project('batch', [
      { id: 'mq', type: 'source.rabbitmq', params: { connection: 'mq', queue: qn, columns } },
      { id: 'load', type: 'sink.duckdb', params: { database: 'wh.duckdb', table: 'events', mode: 'append' } },
    ], [['mq', 'load']]);
    const r = await ok.run('-q');
    expect(r.code, r.stderr).toBe(0);
    expect(await query(path.join(ok.dir, 'wh.duckdb'), 'SELECT count(*)::INT AS n, count(DISTINCT seq)::INT AS d FROM events')).toEqual([{ n: 500, d: 500 }]);
    expect(await depth(qn)).toBe(0);
    expect((await ok.run('-q')).code).toBe(0);
    expect(await query(path.join(ok.dir, 'wh.duckdb'), 'SELECT count(*)::INT AS n FROM events')).toEqual([{ n: 500 }]);
  });

  it('"run up to here" on the source puts every message back: no sink received them', async () => {
    const qn = await queue('up-to-here');
    send(qn, 0, 120);
    await sleep(200);
    const p = await project('up-to-here', [
      { id: 'mq', type: 'source.rabbitmq', params: { connection: 'mq', queue: qn, columns } },
      { id: 'load', type: 'sink.duckdb', params: { database: 'wh.duckdb', table: 'events', mode: 'append' } },
    ], [['mq', 'load']]);
    const partial = await p.run('--node', 'mq', '-q');
    expect(partial.code, partial.stderr).toBe(0);
    expect(await depth(qn)).toBe(120);
    expect((await p.run('-q')).code).toBe(0);
    expect(await query(path.join(p.dir, 'wh.duckdb'), 'SELECT count(*)::INT AS n, count(DISTINCT seq)::INT AS d FROM events')).toEqual([{ n: 120, d: 120 }]);
    expect(await depth(qn)).toBe(0);
  });

  it('sends poison messages (not JSON, or not fitting the columns) to the rejects port and, with dead_letter, to the queue\'s dead-letter exchange', async () => {
    const dlq = await queue('dead');
    const qn = await queue('poison', { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': dlq });
    send(qn, 0, 20, (i) => (i % 7 === 3 ? `garbage ${i}` : i === 5 ? '{"id": "five", "seq": 5}' : JSON.stringify({ id: i, seq: i })));
    await sleep(200);
    const p = await project('poison', [
      { id: 'mq', type: 'source.rabbitmq', params: { connection: 'mq', queue: qn, columns, on_error: 'dead_letter' } },
      { id: 'load', type: 'sink.duckdb', params: { database: 'wh.duckdb', table: 'events', mode: 'append' } },
      { id: 'bad', type: 'sink.csv', params: { path: 'rejects.csv' } },
    ], [['mq', 'load'], ['mq:rejects', 'bad']]);
    const r = await p.run();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("4 messages did not decode and were set aside on the 'rejects' port");
    expect(await query(path.join(p.dir, 'wh.duckdb'), 'SELECT count(*)::INT AS n FROM events')).toEqual([{ n: 16 }]);
    expect((await query(':memory:', `SELECT _raw FROM '${path.join(p.dir, 'rejects.csv')}' ORDER BY _raw`)).map((x) => x._raw)).toEqual(['garbage 10', 'garbage 17', 'garbage 3', '{"id": "five", "seq": 5}']);
    await sleep(200);
    expect(await depth(qn)).toBe(0);
    expect(await depth(dlq)).toBe(4);
  });
});

describe('sink.rabbitmq', () => {
  it('publishes nothing when the run fails, every row when it commits', async () => {
    const qn = await queue('published');
    const src = { id: 'src', type: 'transform.sql', params: { query: 'SELECT range AS id FROM range(200)' } };
    const pub = { id: 'pub', type: 'sink.rabbitmq', params: { connection: 'mq', routing_key: qn } };
    const failing = await project('publish-fails', [
      src,
      pub,
      { id: 'bad', type: 'transform.derive', params: { columns: [{ name: 'x', expression: `CASE WHEN id = 199 THEN error('late') ELSE 1 END` }] } },
      { id: 'csv', type: 'sink.csv', params: { path: 'x.csv' } },
    ], [['src', 'pub'], ['src', 'bad'], ['bad', 'csv']]);
    expect((await failing.run('-q')).code).toBe(1);
    await sleep(300);
    expect(await depth(qn)).toBe(0);
    const ok = await project('publish', [src, pub], [['src', 'pub']]);
    expect((await ok.run('-q')).code).toBe(0);
    await sleep(300);
    expect(await depth(qn)).toBe(200);
    const first = await ch.get(qn, { noAck: true });
    expect(first && JSON.parse(first.content.toString())).toEqual({ id: expect.any(Number) });
    expect(first && first.properties.messageId).toMatch(/^pub-[0-9a-f]{32}-\d+$/);
  });
});

describe('source.rabbitmq --watch survives kill -9', () => {
  it('delivers every message at least once into an append log and exactly once by key into an upsert table', async () => {
    const TOTAL = 60_000;
    const qn = await queue('watch');
    const p = await project('watch', [
      { id: 'mq', type: 'source.rabbitmq', params: { connection: 'mq', queue: qn, columns, max_rows: 5_000, max_wait_ms: 200 } },
      { id: 'latest', type: 'transform.dedupe', params: { keys: ['id'], keep: 'last', order_by: [{ column: 'seq' }] } },
      { id: 'mirror', type: 'sink.postgres', params: { connection: 'db', schema, table: 'rmq_latest', mode: 'upsert', keys: ['id'] } },
      { id: 'log', type: 'sink.postgres', params: { connection: 'db', schema, table: 'rmq_log', mode: 'append' } },
    ], [['mq', 'latest'], ['latest', 'mirror'], ['mq', 'log']]);
    const producing = (async () => {
      for (let i = 0; i < TOTAL; i += 2_000) {
        send(qn, i, i + 2_000);
        await sleep(50);
      }
    })();
    for (let k = 0; k < 3; k++) {
      const { child, result } = startCaudal(['run', 'pipeline.json', '--watch', '-q'], { cwd: p.dir, env: p.env });
      await sleep(2_000 + Math.random() * 2_000);
      child.kill('SIGKILL');
      await result;
    }
    await producing;
    const { child, result, running } = startWatching(['run', 'pipeline.json', '--watch'], { cwd: p.dir, env: p.env });
    const deadline = Date.now() + 120_000;
    for (;;) {
      const [{ d }] = (await q<{ d: number }>('SELECT count(DISTINCT seq)::int AS d FROM rmq_log').catch(() => [{ d: 0 }])) as [{ d: number }];
      if (d >= TOTAL && (await depth(qn)) === 0) break;
      if (Date.now() > deadline) {
        // Say what the watcher was doing: its last events and its errors.
        child.kill('SIGINT');
        const r = await result;
        throw new Error(`only ${d} of ${TOTAL} messages arrived (queue depth ${await depth(qn)}); the watcher's last output:\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
      }
      await sleep(500);
    }
    await running;
    child.kill('SIGINT');
    expect((await result).code).toBe(130);
    const [log] = await q<{ n: number; d: number }>('SELECT count(*)::int AS n, count(DISTINCT seq)::int AS d FROM rmq_log');
    expect(log!.d).toBe(TOTAL);
    console.log(`rabbitmq append log: ${log!.n} rows for ${TOTAL} messages (${log!.n - TOTAL} redelivered after kills)`);
    // Key i % 5000 last written by the largest seq with that remainder.
    expect(await q(`SELECT count(*)::int AS n, count(*) FILTER (WHERE seq <> ${TOTAL - 5000} + id)::int AS stale FROM rmq_latest`)).toEqual([{ n: 5000, stale: 0 }]);
  }, 300_000);
});
