import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { pipeline, tempDir } from '../../../test/support/pipeline.js';
import { inDb } from '../../../test/support/duckdb.js';
import { printedLines } from '../../../test/support/progress.js';
import { Db } from '../compiler/db.js';
import { CaudalError } from '../util/errors.js';
import type * as Consume from '../connectors/kafka/consume.js';
import type { KafkaBatch, KafkaRecord } from '../connectors/kafka/consume.js';
import { executeRun } from './execute.js';
import { executeWatch } from './watch.js';
import type { BatchSummary, RunEvent } from './protocol.js';

/**
 * A streaming source acknowledges a batch only after every sink committed it. When that
 * acknowledgement fails (the Kafka offset commit: the broker went away, or a rebalanced group
 * refused it), the rows ARE in the destinations while the source's position did not move: that
 * batch is reported as failed, on its own line, saying so and that the next run reads the same
 * messages again (twice into a sink without a key). The consumer session here is scripted: the
 * offset commit of the second batch fails as kafkajs fails when the broker is gone.
 */

const script = vi.hoisted(() => ({ batches: [] as number[][], failCommitOf: 0, reads: 0, commits: 0 }));

vi.mock('../connectors/kafka/consume.js', async (importOriginal) => {
  const real = await importOriginal<typeof Consume>();
  class ScriptedSession {
    private failure?: Error;
    private batch = 0;
    static async open() {
      return new ScriptedSession();
    }
    async read(control: { watch: boolean; stopping(): boolean }): Promise<KafkaBatch> {
      // As the real session: once a commit failed, the session reads nothing more.
      if (this.failure) throw new CaudalError('io', `the Kafka consumer stopped: ${this.failure.message}`);
      script.reads++;
      const ids = script.batches[this.batch++];
      if (!ids) {
        while (!control.stopping()) await sleep(10);
        throw new CaudalError('cancelled', 'stopped while waiting for messages');
      }
      const records: KafkaRecord[] = ids.map((id, i) => ({ topic: 'orders', partition: 0, offset: String(i), timestamp: '0', key: null, value: Buffer.from(JSON.stringify({ id })), headers: {} }));
      return { records, lag: 0, waitedMs: 1 };
    }
    async commit(): Promise<void> {
      script.commits++;
      if (script.commits !== script.failCommitOf) return;
      this.failure = new Error('committing the offsets of the last batch failed');
      throw new CaudalError('io', "committing the offsets of consumer group 'g' to Kafka failed: Connection error: connect ECONNREFUSED 127.0.0.1:19092", {
        hint: 'check that the brokers (127.0.0.1:19092) are up',
      });
    }
    async close(): Promise<void> {}
  }
  return { ...real, KafkaConsumerSession: ScriptedSession };
});

let db: Db;
let dir: string;
beforeAll(async () => {
  db = await Db.open();
  dir = await tempDir('caudal-unacknowledged-');
});
afterAll(() => db.close());

const connections = { bus: { name: 'bus', type: 'kafka', config: { brokers: '127.0.0.1:19092', client_id: 'caudal-test', ssl: false, sasl_mechanism: 'none', connect_timeout_s: 1 } } };

async function request(name: string) {
  const base = path.join(dir, name);
  await mkdir(path.join(base, 'tmp'), { recursive: true });
  const doc = pipeline(
    [
      { id: 'ev', type: 'source.kafka', params: { connection: 'bus', topics: ['orders'], group_id: 'g', columns: [{ name: 'id', type: 'INTEGER' }], metadata: false } },
      { id: 'load', type: 'sink.duckdb', params: { database: 'wh.duckdb', table: 'orders', mode: 'append' } },
    ],
    ['ev -> load'],
    { name, connections: { bus: { type: 'kafka' } } },
  );
  const req = { runId: `${name}-run`, pipeline: doc, baseDir: base, stateDir: path.join(base, 'state'), artifactsDir: path.join(base, 'artifacts'), connections: connections as never };
  return { req, base, temp: path.join(base, 'tmp') };
}


describe('a batch whose Kafka offset commit fails after the sinks committed', () => {
  it('is reported as failed on its own line (not ✓), saying the rows are in the destination and will be read again; the watch stops there', async () => {
    Object.assign(script, { batches: [[1, 2, 3], [4, 5]], failCommitOf: 2, reads: 0, commits: 0 });
    const { req, base, temp } = await request('watch');
    const events: RunEvent[] = [];
    let stopping = false;
    const summary = await executeWatch({ ...req, watch: true }, db, temp, {
      emit: (e) => events.push(e),
      isCancelled: () => false,
      isStopping: () => stopping,
    });
    stopping = true;
    const batches = events.flatMap((e) => (e.type === 'batch_finished' ? [e.summary] : [])) as BatchSummary[];
    expect(batches.map((b) => [b.batch, b.status])).toEqual([
      [1, 'succeeded'],
      [2, 'failed'],
    ]);
    const error = batches[1]!.error!;
    expect(error.nodeId).toBe('ev');
    expect(error.message).toMatch(/^batch 2 was written to every destination \(2 rows → load\), but node 'ev' \(source\.kafka\) could not acknowledge what it read: committing the offsets of consumer group 'g' to Kafka failed: Connection error: connect ECONNREFUSED 127\.0\.0\.1:19092\./);
    expect(error.message).toMatch(/the watch stops here, and its next start reads these 2 messages again, so a sink without an idempotent key \(one that appends instead of upserting by key\) receives them twice$/);
    expect(error.hint).toMatch(/^check that the brokers \(127\.0\.0\.1:19092\) are up; sinks that upsert by key/);
    // The watch ended with that batch: no third read of a session that can no longer commit.
    expect(script.reads).toBe(2);
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toBe(error.message);
    // Both batches are in the destination, and counted as such.
    expect(summary.batches).toEqual({ committed: 2, rowsIn: 5 });
    expect(summary.outputs.map((o) => [o.nodeId, o.rows])).toEqual([['load', 5]]);
    expect(await inDb(path.join(base, 'wh.duckdb'), 'SELECT count(*)::INT AS n FROM orders')).toEqual([{ n: 5 }]);

    const lines = printedLines(events);
    const at = lines.findIndex((l) => l.startsWith('  ✗ batch 2:'));
    expect(lines.some((l) => l.startsWith('  ✓ batch 1: 3 rows read, 3 → load'))).toBe(true);
    expect(lines[at]).toMatch(/^ {2}✗ batch 2: 2 rows read, 2 → load in /);
    expect(lines[at + 1]).toBe(`      ${error.message}`);
    expect(lines[at + 2]).toBe(`      hint: ${error.hint}`);
    expect(lines.at(-1)).toMatch(/^✘ failed after .+ at batch 2 \(above\); 2 batches reached the destinations$/);
  });

  it('fails a plain run the same way, instead of a "succeeded" run with a warning', async () => {
    Object.assign(script, { batches: [[7, 8, 9]], failCommitOf: 1, reads: 0, commits: 0 });
    const { req, base, temp } = await request('plain');
    const events: RunEvent[] = [];
    const summary = await executeRun(req, db, temp, { emit: (e) => events.push(e), isCancelled: () => false });
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toMatch(/^the run wrote its rows to every destination \(3 rows → load\), but node 'ev' \(source\.kafka\) could not acknowledge what it read: .*ECONNREFUSED.* The destinations keep the rows; the next run reads these 3 messages again, so a sink without an idempotent key .* receives them twice$/);
    expect(events.some((e) => e.type === 'log' && e.level === 'error' && e.message === summary.error?.message)).toBe(true);
    expect(await inDb(path.join(base, 'wh.duckdb'), 'SELECT count(*)::INT AS n FROM orders')).toEqual([{ n: 3 }]);
  });
});
