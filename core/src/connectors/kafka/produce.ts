import type { Producer, Transaction } from 'kafkajs';
import type { KafkaConfig } from '../../connections/kafka/kafka.connection.js';
import type { ExternalStage, HookIo } from '../../nodes/define.js';
import { CaudalError, errorMessage } from '../../util/errors.js';
import { kafkaClient, loadKafkaJs } from './client.js';

export interface KafkaWriteSpec {
  topic: string;
  /** Stable per pipeline and node: a later run's producer fences (and so aborts) a killed run's transaction. */
  transactionalId: string;
  /** SQL returning two VARCHAR columns `k` (key, may be NULL) and `v` (value). */
  rowsSql: string;
  /** Messages per send. */
  batchSize: number;
  compression: 'none' | 'gzip';
}

/**
 * Writes messages inside one Kafka transaction (idempotent, transactional producer): consumers that
 * read committed (the default, and source.kafka) see the run's messages only once the run commits,
 * and never those of a failed or cancelled run. The commit itself can still fail late (a fenced or
 * timed-out transaction): an irreversible participant of the commit protocol.
 */
export async function stageKafkaWrite(config: KafkaConfig, spec: KafkaWriteSpec, io: HookIo, ctx: { nodeId: string; connection: string }): Promise<ExternalStage> {
  const kafka = kafkaClient(config);
  const producer: Producer = kafka.producer({ transactionalId: spec.transactionalId, idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  const fail = (e: unknown) =>
    e instanceof CaudalError ? e : new CaudalError('execution', `node '${ctx.nodeId}' (connection '${ctx.connection}'): writing to topic '${spec.topic}' failed: ${errorMessage(e)}`, { nodeId: ctx.nodeId });
  await producer.connect().catch((e: unknown) => {
    throw fail(e);
  });
  let txn: Transaction | undefined;
  let rows = 0;
  try {
    txn = await producer.transaction();
    const { CompressionTypes } = loadKafkaJs();
    const compression = spec.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;
    const result = await io.db.conn.stream(spec.rowsSql);
    let pending: Array<{ key: string | null; value: string | null }> = [];
    for await (const chunk of result.yieldRows()) {
      if (io.isCancelled()) throw new CaudalError('cancelled', 'the write was cancelled');
      for (const [k, v] of chunk) pending.push({ key: k === null ? null : String(k), value: v === null ? null : String(v) });
      if (pending.length >= spec.batchSize) {
        await txn.send({ topic: spec.topic, messages: pending, compression });
        rows += pending.length;
        io.progress(rows);
        pending = [];
      }
    }
    if (io.isCancelled()) throw new CaudalError('cancelled', 'the write was cancelled');
    if (pending.length > 0) {
      await txn.send({ topic: spec.topic, messages: pending, compression });
      rows += pending.length;
    }
  } catch (e) {
    await txn?.abort().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    throw fail(e);
  }
  let done = false;
  const finish = async (how: 'commit' | 'abort') => {
    if (done) return;
    done = true;
    try {
      await (how === 'commit' ? txn!.commit() : txn!.abort());
    } finally {
      await producer.disconnect().catch(() => undefined);
    }
  };
  return {
    rows,
    // Every send was acknowledged by the brokers; nothing else can be checked before the commit.
    prepare: async () => ({ twoPhase: false }),
    commit: () => finish('commit').catch((e: unknown) => {
      throw fail(e);
    }),
    rollback: () => finish('abort').catch(() => undefined),
  };
}
