import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { afterFile } from './support/cleanup.js';
import { busConfig, busConnections, busPipeline, kafkaSandbox } from './support/kafka.js';
import { SERVICES } from './support/services.js';
import { tempDir } from './support/pipeline.js';
import { missingPasswordOr } from '../core/src/connectors/kafka/client.js';
import { missingSecretField } from '../core/src/secrets/resolve.js';

/**
 * source.kafka against the real broker, through the engine API: a run cancelled while its join of
 * the consumer group waits for a member that was killed ends at once, leaving the group's offsets
 * as they were; brokers that cannot be reached while the value columns are inferred are the
 * connection's failure, not a problem of the node's params; a missing SASL password is named.
 */
const { admin, producer, topic, suffix } = await kafkaSandbox('s39m_hr6');
const root = await tempDir('s39m-hr6-kafka-');
const kafkajs = createRequire(import.meta.url).resolve('kafkajs');

type Row = Record<string, unknown>;

/** Deletes the group once the coordinator has given up on its killed member (it is not empty before). */
function deleteGroupLater(group: string): void {
  afterFile(async () => {
    const end = Date.now() + 45_000;
    while (Date.now() < end) {
      const ok = await admin.deleteGroups([group]).then(() => true, () => false);
      if (ok) return;
      await sleep(1_000);
    }
  });
}

/**
 * A member of `group` in a process of its own that joins, reads nothing, and is killed (SIGKILL)
 * once it has joined: it never leaves the group, so the coordinator keeps it for its session
 * timeout (20 s) and the next member's join waits that long.
 */
async function killedMember(group: string, t: string): Promise<void> {
  const script = `
    const { Kafka, logLevel } = require(${JSON.stringify(kafkajs)});
    const kafka = new Kafka({ clientId: 's39m-killed', brokers: ${JSON.stringify(SERVICES.kafkaBrokers)}, logLevel: logLevel.NOTHING });
    const c = kafka.consumer({ groupId: ${JSON.stringify(group)}, sessionTimeout: 20000, heartbeatInterval: 1000 });
    c.on(c.events.GROUP_JOIN, () => console.log('joined'));
    (async () => { await c.connect(); await c.subscribe({ topics: [${JSON.stringify(t)}], fromBeginning: true }); await c.run({ autoCommit: false, eachBatch: async () => new Promise(() => {}) }); })();
  `;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the member did not join within 30 s')), 30_000);
    child.stdout.on('data', (d: Buffer) => {
      if (String(d).includes('joined')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => reject(new Error(`the member exited (${code}) before it joined`)));
  });
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
}

async function committed(group: string, t: string): Promise<string[]> {
  const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [t] });
  return offsets!.partitions.map((p) => p.offset);
}

describe('source.kafka: a run cancelled while it waits to join its consumer group', () => {
  it('ends within a few seconds, though a killed member holds the group, and the group\'s offsets stay where they were', async () => {
    const t = await topic('join');
    const group = `s39m_hr6.join.${suffix}`;
    await producer.send({ topic: t, messages: [{ value: '{"id":1}' }, { value: '{"id":2}' }, { value: '{"id":3}' }] });
    await admin.setOffsets({ groupId: group, topic: t, partitions: [{ partition: 0, offset: '1' }] });
    deleteGroupLater(group);
    await killedMember(group, t);

    const dir = path.join(root, 'join');
    await mkdir(dir, { recursive: true });
    const { startRun } = await import('../core/src/engine/engine.js');
    const nodes = [
      { id: 'ev', type: 'source.kafka', params: { connection: 'bus', topics: [t], group_id: group, columns: [{ name: 'id', type: 'INTEGER' }] } },
      { id: 'out', type: 'sink.json', params: { path: 'out.json' } },
    ];
    let reading = false;
    const handle = startRun({
      pipeline: busPipeline('join', nodes, [['ev:out', 'out:in']]) as never,
      baseDir: dir,
      connections: busConnections as never,
      onEvent: (e) => void (e.type === 'node_started' && e.nodeId === 'ev' && (reading = true)),
    });
    const started = Date.now();
    while (!reading && Date.now() - started < 30_000) await sleep(20);
    expect(reading).toBe(true);
    await sleep(1_000);
    const cancelledAt = Date.now();
    handle.cancel();
    const summary = await handle.done;
    const took = Date.now() - cancelledAt;

    expect(summary.status, summary.error?.message).toBe('cancelled');
    expect(took).toBeLessThan(5_000);
    expect(await readFile(path.join(dir, 'out.json'), 'utf8').catch(() => undefined)).toBeUndefined();
    expect(await committed(group, t)).toEqual(['1']);
  }, 90_000);
});

describe('source.kafka inferring its value columns from brokers that cannot be reached', () => {
  it('fails as a run (kind io) with the connection\'s failure, naming the node, the connection and the brokers, not a problem of the node\'s params', async () => {
    const dir = path.join(root, 'down');
    await mkdir(dir, { recursive: true });
    const { runPipeline } = await import('../core/src/engine/engine.js');
    const down = { bus: { ...busConnections.bus, config: { ...busConfig, brokers: '127.0.0.1:1', connect_timeout_s: 1 } } };
    const nodes = [
      { id: 'ev', type: 'source.kafka', params: { connection: 'bus', topics: [`s39m_hr6-none-${randomUUID().slice(0, 8)}`] } },
      { id: 'out', type: 'sink.json', params: { path: 'out.json' } },
    ];
    const summary = await runPipeline({ pipeline: busPipeline('down', nodes, [['ev:out', 'out:in']]) as never, baseDir: dir, connections: down as never });
    expect(summary.status).toBe('failed');
    expect(summary.error?.kind).toBe('io');
    expect(summary.error?.problems).toEqual([
      expect.objectContaining({ code: 'unavailable', nodeId: 'ev', path: 'connections.bus', message: expect.stringMatching(/^node 'ev' \(connection 'bus'\): cannot reach the Kafka brokers \(127\.0\.0\.1:1\) .*ECONNREFUSED/) }),
    ]);
    expect(summary.error?.problems?.[0]?.path).not.toMatch(/params/);
    expect(summary.error?.hint).toMatch(/caudal connections test bus/);
  }, 90_000);
});

describe('a Kafka connection with SASL and no password stored', () => {
  const refusal = Object.assign(new Error('SASL PLAIN authentication failed: Authentication failed: Invalid username or password'), { name: 'KafkaJSSASLAuthenticationError' });
  const sasl = { sasl_mechanism: 'plain' as const };

  it('the brokers refusing the login is reported as the missing password', () => {
    expect(missingSecretField(missingPasswordOr(refusal, { ...sasl, password: undefined }))).toBe('password');
    // Also under kafkajs' retry wrapper.
    const wrapped = Object.assign(new Error('retries exceeded'), { name: 'KafkaJSNumberOfRetriesExceeded', cause: refusal });
    expect(missingSecretField(missingPasswordOr(wrapped, { ...sasl, password: undefined }))).toBe('password');
  });

  it('with a password stored, or without SASL, or a refusal of the mechanism, the error is left as it is', () => {
    expect(missingPasswordOr(refusal, { ...sasl, password: 'wrong' })).toBe(refusal);
    expect(missingPasswordOr(refusal, { sasl_mechanism: 'none', password: undefined })).toBe(refusal);
    const mechanism = Object.assign(new Error('SASL PLAIN mechanism is not supported by the server'), { name: 'KafkaJSSASLAuthenticationError' });
    expect(missingPasswordOr(mechanism, { ...sasl, password: undefined })).toBe(mechanism);
    const down = Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:1'), { name: 'KafkaJSConnectionError' });
    expect(missingPasswordOr(down, { ...sasl, password: undefined })).toBe(down);
  });
});

/** JSON booleans are not numbers: source.kafka with on_error reject sets them aside. */
describe('source.kafka: a JSON boolean in an INTEGER or DOUBLE value column', () => {
  it('is a poison message ("\'true\' is not a number of type INTEGER"), set aside with on_error reject; numbers read as before', async () => {
    const t = await topic('bools');
    await producer.send({
      topic: t,
      messages: ['{"id":1,"x":1.5}', '{"id":true,"x":2}', '{"id":3,"x":false}', '{"id":9007199254740993,"x":"2.5"}', '{"id":5,"x":123456789012345678901234567890}'].map((value) => ({ value })),
    });
    const group = `s39m_hr6.bools.${suffix}`;
    afterFile(() => admin.deleteGroups([group]).catch(() => undefined));
    const dir = path.join(root, 'bools');
    await mkdir(dir, { recursive: true });
    const { runPipeline } = await import('../core/src/engine/engine.js');
    const nodes = [
      { id: 'ev', type: 'source.kafka', params: { connection: 'bus', topics: [t], group_id: group, metadata: false, on_error: 'reject', columns: [{ name: 'id', type: 'BIGINT' }, { name: 'x', type: 'DOUBLE' }] } },
      { id: 'out', type: 'sink.json', params: { path: 'out.json', format: 'array' } },
      { id: 'bad', type: 'sink.json', params: { path: 'bad.json', format: 'array' } },
    ];
    const summary = await runPipeline({ pipeline: busPipeline('bools', nodes, [['ev:out', 'out:in'], ['ev:rejects', 'bad:in']]) as never, baseDir: dir, connections: busConnections as never });
    expect(summary.status, summary.error?.message).toBe('succeeded');
    const text = await readFile(path.join(dir, 'out.json'), 'utf8');
    // BIGINT keeps every digit (read from the number's text); DOUBLE takes numbers and numeric strings as before.
    expect(text).toContain('9007199254740993');
    const rows = JSON.parse(text) as Row[];
    expect(rows.map((r) => r.x)).toEqual([1.5, 2.5, 1.2345678901234568e29]);
    const bad = JSON.parse(await readFile(path.join(dir, 'bad.json'), 'utf8')) as Row[];
    expect(bad.map((r) => r._raw)).toEqual(['{"id":true,"x":2}', '{"id":3,"x":false}']);
    expect(String(bad[0]!._reason)).toContain("'true' is not a number of type BIGINT");
    expect(String(bad[1]!._reason)).toContain("'false' is not a number of type DOUBLE");
  }, 90_000);
});
