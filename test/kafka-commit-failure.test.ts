import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Db } from '../core/src/compiler/db.js';
import { executeWatch } from '../core/src/engine/watch.js';
import type { BatchSummary, RunEvent, RunSummary } from '../core/src/engine/protocol.js';
import { readCommitted } from './support/kafka.js';
import { inDb } from './support/duckdb.js';
import { pipeline, tempDir } from './support/pipeline.js';

/**
 * `caudal run --watch` from Kafka when the broker dies after a batch's sinks committed and before
 * its offsets are committed: that batch is reported as failed (not ✓), saying that its rows are in
 * the destination and that the next start reads them again. Against a private single-node KRaft
 * broker on port 19092 (killed by the test; the shared broker on 9092 is never touched).
 */
const KAFKA_HOME = path.join(os.homedir(), '.cache/caudal-test-services/kafka-3.9.1');
// As test/services/up.sh starts the shared broker.
const JAVA = existsSync('/usr/lib/jvm/java-17-openjdk-amd64/bin/java') ? '/usr/lib/jvm/java-17-openjdk-amd64/bin/java' : 'java';
const PORT = 19092;
const BROKERS = `127.0.0.1:${PORT}`;

let broker: ChildProcess | undefined;
let dir: string;
let db: Db;

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });

beforeAll(async () => {
  dir = await tempDir('caudal-kafka-commit-failure-');
  const logs = path.join(dir, 'kafka-data');
  const props = path.join(dir, 'server.properties');
  await writeFile(
    props,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${PORT + 1}`,
      `listeners=PLAINTEXT://127.0.0.1:${PORT},CONTROLLER://127.0.0.1:${PORT + 1}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${PORT}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=PLAINTEXT',
      'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      `log.dirs=${logs}`,
      'num.partitions=1',
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=1',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      // A cluster that lowered the longest transaction it accepts (default 15 min), and that looks
      // for expired transactions every second (default 10 s), for the sink.kafka timeout specs.
      'transaction.max.timeout.ms=60000',
      'transaction.abort.timed.out.transaction.cleanup.interval.ms=1000',
    ].join('\n') + '\n',
  );
  const cp = `${KAFKA_HOME}/libs/*`;
  const jopts = ['-Xms128m', '-Xmx512m', `-Dlog4j.configuration=file:${KAFKA_HOME}/log4j.properties`, `-Dkafka.logs.dir=${dir}`];
  execFileSync(JAVA, [...jopts, '-cp', cp, 'kafka.tools.StorageTool', 'format', '-c', props, '-t', randomUUID().replace(/-/g, '').slice(0, 22)], { stdio: 'ignore' });
  broker = spawn(JAVA, [...jopts, '-cp', cp, 'kafka.Kafka', props], { stdio: 'ignore' });
  const end = Date.now() + 90_000;
  while (!(await portOpen(PORT))) {
    if (Date.now() > end || broker.exitCode !== null) throw new Error('the private Kafka broker did not start');
    await sleep(250);
  }
  db = await Db.open();
}, 120_000);

/**
 * Kills the broker and returns once it is dead (its sockets closed), holding up the run meanwhile:
 * a JVM takes a moment to go, and on a busy machine the offset commit got through before it had.
 */
function killAndWait(p: ChildProcess): void {
  p.kill('SIGKILL');
  const end = Date.now() + 30_000;
  while (Date.now() < end) {
    const stat = (() => {
      try {
        return readFileSync(`/proc/${p.pid}/stat`, 'utf8');
      } catch {
        return undefined;
      }
    })();
    // Gone, or a zombie (dead, not yet reaped: the event loop that would reap it is held here).
    if (stat === undefined || stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
  throw new Error('the private Kafka broker did not die within 30 s');
}

afterAll(async () => {
  db?.close();
  if (broker && broker.exitCode === null && broker.signalCode === null) {
    broker.kill('SIGKILL');
    await new Promise((r) => broker!.once('exit', r));
  }
});

/** Runs `SELECT …` into sink.kafka (`params` added to its own) and a CSV file beside it. */
async function runIntoTopic(name: string, kafkaParams: object, env: Record<string, string> = {}): Promise<{ summary: RunSummary; csv: string }> {
  const base = path.join(dir, name);
  await mkdir(base, { recursive: true });
  await writeFile(path.join(base, 'copy.csv'), 'id\nold\n');
  const doc = pipeline(
    [
      { id: 'src', type: 'transform.sql', params: { query: 'SELECT range AS id FROM range(5)' } },
      { id: 'pub', type: 'sink.kafka', params: { connection: 'bus', topic: 'tx', ...kafkaParams } },
      { id: 'copy', type: 'sink.csv', params: { path: 'copy.csv', if_exists: 'overwrite' } },
    ],
    ['src -> pub', 'src -> copy'],
    { name, connections: { bus: { type: 'kafka' } } },
  );
  const connections = { bus: { name: 'bus', type: 'kafka', config: { brokers: BROKERS, client_id: 'caudal-test', ssl: false, sasl_mechanism: 'none', connect_timeout_s: 5 } } };
  const { startRun } = await import('../core/src/engine/engine.js');
  // The engine worker takes its environment when it starts.
  Object.assign(process.env, env);
  try {
    const summary = await startRun({ pipeline: doc, baseDir: base, connections: connections as never, watch: false }).done;
    return { summary, csv: await readFile(path.join(base, 'copy.csv'), 'utf8') };
  } finally {
    for (const k of Object.keys(env)) delete process.env[k];
  }
}

describe('sink.kafka and the transaction timeout (a cluster whose transaction.max.timeout.ms is 60 s)', () => {
  let kafka: Kafka;
  beforeAll(async () => {
    kafka = new Kafka({ clientId: 'tx-test', brokers: [BROKERS], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'tx', numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
  });

  it("by default asks for the brokers' maximum when it is below 900 s, and commits", async () => {
    const { summary, csv } = await runIntoTopic('tx-default', {});
    expect(summary.status, summary.error?.message).toBe('succeeded');
    expect(csv).toBe('id\n0\n1\n2\n3\n4\n');
    expect((await readCommitted(kafka, 'tx')).sort()).toEqual(['{"id":0}', '{"id":1}', '{"id":2}', '{"id":3}', '{"id":4}']);
  }, 60_000);

  it('a timeout over the maximum is refused before anything is sent, naming the setting', async () => {
    const { summary, csv } = await runIntoTopic('tx-over', { transaction_timeout_s: 120 });
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toMatch(/node 'pub' \(connection 'bus'\): writing to topic 'tx' failed: the brokers refuse a transaction timeout of 120 s \(transaction_timeout_s\), over their transaction\.max\.timeout\.ms; nothing was published/);
    expect(summary.error?.hint).toMatch(/transaction_timeout_s/);
    expect(csv).toBe('id\nold\n');
    expect(await readCommitted(kafka, 'tx')).toHaveLength(5);
  }, 60_000);

  it('a transaction open longer than its timeout: the run fails saying so, nothing is published, the file beside it is as it was', async () => {
    // The commit waits 3 s after every destination prepared (the messages were sent before).
    const { summary, csv } = await runIntoTopic('tx-expired', { transaction_timeout_s: 1 }, { CAUDAL_FAILPOINT: 'pause:after-prepare' });
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toMatch(/node 'pub' \(connection 'bus'\): the Kafka transaction of topic 'tx' was open for \d+ s, longer than its timeout of 1 s \(transaction_timeout_s\): the brokers aborted it, and none of its 5 messages was published/);
    expect(summary.error?.hint).toMatch(/raise the node's transaction_timeout_s/);
    expect(csv).toBe('id\nold\n');
    expect(await readCommitted(kafka, 'tx')).toHaveLength(5);
  }, 60_000);
});

describe('source.kafka --watch when the broker dies before the offset commit', () => {
  it('reports that batch as failed, with its rows in the destination and read again by the next start', async () => {
    const kafka = new Kafka({ clientId: 'stream-test', brokers: [BROKERS], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'orders', messages: [1, 2, 3].map((id) => ({ value: JSON.stringify({ id }) })) });
    await producer.disconnect();

    const base = path.join(dir, 'watch');
    await mkdir(path.join(base, 'tmp'), { recursive: true });
    const doc = pipeline(
      [
        { id: 'ev', type: 'source.kafka', params: { connection: 'bus', topics: ['orders'], group_id: 'g', columns: [{ name: 'id', type: 'INTEGER' }], metadata: false, max_wait_ms: 200 } },
        { id: 'load', type: 'sink.duckdb', params: { database: 'wh.duckdb', table: 'orders', mode: 'append' } },
      ],
      ['ev -> load'],
      { name: 'commit-failure', connections: { bus: { type: 'kafka' } } },
    );
    const connections = { bus: { name: 'bus', type: 'kafka', config: { brokers: BROKERS, client_id: 'caudal-test', ssl: false, sasl_mechanism: 'none', connect_timeout_s: 2 } } };
    const events: RunEvent[] = [];
    let stopping = false;
    const summary = await executeWatch(
      { runId: 'commit-failure', pipeline: doc, baseDir: base, stateDir: path.join(base, 'state'), artifactsDir: path.join(base, 'artifacts'), connections: connections as never, watch: true },
      db,
      path.join(base, 'tmp'),
      {
        emit: (e) => {
          events.push(e);
          // The batch is staged; its commit and the offset commit come next: the broker goes away now.
          if (e.type === 'node_finished' && e.nodeId === 'load' && broker?.exitCode === null) killAndWait(broker);
          if (e.type === 'batch_finished') stopping = true;
        },
        isCancelled: () => false,
        isStopping: () => stopping,
      },
    );
    const batches = events.flatMap((e) => (e.type === 'batch_finished' ? [e.summary] : [])) as BatchSummary[];
    expect(batches.map((b) => [b.batch, b.status, b.reachedDestinations])).toEqual([[1, 'failed', true]]);
    expect(batches[0]!.error?.message).toMatch(/^batch 1 was written to every destination \(3 rows → load\), but node 'ev' \(source\.kafka\) could not acknowledge what it read: committing the offsets of consumer group 'g' to Kafka failed: /);
    expect(batches[0]!.error?.message).toMatch(/its next start reads these 3 messages again, so a sink without an idempotent key .* receives them twice$/);
    expect(summary.status).toBe('failed');
    expect(summary.batches).toEqual({ committed: 1, rowsIn: 3 });
    expect(await inDb(path.join(base, 'wh.duckdb'), 'SELECT count(*)::INT AS n FROM orders')).toEqual([{ n: 3 }]);
  }, 180_000);
});
