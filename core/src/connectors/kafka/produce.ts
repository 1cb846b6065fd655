import type { Kafka, Producer, Transaction } from 'kafkajs';
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
/** The broker's default message.max.bytes, used when the topic's limit cannot be read (no DescribeConfigs right). */
const DEFAULT_MESSAGE_LIMIT = 1_048_588;
/** A record batch's header (61 bytes) with room to spare. */
const BATCH_OVERHEAD = 128;
/** The most a record adds to its key and value (length, attributes, timestamp and offset deltas, key and value lengths, headers count). */
const RECORD_OVERHEAD = 40;

const kafkaErrorType = (e: unknown): string | undefined => {
  for (let c: unknown = e; c && typeof c === 'object'; c = (c as { cause?: unknown }).cause) {
    const type = (c as { type?: unknown }).type;
    if (typeof type === 'string') return type;
  }
  return undefined;
};
const isMessageTooLarge = (e: unknown) => kafkaErrorType(e) === 'MESSAGE_TOO_LARGE';

/**
 * The topic's max.message.bytes (the largest record batch it takes). A topic that does not exist or
 * whose name Kafka refuses fails here, saying so: the producer is not allowed to create topics.
 */
async function topicMessageLimit(kafka: Kafka, topic: string): Promise<number> {
  const { ConfigResourceTypes } = loadKafkaJs();
  const admin = kafka.admin();
  try {
    await admin.connect();
    const { resources } = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['max.message.bytes'] }] });
    const value = Number(resources[0]?.configEntries.find((c) => c.configName === 'max.message.bytes')?.configValue);
    return Number.isFinite(value) && value > 0 ? value : DEFAULT_MESSAGE_LIMIT;
  } catch (e) {
    const type = kafkaErrorType(e);
    if (type === 'UNKNOWN_TOPIC_OR_PARTITION') throw new Error('the topic does not exist (sink.kafka does not create topics): create it first, or fix the topic name', { cause: e });
    if (type === 'INVALID_TOPIC_EXCEPTION') throw new Error("Kafka refuses that topic name (up to 249 characters: letters, digits, '.', '_' and '-')", { cause: e });
    // Not allowed to read the topic's configuration (ACLs): the broker's default is the likely limit.
    if (type === 'TOPIC_AUTHORIZATION_FAILED' || type === 'CLUSTER_AUTHORIZATION_FAILED') return DEFAULT_MESSAGE_LIMIT;
    throw e;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

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
    const limit = await topicMessageLimit(kafka, spec.topic);
    // Kafka's limit is per record batch, and one send of `batchSize` small messages can exceed it:
    // sends are cut by bytes too, with room for the batch header.
    const budget = Math.max(1, limit - BATCH_OVERHEAD);
    txn = await producer.transaction();
    const { CompressionTypes } = loadKafkaJs();
    const compression = spec.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;
    const result = await io.db.conn.stream(spec.rowsSql);
    let pending: Array<{ key: string | null; value: string | null }> = [];
    let pendingBytes = 0;
    let row = 0;
    const tooLarge = (at: number, key: string | null, bytes: number) =>
      new CaudalError(
        'execution',
        `node '${ctx.nodeId}' (connection '${ctx.connection}'): writing to topic '${spec.topic}' failed: row ${at} of the input${key === null ? '' : ` (key '${key.length > 100 ? `${key.slice(0, 100)}…` : key}')`} is a message of ${bytes} bytes, over the topic's limit of ${limit} bytes (max.message.bytes)${compression === CompressionTypes.None ? '' : ' even compressed'}; nothing was published`,
        { nodeId: ctx.nodeId, hint: `make the message smaller (send one column with Value column, or leave big columns out), or raise the topic's max.message.bytes (and the consumers' fetch limits)` },
      );
    const send = async () => {
      if (pending.length === 0) return;
      const first = row - pending.length + 1;
      try {
        await txn!.send({ topic: spec.topic, messages: pending, compression });
      } catch (e) {
        // Only a message over the limit on its own makes a batch cut by bytes too large (compressed, it was sent to try).
        if (pending.length === 1 && isMessageTooLarge(e)) throw tooLarge(first, pending[0]!.key, pendingBytes - RECORD_OVERHEAD);
        throw e;
      }
      rows += pending.length;
      io.progress(rows);
      pending = [];
      pendingBytes = 0;
    };
    for await (const chunk of result.yieldRows()) {
      if (io.isCancelled()) throw new CaudalError('cancelled', 'the write was cancelled');
      for (const [k, v] of chunk) {
        const message = { key: k === null ? null : String(k), value: v === null ? null : String(v) };
        const bytes = (message.key === null ? 0 : Buffer.byteLength(message.key)) + (message.value === null ? 0 : Buffer.byteLength(message.value)) + RECORD_OVERHEAD;
        if (pending.length >= spec.batchSize || (pending.length > 0 && pendingBytes + bytes > budget)) await send();
        row++;
        // Uncompressed, a message over the limit can only be refused: say which before sending it.
        if (bytes > budget && compression === CompressionTypes.None) throw tooLarge(row, message.key, bytes - RECORD_OVERHEAD);
        pending.push(message);
        pendingBytes += bytes;
      }
    }
    if (io.isCancelled()) throw new CaudalError('cancelled', 'the write was cancelled');
    await send();
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
