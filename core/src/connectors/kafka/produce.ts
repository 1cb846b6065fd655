import type { Kafka, Producer, Transaction } from 'kafkajs';
import type { KafkaConfig } from '../../connections/kafka/kafka.connection.js';
import type { ExternalStage, HookIo } from '../../nodes/define.js';
import { CaudalError, errorMessage } from '../../util/errors.js';
import { kafkaClient, loadKafkaJs, missingPasswordOr } from './client.js';
import { namedMissingSecret } from '../../secrets/resolve.js';

export interface KafkaWriteSpec {
  topic: string;
  /** Stable per pipeline and node: a later run's producer fences (and so aborts) a killed run's transaction. */
  transactionalId: string;
  /** SQL returning two VARCHAR columns `k` (key, may be NULL) and `v` (value). */
  rowsSql: string;
  /** The input column the key comes from (for messages); undefined: the messages have no key. */
  keyColumn?: string;
  /** Messages per send. */
  batchSize: number;
  compression: 'none' | 'gzip';
  /**
   * How long the transaction may stay open (the brokers abort it after that): the producer's
   * transactionTimeout. Default: DEFAULT_TRANSACTION_TIMEOUT_MS, or the brokers' maximum when lower.
   */
  transactionTimeoutMs?: number;
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
/** How the brokers refuse a record of a compacted topic without a key (Kafka's InvalidRecordException, error 87). */
const isInvalidRecord = (e: unknown) => kafkaErrorType(e) === 'INVALID_RECORD';

/** Whether a cleanup.policy (`compact`, `delete`, `compact,delete`) compacts the topic. */
export const compacts = (policy: string | null | undefined): boolean => (policy ?? '').split(',').some((p) => p.trim() === 'compact');

/**
 * The error for messages without a key bound for a compacted topic, which the brokers refuse (a
 * compacted topic keeps the last message of each key: a message without one has no place in it).
 * `nulls`: how many rows have a NULL key (undefined: not counted); `firstRow`: the first such row of
 * the input (1-based); `certain`: the topic is known to be compacted (else the broker's refusal is read so).
 */
export function nullKeyError(at: { nodeId: string; connection: string; topic: string; keyColumn?: string }, found: { nulls?: number; total?: number; firstRow?: number; certain: boolean }): CaudalError {
  const what = at.keyColumn === undefined
    ? 'the node has no Key column, so no message has a key'
    : [
        found.nulls === undefined ? undefined : `${found.nulls} of the ${found.total ?? '?'} input row${found.total === 1 ? '' : 's'} ${found.nulls === 1 ? 'has' : 'have'} a NULL key (column '${at.keyColumn}')`,
        found.firstRow === undefined ? undefined : `${found.nulls === undefined ? `row ${found.firstRow} of the input has a NULL key (column '${at.keyColumn}')` : `the first is row ${found.firstRow}`}`,
      ].filter(Boolean).join(', ') || `a row has a NULL key (column '${at.keyColumn}')`;
  const topicIs = found.certain ? `topic '${at.topic}' is compacted (cleanup.policy=compact)` : `the brokers refused the messages of topic '${at.topic}' as invalid records, as they refuse a message without a key on a compacted topic (cleanup.policy=compact)`;
  return new CaudalError('execution', `node '${at.nodeId}' (connection '${at.connection}'): ${topicIs}, and a compacted topic needs every message to have a key: ${what}; nothing was published`, {
    nodeId: at.nodeId,
    hint: at.keyColumn === undefined
      ? 'set the Key column to the column that identifies each record (a compacted topic keeps the last message of each key), or send to a topic with cleanup.policy=delete'
      : `filter out the rows whose '${at.keyColumn}' is NULL (a Filter with "${at.keyColumn.replaceAll('"', '""')}" IS NOT NULL) or fill them (coalesce in a Derive) before this node, or send to a topic with cleanup.policy=delete`,
  });
}

/**
 * kafkajs' own default (60 s) made every run whose transaction stayed open longer fail at its commit:
 * a large topic load, or a slow sink beside this one. 15 minutes is the brokers' default
 * transaction.max.timeout.ms, the longest they accept unless the cluster raised it.
 */
export const DEFAULT_TRANSACTION_TIMEOUT_MS = 900_000;

interface WriteLimits {
  /** The topic's max.message.bytes (the largest record batch it takes). */
  messageLimit: number;
  /** Whether the topic's cleanup.policy compacts it (its messages then need keys); undefined: not readable. */
  compacted?: boolean;
  /** The brokers' transaction.max.timeout.ms, when they let us read it. */
  transactionMaxMs?: number;
}

const positive = (v: string | null | undefined) => {
  const n = Number(v);
  return Number.isFinite(n) && n > 0 ? n : undefined;
};

/** The brokers' transaction.max.timeout.ms, or undefined (no DescribeConfigs right on the cluster, an old broker). */
async function transactionMaxMs(admin: ReturnType<Kafka['admin']>): Promise<number | undefined> {
  const { ConfigResourceTypes } = loadKafkaJs();
  try {
    const { brokers } = await admin.describeCluster();
    const id = brokers[0]?.nodeId;
    if (id === undefined) return undefined;
    const { resources } = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.BROKER, name: String(id), configNames: ['transaction.max.timeout.ms'] }] });
    return positive(resources[0]?.configEntries.find((c) => c.configName === 'transaction.max.timeout.ms')?.configValue);
  } catch {
    return undefined;
  }
}

/**
 * The limits a write must respect. A topic that does not exist or whose name Kafka refuses fails
 * here, saying so: the producer is not allowed to create topics.
 */
async function writeLimits(kafka: Kafka, topic: string): Promise<WriteLimits> {
  const { ConfigResourceTypes } = loadKafkaJs();
  const admin = kafka.admin();
  try {
    await admin.connect();
    const { resources } = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['max.message.bytes', 'cleanup.policy'] }] });
    const entry = (name: string) => resources[0]?.configEntries.find((c) => c.configName === name);
    const messageLimit = positive(entry('max.message.bytes')?.configValue) ?? DEFAULT_MESSAGE_LIMIT;
    const policy = entry('cleanup.policy');
    return { messageLimit, compacted: policy ? compacts(policy.configValue) : undefined, transactionMaxMs: await transactionMaxMs(admin) };
  } catch (e) {
    const type = kafkaErrorType(e);
    if (type === 'UNKNOWN_TOPIC_OR_PARTITION') throw new Error('the topic does not exist (sink.kafka does not create topics): create it first, or fix the topic name', { cause: e });
    if (type === 'INVALID_TOPIC_EXCEPTION') throw new Error("Kafka refuses that topic name (up to 249 characters: letters, digits, '.', '_' and '-')", { cause: e });
    // Not allowed to read the topic's configuration (ACLs): the broker's default is the likely limit.
    if (type === 'TOPIC_AUTHORIZATION_FAILED' || type === 'CLUSTER_AUTHORIZATION_FAILED') return { messageLimit: DEFAULT_MESSAGE_LIMIT, transactionMaxMs: await transactionMaxMs(admin) };
    throw e;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export async function stageKafkaWrite(config: KafkaConfig, spec: KafkaWriteSpec, io: HookIo, ctx: { nodeId: string; connection: string }): Promise<ExternalStage> {
  const kafka = kafkaClient(config);
  let timeoutS = (spec.transactionTimeoutMs ?? DEFAULT_TRANSACTION_TIMEOUT_MS) / 1000;
  const fail = (e: unknown) => {
    if (e instanceof CaudalError) return e;
    const at = `node '${ctx.nodeId}' (connection '${ctx.connection}'): writing to topic '${spec.topic}' failed`;
    if (kafkaErrorType(e) === 'INVALID_TRANSACTION_TIMEOUT') {
      return new CaudalError('execution', `${at}: the brokers refuse a transaction timeout of ${timeoutS} s (transaction_timeout_s), over their transaction.max.timeout.ms; nothing was published`, {
        nodeId: ctx.nodeId,
        hint: "lower the node's transaction_timeout_s to at most the brokers' transaction.max.timeout.ms (15 minutes unless the cluster changed it), or raise that setting",
      });
    }
    return new CaudalError('execution', `${at}: ${errorMessage(e)}`, { nodeId: ctx.nodeId });
  };
  const limits = await writeLimits(kafka, spec.topic).catch((e: unknown) => {
    throw namedMissingSecret(missingPasswordOr(e, config), ctx.nodeId, ctx.connection) ?? fail(e);
  });
  const where = { nodeId: ctx.nodeId, connection: ctx.connection, topic: spec.topic, keyColumn: spec.keyColumn };
  // A compacted topic refuses a message without a key, and kafkajs says only that "this record has
  // failed the validation on broker": the rows are checked before anything is sent.
  if (limits.compacted) {
    const [found] = await io.db
      .rows(`SELECT count(*) FILTER (WHERE k IS NULL)::BIGINT AS nulls, count(*)::BIGINT AS total, min(n) FILTER (WHERE k IS NULL)::BIGINT AS first FROM (SELECT k, row_number() OVER () AS n FROM (${spec.rowsSql}) AS _rows) AS _numbered`)
      .catch((e: unknown) => {
        throw fail(e);
      });
    const nulls = Number(found?.nulls ?? 0);
    if (nulls > 0) throw nullKeyError(where, { nulls, total: Number(found?.total ?? 0), firstRow: found?.first == null ? undefined : Number(found.first), certain: true });
  }
  // Unset: the default, or the brokers' maximum when it is lower (a transaction over it is refused).
  const timeoutMs = spec.transactionTimeoutMs ?? Math.min(DEFAULT_TRANSACTION_TIMEOUT_MS, limits.transactionMaxMs ?? DEFAULT_TRANSACTION_TIMEOUT_MS);
  timeoutS = timeoutMs / 1000;
  const producer: Producer = kafka.producer({ transactionalId: spec.transactionalId, idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, transactionTimeout: timeoutMs });
  await producer.connect().catch((e: unknown) => {
    throw fail(e);
  });
  let txn: Transaction | undefined;
  let txnStarted = 0;
  let rows = 0;
  try {
    const limit = limits.messageLimit;
    // Kafka's limit is per record batch, and one send of `batchSize` small messages can exceed it:
    // sends are cut by bytes too, with room for the batch header.
    const budget = Math.max(1, limit - BATCH_OVERHEAD);
    txn = await producer.transaction();
    txnStarted = Date.now();
    const { CompressionTypes } = loadKafkaJs();
    const compression = spec.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;
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
        // A NULL key refused as an invalid record: the topic is compacted, and its cleanup.policy could not
        // be read when the run started (no DescribeConfigs right), or was changed since.
        const nullAt = pending.findIndex((m) => m.key === null);
        if (isInvalidRecord(e) && nullAt >= 0) throw nullKeyError(where, { firstRow: first + nullAt, certain: false });
        throw e;
      }
      rows += pending.length;
      io.progress(rows);
      pending = [];
      pendingBytes = 0;
    };
    for await (const chunk of io.db.stream(spec.rowsSql, 'duckdb')) {
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
  /** A commit the broker refuses because the transaction ran out of time says so, and what to change. */
  const commitFailure = (e: unknown) => {
    const openS = Math.round((Date.now() - txnStarted) / 1000);
    const type = kafkaErrorType(e);
    if ((type === 'INVALID_PRODUCER_EPOCH' || type === 'PRODUCER_FENCED') && openS >= timeoutS) {
      return new CaudalError(
        'execution',
        `node '${ctx.nodeId}' (connection '${ctx.connection}'): the Kafka transaction of topic '${spec.topic}' was open for ${openS} s, longer than its timeout of ${timeoutS} s (transaction_timeout_s): the brokers aborted it, and none of its ${rows} messages was published`,
        { nodeId: ctx.nodeId, hint: "raise the node's transaction_timeout_s above how long the run takes from its first message to its commit (at most the brokers' transaction.max.timeout.ms, 15 minutes unless the cluster changed it)" },
      );
    }
    return fail(e);
  };
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
    // The transaction's end marker: the brokers complete or abort it whole, whatever happens to us.
    wholeOrNone: true,
    commit: () => finish('commit').catch((e: unknown) => {
      throw commitFailure(e);
    }),
    rollback: () => finish('abort').catch(() => undefined),
  };
}
