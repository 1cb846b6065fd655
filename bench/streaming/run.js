/**
 * bench/streaming: Kafka → a 3-node pipeline → PostgreSQL, in the same run:
 *   1. throughput: N messages already in a topic, consumed until the group has no lag, by
 *      `caudal run --watch` (source.kafka → transform.derive → sink.postgres append) and by a
 *      hand-written kafkajs → COPY FROM STDIN loop doing the same work (parse JSON, derive a column,
 *      COPY each batch in a transaction, then commit the offsets);
 *   2. latency: messages produced at a steady rate (default 10k msg/s) while the watch runs; p50/p99
 *      of (the row's load time − the message's production time).
 *
 *   npm run build && node bench/streaming/run.js [--messages 1000000] [--rate 10000] [--seconds 20]
 *
 * Needs the test services (test/services/up.sh: Kafka on 127.0.0.1:9092, PostgreSQL on 5432).
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { startRun } from '../../dist/core/src/engine/engine.js';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '1000000' },
    rate: { type: 'string', default: '10000' },
    seconds: { type: 'string', default: '20' },
    brokers: { type: 'string', default: process.env.CAUDAL_TEST_KAFKA_BROKERS ?? '127.0.0.1:9092' },
  },
});
const N = Number(values.messages);
const PG = {
  host: process.env.CAUDAL_TEST_PG_HOST ?? '127.0.0.1',
  port: Number(process.env.CAUDAL_TEST_PG_PORT ?? 5432),
  database: process.env.CAUDAL_TEST_PG_DATABASE ?? 'test',
  user: process.env.CAUDAL_TEST_PG_USER ?? 'postgres',
  password: process.env.CAUDAL_TEST_PG_PASSWORD ?? 'caudal',
};
const brokers = values.brokers.split(',');
const kafka = new Kafka({ clientId: 'caudal-bench', brokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
const client = new pg.Client(PG);
await client.connect();
const tag = randomUUID().slice(0, 8);
const schema = `bench_stream_${tag}`;
await client.query(`CREATE SCHEMA ${schema}`);

const connections = {
  bus: { name: 'bus', type: 'kafka', config: { brokers: values.brokers, client_id: 'caudal-bench', ssl: false, sasl_mechanism: 'none', connect_timeout_s: 10 } },
  db: { name: 'db', type: 'postgres', config: { ...PG, ssl: 'disable', connect_timeout_s: 10 } },
};
const COLUMNS = [
  { name: 'id', type: 'BIGINT' },
  { name: 'customer', type: 'VARCHAR' },
  { name: 'amount', type: 'DOUBLE' },
  { name: 'produced_ms', type: 'BIGINT' },
];

async function topicWith(messages, name) {
  const topic = `bench-${name}-${tag}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
  if (messages > 0) {
    const producer = kafka.producer();
    await producer.connect();
    for (let i = 0; i < messages; i += 10_000) {
      const batch = [];
      for (let j = i; j < Math.min(messages, i + 10_000); j++) batch.push({ key: String(j % 50_000), value: JSON.stringify({ id: j, customer: `c${j % 50_000}`, amount: (j % 1000) / 10, produced_ms: Date.now() }) });
      await producer.send({ topic, messages: batch });
    }
    await producer.disconnect();
  }
  return topic;
}

async function lag(groupId, topic) {
  const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
  let behind = 0n;
  for (const e of await admin.fetchTopicOffsets(topic)) {
    const c = BigInt(offsets?.partitions.find((p) => p.partition === e.partition)?.offset ?? '-1');
    behind += BigInt(e.high) - (c < 0n ? 0n : c);
  }
  return behind;
}

function pipelineFor(topic, groupId, table) {
  return {
    format: 'caudal.pipeline/1',
    name: `bench-${table}`,
    params: {},
    connections: { bus: { type: 'kafka' }, db: { type: 'postgres' } },
    nodes: [
      { id: 'events', type: 'source.kafka', params: { connection: 'bus', topics: [topic], group_id: groupId, columns: COLUMNS, metadata: false, max_rows: 100_000, max_wait_ms: 100 } },
      { id: 'gross', type: 'transform.derive', params: { columns: [{ name: 'gross', expression: 'round(amount * 1.21, 2)' }] } },
      { id: 'load', type: 'sink.postgres', params: { connection: 'db', schema, table, mode: 'append' } },
    ],
    edges: [
      { from: 'events:out', to: 'gross:in' },
      { from: 'gross:out', to: 'load:in' },
    ],
  };
}

/** Caudal --watch until the group has caught up; returns seconds. */
async function caudal(topic, table, untilCaughtUp = true, stopAfterMs = 0) {
  const groupId = `bench-caudal-${table}`;
  const t0 = performance.now();
  const first = { at: 0, rows: 0 };
  const onEvent = (e) => {
    if (e.type === 'batch_finished' && first.at === 0) Object.assign(first, { at: performance.now(), rows: e.summary.rowsIn ?? 0 });
  };
  const handle = startRun({ pipeline: pipelineFor(topic, groupId, table), baseDir: os.tmpdir(), connections, watch: true, stateDir: `${os.tmpdir()}/caudal-bench-state-${tag}`, onEvent });
  if (untilCaughtUp) {
    while ((await lag(groupId, topic)) > 0n) await new Promise((r) => setTimeout(r, 100));
  } else await new Promise((r) => setTimeout(r, stopAfterMs));
  const end = performance.now();
  handle.stop();
  const summary = await handle.done;
  if (summary.status === 'failed') throw new Error(summary.error?.message);
  return { seconds: (end - t0) / 1000, sustained: sustainedRate(first, end) };
}

/** Messages/s after the first committed batch (start-up, group join and the first fetch left out). */
function sustainedRate(first, end) {
  return (N - first.rows) / ((end - first.at) / 1000);
}

/** The same work by hand: kafkajs eachBatch → JSON.parse → CSV → COPY in a transaction → commit offsets. */
async function handWritten(topic, table) {
  const groupId = `bench-hand-${table}`;
  await client.query(`CREATE TABLE ${schema}.${table} (id bigint, customer text, amount double precision, produced_ms bigint, gross double precision)`);
  const loader = new pg.Client(PG);
  await loader.connect();
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const t0 = performance.now();
  const first = { at: 0, rows: 0 };
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary, heartbeat }) => {
      const lines = [];
      for (const m of batch.messages) {
        const v = JSON.parse(m.value.toString());
        lines.push(`${v.id},${v.customer},${v.amount},${v.produced_ms},${Math.round(v.amount * 121) / 100}\n`);
      }
      await loader.query('BEGIN');
      const stream = loader.query(copyStreams.from(`COPY ${schema}.${table} FROM STDIN WITH (FORMAT csv)`));
      await new Promise((resolve, reject) => {
        stream.on('finish', resolve);
        stream.on('error', reject);
        stream.end(lines.join(''));
      });
      await loader.query('COMMIT');
      if (first.at === 0) Object.assign(first, { at: performance.now(), rows: lines.length });
      resolveOffset(batch.lastOffset());
      await commitOffsetsIfNecessary({ topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: (BigInt(batch.lastOffset()) + 1n).toString() }] }] });
      await heartbeat();
    },
  });
  while ((await lag(groupId, topic)) > 0n) await new Promise((r) => setTimeout(r, 100));
  const end = performance.now();
  await consumer.disconnect();
  await loader.end();
  return { seconds: (end - t0) / 1000, sustained: sustainedRate(first, end) };
}

const load = () => os.loadavg()[0].toFixed(1);
console.log(`bench/streaming: ${N.toLocaleString('en-US')} JSON messages, 3 partitions, ${os.cpus().length} cores, load ${load()}`);
const topic = await topicWith(N, 'throughput');
// Alternate which goes first, so neither always meets a warm page cache.
const hand = await handWritten(topic, 'hand');
const ours = await caudal(topic, 'caudal');
const [{ n: handRows }] = (await client.query(`SELECT count(*)::int AS n FROM ${schema}.hand`)).rows;
const [{ n: ourRows }] = (await client.query(`SELECT count(*)::int AS n FROM ${schema}.caudal`)).rows;
console.log(`\nthroughput (until the group has no lag, load ${load()}):`);
console.log(`                                 whole run               sustained (after the first batch)`);
console.log(`  hand-written kafkajs → COPY   ${(N / hand.seconds).toFixed(0).padStart(8)} msg/s (${hand.seconds.toFixed(1)} s)   ${hand.sustained.toFixed(0).padStart(8)} msg/s   (${handRows} rows)`);
console.log(`  caudal run --watch            ${(N / ours.seconds).toFixed(0).padStart(8)} msg/s (${ours.seconds.toFixed(1)} s)   ${ours.sustained.toFixed(0).padStart(8)} msg/s   (${ourRows} rows)`);
console.log(`  ratio caudal / hand-written   ${(hand.seconds / ours.seconds).toFixed(2)}                    ${(ours.sustained / hand.sustained).toFixed(2)}   (target ≥ 0.8)`);

// Latency: a steady producer at --rate msg/s while the watch runs.
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const latencyTopic = await topicWith(0, 'latency');
await client.query(`CREATE TABLE ${schema}.latency (id bigint, customer text, amount double precision, produced_ms bigint, gross double precision, loaded_at timestamptz DEFAULT clock_timestamp())`);
const running = caudal(latencyTopic, 'latency', false, (seconds + 3) * 1000);
const producer = kafka.producer();
await producer.connect();
let sent = 0;
const start = Date.now();
while (Date.now() - start < seconds * 1000) {
  const due = Math.floor(((Date.now() - start) / 1000) * rate);
  const batch = [];
  for (; sent < due; sent++) batch.push({ key: String(sent % 50_000), value: JSON.stringify({ id: sent, customer: `c${sent % 50_000}`, amount: 1, produced_ms: Date.now() }) });
  if (batch.length) await producer.send({ topic: latencyTopic, messages: batch });
  await new Promise((r) => setTimeout(r, 10));
}
await producer.disconnect();
await running;
const { rows } = await client.query(
  `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50, percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99, count(*)::int AS n
     FROM (SELECT extract(epoch FROM loaded_at) * 1000 - produced_ms AS ms FROM ${schema}.latency) x`,
);
console.log(`\nlatency at ${rate.toLocaleString('en-US')} msg/s for ${seconds} s (${rows[0].n} of ${sent} messages loaded, load ${load()}):`);
console.log(`  p50 ${Math.round(rows[0].p50)} ms, p99 ${Math.round(rows[0].p99)} ms (production → row in PostgreSQL; batches of up to 100 ms wait)`);

await client.query(`DROP SCHEMA ${schema} CASCADE`);
await admin.deleteTopics({ topics: [topic, latencyTopic] }).catch(() => undefined);
await admin.disconnect();
await client.end();
