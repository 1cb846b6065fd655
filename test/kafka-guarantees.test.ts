import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { RunEvent, RunSummary } from '../core/src/engine/protocol.js';
import { tempDir } from './support/pipeline.js';
import { pgConnection, pgSandbox } from './support/postgres.js';
import { SERVICES } from './support/services.js';
import { inDb } from './support/duckdb.js';
import { kafkaSandbox } from './support/kafka.js';

/**
 * source.kafka against the real broker, through the engine API (the sources under test, no build):
 * a rebalance of a --watch's consumer group (another member joins, then leaves) delivers nothing
 * twice, a second watch of the same pipeline stops at once as busy instead of joining the group, and
 * inferred columns keep integers beyond 64 bits.
 */
const root = await tempDir('caudal-kafka-rebalance-');
const { kafka, admin, producer, suffix, groups, topic } = await kafkaSandbox('caudal-krb');
const { schema, q } = await pgSandbox();
const connections = { ...pgConnection('db'), bus: { name: 'bus', type: 'kafka', config: { brokers: SERVICES.kafkaBrokers.join(','), client_id: 'caudal-test', ssl: false, sasl_mechanism: 'none', connect_timeout_s: 10 } } };

async function produce(t: string, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i += 5000) {
    const messages = [];
    for (let j = i; j < Math.min(to, i + 5000); j++) messages.push({ key: String(j % 100), value: JSON.stringify({ id: j % 100, seq: j }) });
    await producer.send({ topic: t, messages });
  }
}

const query = inDb;

async function watch(name: string, t: string, group: string, events: RunEvent[], sink: object = { id: 'load', type: 'sink.duckdb', params: { database: 'wh.duckdb', table: 'events', mode: 'append' } }) {
  const dir = path.join(root, name);
  await mkdir(dir, { recursive: true });
  const { startRun } = await import('../core/src/engine/engine.js');
  const pipeline = {
    format: 'caudal.pipeline/1',
    name,
    params: {},
    connections: { bus: { type: 'kafka' }, db: { type: 'postgres' } },
    nodes: [
      { id: 'ev', type: 'source.kafka', params: { connection: 'bus', topics: [t], group_id: group, columns: [{ name: 'id', type: 'INTEGER' }, { name: 'seq', type: 'BIGINT' }], max_rows: 2000, max_wait_ms: 200 } },
      sink,
    ],
    edges: [{ from: 'ev:out', to: 'load:in' }],
  };
  const handle = startRun({ pipeline: pipeline as never, baseDir: dir, connections: connections as never, watch: true, onEvent: (e) => events.push(e) });
  return { dir, handle };
}

const until = async (check: () => boolean | Promise<boolean>, ms = 60_000) => {
  const end = Date.now() + ms;
  while (!(await check()) && Date.now() < end) await sleep(100);
};

describe('source.kafka --watch and its consumer group', () => {
  it('reads every message once when another member joins the group and leaves again (no crash, no duplicates)', async () => {
    const TOTAL = 50_000;
    const t = await topic('rebalance');
    const group = `caudal-krb-g-${suffix}`;
    groups.push(group);
    await produce(t, 0, 10_000);
    const events: RunEvent[] = [];
    // PostgreSQL, as in the report: batches slow enough that the buffer is full (fetching paused) when the group rebalances.
    const { handle } = await watch('rebalance', t, group, events, { id: 'load', type: 'sink.postgres', params: { connection: 'db', schema, table: 'reb_log', mode: 'append' } });
    await until(() => events.some((e) => e.type === 'batch_finished'));
    // Messages keep coming while the group rebalances, so batches are buffered and in flight.
    const producing = (async () => {
      for (let i = 10_000; i < TOTAL; i += 1_000) {
        await produce(t, i, i + 1_000);
        await sleep(150);
      }
    })();
    // A plain consumer joins the group (taking the partition or not), reads nothing for us, and leaves.
    await sleep(1_000);
    const joiner = kafka.consumer({ groupId: group, sessionTimeout: 10_000 });
    await joiner.connect();
    await joiner.subscribe({ topics: [t], fromBeginning: true });
    await joiner.run({ autoCommit: false, eachBatch: async () => undefined });
    await sleep(4_000);
    await joiner.disconnect();
    await producing;
    const rowsIn = () => events.filter((e) => e.type === 'batch_finished').reduce((n, e) => n + (e as { summary: { rowsIn: number } }).summary.rowsIn, 0);
    await until(() => rowsIn() >= TOTAL, 90_000);
    await sleep(1_000);
    handle.stop();
    const summary = await handle.done;
    expect(summary.status, summary.error?.message).toBe('cancelled');
    expect(await q('SELECT count(*)::int AS n, count(DISTINCT seq)::int AS d FROM reb_log')).toEqual([{ n: TOTAL, d: TOTAL }]);
    expect((await admin.fetchOffsets({ groupId: group, topics: [t] }))[0]!.partitions[0]!.offset).toBe(String(TOTAL));
  }, 180_000);

  it('a second --watch of the same pipeline stops at once as busy (exit 75) instead of joining the group and waiting', async () => {
    const t = await topic('twice');
    const group = `caudal-krb-g2-${suffix}`;
    groups.push(group);
    await produce(t, 0, 100);
    const events: RunEvent[] = [];
    const first = await watch('twice', t, group, events);
    await until(() => events.some((e) => e.type === 'batch_finished'));
    const second = await watch('twice', t, group, []);
    const summary = (await Promise.race([second.handle.done, sleep(20_000).then(() => undefined)])) as RunSummary | undefined;
    if (!summary) second.handle.stop();
    expect(summary?.status).toBe('failed');
    expect(summary?.error?.kind).toBe('busy');
    expect(summary?.error?.message).toMatch(/^pipeline 'twice' is in use by another run \S+ of pipeline 'twice' \(pid \d+, since /);
    // The first goes on reading.
    await produce(t, 100, 200);
    await until(() => events.filter((e) => e.type === 'batch_finished').length >= 2);
    first.handle.stop();
    const done = await first.handle.done;
    expect(done.batches?.rowsIn).toBe(200);
    expect(await query(path.join(first.dir, 'wh.duckdb'), 'SELECT count(*)::INT AS n, count(DISTINCT seq)::INT AS d FROM events')).toEqual([{ n: 200, d: 200 }]);
  }, 120_000);
});

describe('source.kafka with inferred columns', () => {
  async function runOnce(name: string, t: string) {
    const dir = path.join(root, name);
    await mkdir(dir, { recursive: true });
    const { runPipeline } = await import('../core/src/engine/engine.js');
    const warnings: string[] = [];
    const summary = await runPipeline({
      pipeline: {
        format: 'caudal.pipeline/1',
        name,
        params: {},
        connections: { bus: { type: 'kafka' } },
        nodes: [
          { id: 'ev', type: 'source.kafka', params: { connection: 'bus', topics: [t], group_id: `caudal-krb-${name}-${suffix}`, metadata: false } },
          { id: 'load', type: 'sink.duckdb', params: { database: 'wh.duckdb', table: 'events', mode: 'append' } },
        ],
        edges: [{ from: 'ev:out', to: 'load:in' }],
      } as never,
      baseDir: dir,
      connections: connections as never,
      onEvent: (e) => void (e.type === 'warning' && warnings.push(e.message)),
    });
    groups.push(`caudal-krb-${name}-${suffix}`);
    return { summary, warnings, db: path.join(dir, 'wh.duckdb') };
  }

  it('reads whole numbers beyond 64 bits as HUGEINT with every digit (DuckDB alone infers a rounding DOUBLE)', async () => {
    const t = await topic('huge');
    await producer.send({ topic: t, messages: ['{"id": 9007199254740993}', '{"id": 123456789012345678901234567890}', '{"id": -5}'].map((value) => ({ value })) });
    const r = await runOnce('huge', t);
    expect(r.summary.status, r.summary.error?.message).toBe('succeeded');
    expect(await query(r.db, 'SELECT typeof(e.id) AS t, CAST(e.id AS VARCHAR) AS v FROM events AS e ORDER BY e.id')).toEqual(
      ['-5', '9007199254740993', '123456789012345678901234567890'].map((v) => ({ t: 'HUGEINT', v })),
    );
  });

  it('warns, naming the key, when a sampled number is one a DOUBLE does not keep (a fraction next to a long integer, 1e400)', async () => {
    const t = await topic('lossy');
    await producer.send({ topic: t, messages: ['{"id": 9007199254740993, "x": 1e400}', '{"id": 1.5, "x": 2.5}'].map((value) => ({ value })) });
    const r = await runOnce('lossy', t);
    expect(r.warnings).toEqual(
      expect.arrayContaining([
        expect.stringContaining(`key "id" of the sampled messages holds 9007199254740993, which its inferred type DOUBLE does not keep (it arrives as 9007199254740992)`),
        expect.stringContaining(`key "x" of the sampled messages holds 1e400, which its inferred type DOUBLE does not keep (it arrives as Infinity)`),
      ]),
    );
  });
});
