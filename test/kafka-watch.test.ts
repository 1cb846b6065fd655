import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCaudal, startWatching } from './support/cli.js';
import { tempDir } from './support/pipeline.js';
import { PG, pgSandbox, pgSecretEnv, preparedTransactionsIn } from './support/postgres.js';
import { connectTo, SERVICES } from './support/services.js';

/**
 * `caudal run --watch` from Kafka into PostgreSQL while the process is killed (SIGKILL) again and
 * again: the upsert table ends with every key exactly once at its last version, and the append log
 * holds every message at least once (duplicates are counted and reported, never lost messages).
 */
// 300,000 by default keeps CI within its budget while the three kills still land mid-stream (the
// producer runs for several seconds); CAUDAL_TEST_STREAM_MESSAGES=1000000 runs the long soak.
const MESSAGES = Number(process.env.CAUDAL_TEST_STREAM_MESSAGES ?? 300_000);
const KEYS = 20_000;
const KILLS = 3;

const kafka = new Kafka({ clientId: 'caudal-watch-test', brokers: [...SERVICES.kafkaBrokers], logLevel: logLevel.NOTHING });
let admin: Admin;
const topic = `caudal-test-watch-${randomUUID().slice(0, 8)}`;
const { client, schema, q } = await pgSandbox();
const dir = await tempDir('caudal-kafka-watch-');

beforeAll(async () => {
  admin = kafka.admin();
  await connectTo('kafka', SERVICES.kafkaBrokers.join(','), () => admin.connect());
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
});

afterAll(async () => {
  await admin?.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin?.disconnect();
});

/** Message i updates key i % KEYS to version floor(i / KEYS): the last version of every key is known. */
async function produceAll(): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  for (let start = 0; start < MESSAGES; start += 10_000) {
    const messages = [];
    for (let i = start; i < Math.min(MESSAGES, start + 10_000); i++) {
      const id = i % KEYS;
      messages.push({ key: String(id), value: JSON.stringify({ id, version: Math.floor(i / KEYS), seq: i }) });
    }
    await producer.send({ topic, messages });
    await sleep(20); // a stream, not one burst
  }
  await producer.disconnect();
}

async function lag(groupId: string): Promise<bigint> {
  const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const ends = await admin.fetchTopicOffsets(topic);
  let behind = 0n;
  for (const e of ends) {
    const c = offsets?.partitions.find((p) => p.partition === e.partition)?.offset ?? '-1';
    behind += BigInt(e.high) - (BigInt(c) < 0n ? 0n : BigInt(c));
  }
  return behind;
}

describe('caudal run --watch (Kafka → PostgreSQL) survives kill -9', () => {
  it(`delivers ${MESSAGES.toLocaleString('en-US')} messages: exactly once by key with upsert, at least once in an append log`, async () => {
    await mkdir(dir, { recursive: true });
    await writeFile(
      path.join(dir, 'caudal.connections.json'),
      JSON.stringify({
        format: 'caudal.connections/1',
        connections: {
          bus: { type: 'kafka', brokers: SERVICES.kafkaBrokers.join(',') },
          db: { type: 'postgres', host: PG.host, port: PG.port, database: PG.database, user: PG.user },
        },
      }),
    );
    const groupId = `caudal-test-${randomUUID().slice(0, 8)}`;
    await writeFile(
      path.join(dir, 'pipeline.json'),
      JSON.stringify({
        format: 'caudal.pipeline/1',
        name: 'watch-test',
        params: {},
        connections: { bus: { type: 'kafka' }, db: { type: 'postgres' } },
        nodes: [
          { id: 'events', type: 'source.kafka', params: { connection: 'bus', topics: [topic], group_id: groupId, columns: [{ name: 'id', type: 'INTEGER' }, { name: 'version', type: 'INTEGER' }, { name: 'seq', type: 'BIGINT' }], max_rows: 20_000, max_wait_ms: 300 } },
          { id: 'latest', type: 'transform.dedupe', params: { keys: ['id'], keep: 'last', order_by: [{ column: 'seq' }] } },
          { id: 'mirror', type: 'sink.postgres', params: { connection: 'db', schema, table: 'latest', mode: 'upsert', keys: ['id'] } },
          { id: 'log', type: 'sink.postgres', params: { connection: 'db', schema, table: 'log', mode: 'append' } },
        ],
        edges: [
          { from: 'events:out', to: 'latest:in' },
          { from: 'latest:out', to: 'mirror:in' },
          { from: 'events:out', to: 'log:in' },
        ],
      }),
    );
    const env = { ...pgSecretEnv('db'), CAUDAL_RUNTIME_DIR: path.join(dir, 'runtime'), CAUDAL_CONFIG_DIR: path.join(dir, 'config') };
    const watch = () => startCaudal(['run', 'pipeline.json', '--watch', '-q'], { cwd: dir, env });

    const producing = produceAll();
    for (let k = 0; k < KILLS; k++) {
      const { child, result } = watch();
      // Let it commit a few batches, then kill it wherever it is (reading, loading, committing).
      await sleep(2_500 + Math.random() * 2_500);
      child.kill('SIGKILL');
      expect((await result).signal).toBe('SIGKILL');
    }
    await producing;
    const { child, result, running } = startWatching(['run', 'pipeline.json', '--watch'], { cwd: dir, env });
    const deadline = Date.now() + 180_000;
    while ((await lag(groupId)) > 0n) {
      if (Date.now() > deadline) throw new Error(`still ${await lag(groupId)} messages behind after 3 minutes`);
      await sleep(500);
    }
    await running;
    child.kill('SIGINT');
    const last = await result;
    expect(last.code, last.stderr).toBe(130);

    expect(await q(`SELECT count(*)::int AS n, count(DISTINCT id)::int AS d FROM latest`)).toEqual([{ n: KEYS, d: KEYS }]);
    // The last message of key id is the largest i < MESSAGES with i % KEYS = id: version (MESSAGES - 1 - id) / KEYS.
    expect(await q(`SELECT count(*)::int AS stale FROM latest WHERE version <> (${MESSAGES - 1} - id) / ${KEYS}`)).toEqual([{ stale: 0 }]);
    const [log] = await q<{ n: number; distinct_seq: number }>(`SELECT count(*)::int AS n, count(DISTINCT seq)::int AS distinct_seq FROM log`);
    expect(log!.distinct_seq).toBe(MESSAGES);
    // At-least-once: a batch killed between its commit and its offset commit is read again.
    console.log(`append log: ${log!.n} rows for ${MESSAGES} messages (${log!.n - MESSAGES} replayed after ${KILLS} kills)`);
    expect(await preparedTransactionsIn(client, schema)).toEqual([]);
  }, 420_000);
});
