import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, Consumer, IHeaders, Kafka } from 'kafkajs';
import type { KafkaConfig } from '../../connections/kafka/kafka.connection.js';
import { CaudalError, errorMessage } from '../../util/errors.js';
import { kafkaClient, kafkaErrorType, kafkaHint, missingPasswordOr } from './client.js';

/** One message as read, with where it came from. */
export interface KafkaRecord {
  topic: string;
  partition: number;
  offset: string;
  /** Milliseconds since the epoch, as Kafka gives it. */
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders;
}

export interface KafkaReadSpec {
  topics: string[];
  groupId: string;
  /**
   * Where a topic the group has never read starts (see startPosition): a partition added later to a
   * topic the group reads starts at the earliest offset instead.
   */
  startFrom: 'earliest' | 'latest' | 'timestamp';
  /**
   * The topics are those a pattern (topic_pattern) matched when the run started: a matching topic the
   * group has never read, while it has read others of them, was created after the group started and
   * is read from its earliest offset, not from startFrom.
   */
  topicPattern?: string;
  /**
   * The group the pipeline's default group was before each copy of a pipeline had its own (the same
   * name without the state folder's hash): a default group that has read none of the topics starts
   * where that one stands, once, so an upgrade reads on where it was instead of from startFrom.
   */
  adoptFrom?: string;
  /** For startFrom = timestamp: milliseconds since the epoch. */
  startTimestamp?: number;
  maxRows: number;
  maxWaitMs: number;
  /** Bytes of messages buffered at most (keys, values, headers): DEFAULT_MAX_BUFFER_BYTES when not given. */
  maxBufferBytes?: number;
}

export interface ReadControl {
  /** --watch: wait for the first message; else return what is available now. */
  watch: boolean;
  stopping(): boolean;
  isCancelled(): boolean;
  /** Something the user should know that does not stop the run (HookIo.warn): messages lost to retention. */
  warn?(message: string): void;
}

export interface KafkaBatch {
  records: KafkaRecord[];
  /** Messages behind the batch, summed over partitions, as the brokers last reported. */
  lag: number;
  waitedMs: number;
  /** What this batch told through ReadControl.warn (also when it has none). */
  warnings?: string[];
}

const POLL_MS = 25;
/**
 * Memory for buffered messages: with large messages, maxRows (twice, read ahead) alone would hold
 * gigabytes. Fetching pauses past this, and a batch closes at it (before maxRows). kafkajs may add
 * one fetch (up to 10 MB) on top.
 */
export const DEFAULT_MAX_BUFFER_BYTES = 64 * 1024 * 1024;
/** A plain run stops reading when nothing new arrived for this long, even if it has not caught up. */
const IDLE_GIVE_UP_MS = 5_000;

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/**
 * The committed offset kafkajs writes for a group by itself when a fetch finds the partition's
 * position deleted by retention (its default offset, "earliest"): the group has read the partition,
 * and reads on from its log start. Only -1 means that the group has no offset there.
 */
const EARLIEST_MARK = -2n;
const hasRead = (offset: bigint | undefined) => offset !== undefined && (offset >= 0n || offset === EARLIEST_MARK);

/**
 * How long the group coordinator keeps this member without a heartbeat. A member that is killed
 * (kill -9, a lost machine) never says it leaves: the next run's join waits until the coordinator
 * gives up on it, this long (kafkajs' default is 30 s). kafkajs heartbeats every 3 s, also while
 * fetching is paused and the graph runs a batch (DuckDB works off the event loop), so 10 s leaves
 * room for two heartbeats lost or late before the coordinator takes this member for dead.
 */
export const SESSION_TIMEOUT_MS = 10_000;

/** How long a commit refused by a rebalance waits for this member to join the group again. */
const REJOIN_WAIT_MS = 30_000;

/** A commit refused because the group rebalanced (kafkajs' own test, through its retry wrapper). */
function isRebalanceRefusal(e: unknown): boolean {
  for (let c = e as { type?: string; cause?: unknown; originalError?: unknown } | undefined, depth = 0; c && depth < 5; depth++) {
    if (c.type === 'REBALANCE_IN_PROGRESS' || c.type === 'ILLEGAL_GENERATION' || c.type === 'UNKNOWN_MEMBER_ID') return true;
    c = (c.originalError ?? c.cause) as typeof c;
  }
  return false;
}

/**
 * A consumer group member that reads bounded batches (DESIGN: streaming sources acknowledge after
 * the commit). Messages are taken from kafkajs's fetch loop into a buffer; a batch takes up to
 * `maxRows` of them while fetching goes on (up to twice `maxRows` buffered); `commit()` then commits the batch's
 * offsets to the group. Offsets are never committed otherwise (autoCommit off), so a run that fails
 * or dies reads the same messages again: at-least-once.
 */
export class KafkaConsumerSession {
  private readonly buffer: KafkaRecord[] = [];
  /** Bytes of the records in `buffer` (recordBytes). */
  private bufferedBytes = 0;
  private readonly highWater = new Map<string, bigint>();
  private readonly position = new Map<string, bigint>();
  private taken = new Map<string, bigint>();
  /** The group's committed offsets as last read or committed by this session (a position is committed only past them). */
  private readonly committedAt = new Map<string, bigint>();
  /** Where partitions new to the group start: committed when the session starts (commitStart), and again with the first commit. */
  private readonly startOffsets = new Map<string, bigint>();
  /** Fetching of every topic is paused (the buffer holds maxBufferBytes). */
  private paused = false;
  /** Partitions whose fetching is paused (the buffer holds twice maxRows): see pauseFor. */
  private readonly pausedParts = new Set<string>();
  private failure?: Error;
  /** Warnings not yet told (read() tells them): messages the topic's retention deleted before the group read them. */
  private readonly pendingWarnings: string[] = [];
  /** Per partition, the offset up to which lost messages were told already (each loss is told once). */
  private readonly lossToldTo = new Map<string, bigint>();
  /**
   * Per partition, a fetch that began past where this member's reading had reached (`from`), at
   * `to`: kafkajs moved on by itself, as it does when the messages at `from` were deleted by
   * retention (or a compaction left a gap there, which checkRetention tells apart by the log start).
   */
  private readonly gaps = new Map<string, { from: bigint; to: bigint }>();
  /** The partitions the group gave this member at its last join (undefined before the first). */
  private assigned?: Set<string>;
  /** Joins of the group so far, and who waits for the next one (a commit refused by a rebalance). */
  private joins = 0;
  private joinWaiters: Array<() => void> = [];
  /**
   * The first join of the group, started by open() and awaited by the first read(): a join can
   * wait for a member that was killed without leaving (until SESSION_TIMEOUT_MS has passed), and a
   * run cancelled meanwhile must not wait with it (read() races it against cancellation).
   */
  private joined?: Promise<void>;
  private joinDone = false;
  /** close() was called: the consumer is not restarted after a crash, and a join that ends later does nothing more. */
  private closing = false;

  private constructor(
    private readonly kafka: Kafka,
    private readonly admin: Admin,
    private readonly consumer: Consumer,
    private readonly spec: KafkaReadSpec,
    private readonly config: KafkaConfig,
    /** The client's open sockets: see close(). */
    private readonly sockets = new Set<Socket>(),
  ) {}

  private get brokers(): string {
    return this.config.brokers;
  }

  static async open(config: KafkaConfig, spec: KafkaReadSpec): Promise<KafkaConsumerSession> {
    const sockets = new Set<Socket>();
    const kafka = kafkaClient(config, sockets);
    const admin = kafka.admin();
    let closing = (): boolean => false;
    const consumer = kafka.consumer({
      groupId: spec.groupId,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 200,
      sessionTimeout: SESSION_TIMEOUT_MS,
      // Not restarted by kafkajs once closed (a join under way when the run is cancelled fails when the connection is closed).
      retry: { retries: 5, restartOnFailure: async () => !closing() },
    });
    const session = new KafkaConsumerSession(kafka, admin, consumer, spec, config, sockets);
    closing = () => session.closing;
    try {
      await admin.connect();
      await session.start();
      return session;
    } catch (e) {
      await session.close();
      throw cannotStart(missingPasswordOr(e, config), config, spec);
    }
  }

  private async start(): Promise<void> {
    // Partitions without a committed offset start where startPositions says (a seek once the group
    // is joined), and that start is committed as soon as the group is joined, before reading
    // (commitStart): otherwise "latest" would move with every run until a run committed.
    const committed = await this.committedOffsets();
    this.noteCommitted(committed);
    const adopted = await this.adoptedOffsets(committed);
    const readBefore = new Set(this.spec.topics.filter((t) => [...committed, ...adopted].some(([k, o]) => hasRead(o) && k.startsWith(`${t}\u0000`))));
    const seeks: Array<{ topic: string; partition: number; offset: string }> = [];
    for (const topic of this.spec.topics) {
      const parts = await this.admin.fetchTopicOffsets(topic);
      for (const p of parts) this.noteLost(topic, p.partition, committed.get(key(topic, p.partition)) ?? adopted.get(key(topic, p.partition)) ?? -1n, BigInt(p.low));
      // A partition at kafkajs' "earliest" mark is not new: kafkajs reads it from its log start.
      const fresh = parts.filter((p) => !hasRead(committed.get(key(topic, p.partition))));
      if (fresh.length === 0) continue;
      const from = startPosition(this.spec, readBefore.has(topic), readBefore.size > 0);
      const at =
        from === 'timestamp'
          ? new Map((await this.admin.fetchTopicOffsetsByTimestamp(topic, this.spec.startTimestamp)).map((p) => [p.partition, p.offset]))
          : new Map(parts.map((p) => [p.partition, from === 'latest' ? p.high : p.low]));
      for (const p of fresh) {
        // Where the earlier default group stands (its "earliest" mark: the log start), else the start.
        const taken = adopted.get(key(topic, p.partition));
        const offset = taken !== undefined && hasRead(taken) ? (taken >= 0n ? taken.toString() : p.low) : (at.get(p.partition) ?? p.high);
        seeks.push({ topic, partition: p.partition, offset });
        this.startOffsets.set(key(topic, p.partition), BigInt(offset));
      }
    }
    await this.consumer.connect();
    this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => {
      this.onJoin(e.payload.memberAssignment);
      this.joins++;
      for (const w of this.joinWaiters.splice(0)) w();
    });
    this.consumer.on(this.consumer.events.CRASH, (e) => {
      // kafkajs restarts a crashed consumer by itself, from the committed offsets: the buffer would
      // then be read twice. The session fails instead (the run, or the watch, ends; a new start
      // reads from the committed offsets). Registered before the join: a join refused fails too.
      if (!this.closing) this.failure ??= e.payload.error;
    });
    await this.consumer.subscribe({ topics: this.spec.topics, fromBeginning: true });
    // run() resolves once this member joined the group (or the join failed: CRASH). Not awaited
    // here: see `joined`.
    this.joined = this.consumer
      .run({
        autoCommit: false,
        eachBatchAutoResolve: true,
        eachBatch: async ({ batch, heartbeat }) => {
          const k = key(batch.topic, batch.partition);
          // A fetch of a partition this member no longer owns (it was in flight during a rebalance).
          if (this.assigned && !this.assigned.has(k)) return;
          // After a rebalance kafkajs fetches again from the group's committed offset: what was
          // buffered or taken since must not be read twice (onJoin seeks past it; this catches a
          // fetch that was already under way).
          const from = this.position.get(k);
          const first = batch.messages[0];
          if (from !== undefined && first && BigInt(first.offset) > from && !this.gaps.has(k)) this.gaps.set(k, { from, to: BigInt(first.offset) });
          for (const m of batch.messages) {
            if (from !== undefined && BigInt(m.offset) < from) continue;
            const r: KafkaRecord = { topic: batch.topic, partition: batch.partition, offset: m.offset, timestamp: m.timestamp, key: m.key ?? null, value: m.value ?? null, headers: m.headers ?? {} };
            this.buffer.push(r);
            this.bufferedBytes += recordBytes(r);
          }
          // Where kafkajs fetches next: past the batch's last record, which can be a transaction's
          // commit or abort marker (a control record, never a message) or an aborted message.
          this.advance(k, BigInt(batch.lastOffset()) + 1n, batch.highWatermark);
          if (this.bufferedBytes >= this.maxBufferBytes) this.pause();
          else if (this.buffer.length >= this.spec.maxRows * 2) this.pauseFor(k);
          await heartbeat();
        },
      })
      .then(async () => {
        if (this.closing || this.failure) return;
        // A fetch that held only control records or aborted messages (the end of a topic written by a
        // transactional producer) never reaches eachBatch: kafkajs moves past it and says so here.
        this.consumer.on(this.consumer.events.END_BATCH_PROCESS, (e) => {
          const b = e.payload;
          if (b.batchSize !== 0) return;
          const k = key(b.topic, b.partition);
          if (this.assigned && !this.assigned.has(k)) return;
          this.advance(k, BigInt(b.lastOffset) + 1n, b.highWatermark);
        });
        for (const s of seeks) this.consumer.seek(s);
        await this.commitStart(seeks);
      })
      .catch((e: unknown) => {
        this.failure ??= e instanceof Error ? e : new Error(errorMessage(e));
      })
      .finally(() => {
        this.joinDone = true;
      });
  }

  /**
   * Waits for the first join of the group (see `joined`), giving up as soon as the run is
   * cancelled (or a --watch is asked to stop): the join can wait up to SESSION_TIMEOUT_MS for a
   * member that was killed without leaving. The consumer is disconnected then, leaving the
   * group's offsets as they were.
   */
  private async awaitJoin(control: ReadControl): Promise<void> {
    if (this.joinDone || !this.joined) return;
    const joined = this.joined;
    for (;;) {
      if (control.isCancelled() || control.stopping()) {
        await this.close();
        const why = control.isCancelled() ? 'the run was cancelled' : 'stopped';
        throw new CaudalError('cancelled', `${why} while waiting to join consumer group '${this.spec.groupId}' (nothing was read or committed)`);
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([joined, new Promise<void>((resolve) => (timer = setTimeout(resolve, POLL_MS)))]);
      clearTimeout(timer);
      if (this.joinDone) return;
    }
  }

  /**
   * This member's reading of a partition reached `next` (the offset kafkajs fetches next); the
   * brokers' high watermark as the fetch saw it.
   */
  private advance(k: string, next: bigint, highWatermark: string): void {
    const at = this.position.get(k);
    if (at === undefined || next > at) this.position.set(k, next);
    this.highWater.set(k, BigInt(highWatermark));
  }

  /**
   * Messages between `from` (where the group, or this member, was to read a partition next) and the
   * partition's log start offset were deleted by the topic's retention (or a deleteRecords) before
   * anyone read them: kafkajs moves on to the log start without a word. Told once per loss, as a
   * warning rather than a failure: nothing can read them any more, and failing would stop the
   * pipeline at this partition for good.
   */
  private noteLost(topic: string, partition: number, from: bigint, logStart: bigint): void {
    const k = key(topic, partition);
    const told = this.lossToldTo.get(k) ?? -1n;
    if (from < told) from = told;
    if (from < 0n || from >= logStart) return;
    this.lossToldTo.set(k, logStart);
    const n = logStart - from;
    this.pendingWarnings.push(
      `Kafka topic '${topic}' partition ${partition}: ${n === 1n ? `the message at offset ${from} was` : `${n} messages at offsets ${from}–${logStart - 1n} were`} deleted by the topic's retention ` +
        `(or deleteRecords) before consumer group '${this.spec.groupId}' read ${n === 1n ? 'it' : 'them'}: they are lost to this pipeline; reading goes on at offset ${logStart}, ` +
        `the oldest message kept (raise the topic's retention.ms or retention.bytes, or run the pipeline more often)`,
    );
  }

  /**
   * Makes the start of partitions new to the group durable at once, before anything is read:
   * kept only in memory, a first run that failed, was cancelled or was killed would leave the group
   * without a position, and the next run would compute "latest" again and skip what arrived
   * meanwhile. The start is not data (nothing read is acknowledged by it), so committing it keeps
   * "state advances only on commit". When the commit fails (the group is rebalancing), the start
   * stays in memory and is committed with the first commit, as before.
   */
  private async commitStart(seeks: Array<{ topic: string; partition: number; offset: string }>): Promise<void> {
    if (seeks.length === 0 || this.failure) return;
    try {
      await this.consumer.commitOffsets(seeks);
    } catch {
      // Committed with the first commit instead (commit() adds startOffsets).
    }
  }

  /**
   * A (re)join of the group, e.g. another member joined or left: partitions taken away lose their
   * buffered messages (their new owner reads them from the committed offset), and partitions kept
   * continue where this member's buffer ends instead of where the group last committed.
   */
  private onJoin(assignment: Record<string, number[]>): void {
    const now = new Set(Object.entries(assignment).flatMap(([topic, parts]) => parts.map((p) => key(topic, p))));
    const revoked = [...this.position.keys(), ...this.highWater.keys()].filter((k) => !now.has(k));
    if (revoked.length > 0) {
      const gone = new Set(revoked);
      const kept = this.buffer.filter((r) => !gone.has(key(r.topic, r.partition)));
      this.buffer.splice(0, this.buffer.length, ...kept);
      this.bufferedBytes = kept.reduce((n, r) => n + recordBytes(r), 0);
      for (const k of gone) {
        this.position.delete(k);
        this.highWater.delete(k);
      }
    }
    this.assigned = now;
    for (const k of now) {
      // Where this member's reading of the partition ends: its buffer, the batch not yet committed, or where a new group starts.
      const at = this.position.get(k) ?? this.taken.get(k) ?? this.startOffsets.get(k);
      if (at === undefined) continue;
      const [topic, partition] = k.split('\u0000') as [string, string];
      this.consumer.seek({ topic, partition: Number(partition), offset: at.toString() });
    }
  }

  private noteCommitted(offsets: Map<string, bigint>): void {
    for (const [k, o] of offsets) if (o >= 0n && o > (this.committedAt.get(k) ?? -1n)) this.committedAt.set(k, o);
  }

  /** The group's committed offset per topic-partition (-1: none yet). */
  /**
   * The offsets of spec.adoptFrom, when the group has read none of the topics (see adoptFrom), told
   * once as a warning; empty otherwise.
   */
  private async adoptedOffsets(committed: Map<string, bigint>): Promise<Map<string, bigint>> {
    const from = this.spec.adoptFrom;
    if (from === undefined || [...committed.values()].some(hasRead)) return new Map();
    const offsets = await this.committedOffsets(from);
    if (![...offsets.values()].some(hasRead)) return new Map();
    this.pendingWarnings.push(
      `consumer group '${this.spec.groupId}' starts where group '${from}' stands, which this pipeline used before each copy of a pipeline (another folder, another machine) had its own group; ` +
        `'${from}' is no longer used or moved by this copy (delete it once no copy of an earlier version reads with it)`,
    );
    return offsets;
  }

  private async committedOffsets(groupId = this.spec.groupId): Promise<Map<string, bigint>> {
    const out = new Map<string, bigint>();
    for (const t of await this.admin.fetchOffsets({ groupId, topics: this.spec.topics })) {
      for (const p of t.partitions) out.set(key(t.topic, p.partition), BigInt(p.offset));
    }
    return out;
  }

  /** Each partition's log start offset (the oldest message kept) and end (past the last committed message), as the brokers report them now. */
  private async brokerOffsets(): Promise<Map<string, { low: bigint; high: bigint }>> {
    const out = new Map<string, { low: bigint; high: bigint }>();
    for (const topic of this.spec.topics) {
      for (const p of await this.admin.fetchTopicOffsets(topic)) out.set(key(topic, p.partition), { low: BigInt(p.low), high: BigInt(p.high) });
    }
    return out;
  }

  /**
   * Partitions this member reads whose next offset the topic's retention deleted meanwhile (a watch
   * that fell behind, its fetching paused while a long batch ran): see noteLost. Where the brokers
   * cannot be asked, the check waits for the next batch.
   */
  private async checkRetention(): Promise<void> {
    if (this.position.size === 0) return;
    const offsets = await this.brokerOffsets().catch(() => undefined);
    if (!offsets) return;
    for (const [k, o] of offsets) {
      if (this.assigned && !this.assigned.has(k)) continue;
      const [topic, partition] = k.split('\u0000') as [string, string];
      // A fetch that skipped ahead (kafkajs reset a position retention had passed while it fetched):
      // lost up to where that fetch began, if the log start is past where reading had reached.
      const gap = this.gaps.get(k);
      if (gap && o.low > gap.from) this.noteLost(topic, Number(partition), gap.from, o.low < gap.to ? o.low : gap.to);
      const at = this.position.get(k);
      if (at !== undefined) this.noteLost(topic, Number(partition), at, o.low);
    }
    this.gaps.clear();
  }

  /**
   * Messages behind the batch in every partition this member reads, against the ends the brokers
   * report now: also partitions not fetched yet (fetching pauses once the buffer is full, so some
   * partitions may not have been fetched at all). Counted from where the batch leaves each
   * partition: its commit point, else the first message still buffered, else where the group is.
   */
  private async lagNow(): Promise<bigint> {
    const offsets = await this.brokerOffsets().catch(() => undefined);
    const firstBuffered = new Map<string, bigint>();
    for (const r of this.buffer) {
      const k = key(r.topic, r.partition);
      if (!firstBuffered.has(k)) firstBuffered.set(k, BigInt(r.offset));
    }
    const ends = offsets ? new Map([...offsets].map(([k, o]) => [k, o.high])) : this.highWater;
    let lag = 0n;
    for (const [k, high] of ends) {
      if (this.assigned && !this.assigned.has(k)) continue;
      const low = offsets?.get(k)?.low ?? 0n;
      const at = this.taken.get(k) ?? firstBuffered.get(k) ?? this.position.get(k) ?? this.committedAt.get(k) ?? this.startOffsets.get(k) ?? low;
      const next = at > low ? at : low;
      if (high > next) lag += high - next;
    }
    return lag;
  }

  private pause(): void {
    if (this.paused) return;
    this.consumer.pause(this.spec.topics.map((topic) => ({ topic })));
    this.paused = true;
  }

  /**
   * The buffer holds twice maxRows: fetching pauses for the partitions that have messages in it
   * (`k` just delivered some), not for the others. Pausing every topic here would drop the rest of
   * the fetch kafkajs is handing over (the other partitions' messages), and one partition's burst
   * would be read to its end before any other partition is fetched at all. A partition with
   * nothing buffered is thus paused once its next fetch arrives: the buffer holds at most one fetch
   * per partition more (the byte bound still pauses everything).
   */
  private pauseFor(k: string): void {
    const holding = this.pausedParts.size === 0 ? new Set(this.buffer.map((r) => key(r.topic, r.partition))) : new Set([k]);
    const now = [...holding].filter((x) => !this.pausedParts.has(x));
    if (now.length === 0) return;
    for (const x of now) this.pausedParts.add(x);
    this.consumer.pause(
      now.map((x) => {
        const [topic, partition] = x.split('\u0000') as [string, string];
        return { topic, partitions: [Number(partition)] };
      }),
    );
  }

  private resume(): void {
    if (!this.paused && this.pausedParts.size === 0) return;
    this.consumer.resume(this.spec.topics.map((topic) => ({ topic })));
    this.paused = false;
    this.pausedParts.clear();
  }

  /** One batch: see ReadControl. The batch's offsets are committed by commit(), and only then. */
  async read(control: ReadControl): Promise<KafkaBatch> {
    const t0 = Date.now();
    // Before touching the consumer: after a crash kafkajs's own error ("consumer group was not initialized") would hide the cause.
    this.check(control);
    await this.awaitJoin(control);
    this.check(control);
    await this.checkRetention();
    this.resume();
    if (!control.watch) await this.readAvailable(control);
    else await this.readNext(control);
    // Fetching goes on while the graph runs the batch (the next batch is then mostly buffered
    // already); eachBatch pauses it once twice maxRows, or maxBufferBytes, are waiting, which bounds the memory.
    const records = this.takeBatch();
    this.taken = new Map();
    // Offsets grow within a partition: the last record of each partition is the one to commit after.
    for (let i = records.length - 1; i >= 0 && this.taken.size < this.highWater.size; i--) {
      const r = records[i]!;
      const k = key(r.topic, r.partition);
      if (!this.taken.has(k)) this.taken.set(k, BigInt(r.offset) + 1n);
    }
    // A partition whose messages this batch took all of (none left in the buffer) is read up to
    // where the next fetch starts: what lies between its last message and there are transaction
    // markers or aborted messages, which nobody reads. Committing that position, not the last
    // message + 1, lets the group reach the end of a topic a transactional producer wrote (its last
    // record is a commit marker): otherwise its lag stays 1 and every plain run waits for a
    // message that never comes. Partitions without a message in the batch whose position moved
    // (a fetch of markers only) are committed too.
    const left = new Set(this.buffer.map((r) => key(r.topic, r.partition)));
    for (const [k, next] of this.position) {
      if (left.has(k)) continue;
      // Never behind the group (another member may have committed further).
      const from = this.taken.get(k) ?? this.committedAt.get(k) ?? this.startOffsets.get(k);
      if (from !== undefined && next > from) this.taken.set(k, next);
    }
    const lag = await this.lagNow();
    const warnings = this.pendingWarnings.splice(0);
    for (const w of warnings) control.warn?.(w);
    return { records, lag: Number(lag), waitedMs: Date.now() - t0, warnings };
  }

  private get maxBufferBytes(): number {
    return this.spec.maxBufferBytes ?? DEFAULT_MAX_BUFFER_BYTES;
  }

  /** Whether the buffer holds a whole batch: maxRows messages, or maxBufferBytes of them. */
  private full(): boolean {
    return this.buffer.length >= this.spec.maxRows || this.bufferedBytes >= this.maxBufferBytes;
  }

  /**
   * The next batch from the buffer: up to maxRows messages and, past the first, up to
   * maxBufferBytes. When the buffer holds more than a batch, every partition in it gets an equal
   * share of the batch (a partition with fewer messages leaves the rest of its share to the
   * others): one partition's burst, fetched first, does not hold the others back for many batches.
   * Each partition's messages are a prefix of its buffered ones, in order (commit() relies on it).
   */
  private takeBatch(): KafkaRecord[] {
    const perPartition = new Map<string, KafkaRecord[]>();
    for (const r of this.buffer) {
      const k = key(r.topic, r.partition);
      const list = perPartition.get(k);
      if (list) list.push(r);
      else perPartition.set(k, [r]);
    }
    const quota = fairShares(new Map([...perPartition].map(([k, list]) => [k, list.length])), this.spec.maxRows);
    const records: KafkaRecord[] = [];
    let bytes = 0;
    outer: for (const [k, list] of perPartition) {
      for (let i = 0; i < (quota.get(k) ?? 0); i++) {
        const size = recordBytes(list[i]!);
        if (records.length > 0 && bytes + size > this.maxBufferBytes) break outer;
        bytes += size;
        records.push(list[i]!);
      }
    }
    const taken = new Set(records);
    const rest = this.buffer.filter((r) => !taken.has(r));
    // Not splice(…, ...rest): spreading a few hundred thousand arguments overflows the stack.
    this.buffer.length = 0;
    for (const r of rest) this.buffer.push(r);
    this.bufferedBytes -= bytes;
    return records;
  }

  /** A plain run: everything up to the ends the brokers report now, within the node's limits. */
  private async readAvailable(control: ReadControl): Promise<void> {
    const offsets = await this.brokerOffsets();
    const committed = await this.committedOffsets();
    this.noteCommitted(committed);
    // Behind where the brokers' end is past the position; a position before the log start (its
    // messages deleted by retention) counts from the log start, where kafkajs goes on.
    const behind = () =>
      [...offsets].some(([k, { low, high }]) => {
        const c = committed.get(k);
        const at = this.position.get(k) ?? this.startOffsets.get(k) ?? (c !== undefined && c >= 0n ? c : 0n);
        return (at > low ? at : low) < high;
      });
    let lastGrowth = Date.now();
    let seen = this.buffer.length;
    const started = Date.now();
    while (!this.full() && behind()) {
      this.check(control);
      if (this.buffer.length !== seen) {
        seen = this.buffer.length;
        lastGrowth = Date.now();
      }
      // Partitions that do not catch up (another producer's open transaction holds reading back below the end) must not hang a run.
      if (Date.now() - lastGrowth > Math.max(IDLE_GIVE_UP_MS, this.spec.maxWaitMs) && Date.now() - started > IDLE_GIVE_UP_MS) break;
      await sleep(POLL_MS);
    }
  }

  /** A watch batch: wait for the first message, then up to maxWaitMs more (or maxRows). */
  private async readNext(control: ReadControl): Promise<void> {
    while (this.buffer.length === 0) {
      this.check(control);
      if (control.stopping()) throw new CaudalError('cancelled', 'stopped while waiting for messages');
      await sleep(POLL_MS);
    }
    const until = Date.now() + this.spec.maxWaitMs;
    while (!this.full() && Date.now() < until) {
      this.check(control);
      await sleep(POLL_MS);
    }
  }

  private check(control: ReadControl): void {
    if (control.isCancelled()) throw new CaudalError('cancelled', 'the run was cancelled');
    if (this.failure) {
      const cause = kafkaErrorType(this.failure) === 'UNKNOWN_TOPIC_OR_PARTITION'
        ? `a topic of ${this.spec.topics.map((t) => `'${t}'`).join(', ')} no longer exists on the brokers (${this.brokers}): it was deleted (or lost a partition); create it again, or remove it from the node's topics`
        : (kafkaHint(this.failure, this.config, this.spec.topics) ?? `check that the brokers (${this.brokers}) are up and reachable`);
      throw new CaudalError('io', `the Kafka consumer stopped: ${kafkaErrorText(this.failure)}`, {
        hint: `${cause}; what this batch read was not acknowledged and is read again by the next run`,
      });
    }
  }

  /** Commits the last batch's offsets to the group (after every sink of the run committed). */
  async commit(): Promise<void> {
    // Only after a read, which waited for the join; a commit without one waits for it here.
    if (!this.joinDone) await this.joined;
    for (const [k, start] of this.startOffsets) if (!this.taken.has(k)) this.taken.set(k, start);
    this.startOffsets.clear();
    const offsets = [...this.taken].map(([k, next]) => {
      const [topic, partition] = k.split('\u0000') as [string, string];
      return { topic, partition: Number(partition), offset: next.toString() };
    });
    this.taken = new Map();
    if (offsets.length === 0) return;
    const joinsBefore = this.joins;
    try {
      try {
        await this.consumer.commitOffsets(offsets);
        await this.checkCommitted(offsets);
      } catch (e) {
        if (!isRebalanceRefusal(e)) throw e;
        await this.commitAfterRejoin(offsets, joinsBefore, e);
      }
      this.noteCommitted(new Map(offsets.map((o) => [key(o.topic, o.partition), BigInt(o.offset)])));
    } catch (e) {
      // The batch is in the destinations but the group's position did not move: the run (the
      // batch, in --watch) fails saying so, and this session reads nothing more.
      const text = kafkaErrorText(this.failure ?? e);
      this.failure ??= new Error(`committing the offsets of the last batch failed: ${text}`);
      throw new CaudalError('io', `committing the offsets of consumer group '${this.spec.groupId}' to Kafka failed: ${text}`, {
        hint: `check that the brokers (${this.brokers}) are up and that no other consumer took over the group (a rebalance refuses the commit of the member it replaced)`,
        cause: e,
      });
    }
  }

  /**
   * The group rebalanced while the batch was written (a member joined or left): the coordinator
   * refuses a commit of the old generation. Once this member has joined again, the batch's offsets
   * are committed with the new generation where the group is not already further (another member
   * read and committed past them meanwhile). That includes partitions the rebalance gave to another
   * member: the batch is in the destinations, so moving the group's position up to its end loses
   * nothing, and the partition's next owner (this member again, once a short-lived member left)
   * does not read it twice. A group that rebalances again during that commit (the member that
   * joined leaves at once) is waited for again, up to REJOIN_WAIT_MS in all.
   */
  private async commitAfterRejoin(offsets: Array<{ topic: string; partition: number; offset: string }>, joinsBefore: number, refusal: unknown): Promise<void> {
    const deadline = Date.now() + REJOIN_WAIT_MS;
    let seen = joinsBefore;
    let lastRefusal = refusal;
    for (;;) {
      if (this.joins === seen) await this.nextJoin(deadline - Date.now());
      if (this.joins === seen || this.failure) throw lastRefusal;
      seen = this.joins;
      const stored = await this.committedOffsets();
      const behind = offsets.filter((o) => (stored.get(key(o.topic, o.partition)) ?? -1n) < BigInt(o.offset));
      if (behind.length === 0) return;
      try {
        await this.consumer.commitOffsets(behind);
        await this.checkCommitted(behind);
        return;
      } catch (e) {
        if (!isRebalanceRefusal(e) || Date.now() >= deadline) throw e;
        lastRefusal = e;
      }
    }
  }

  /** Resolves at this member's next join of the group, or after `ms`. */
  private async nextJoin(ms: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      new Promise<void>((resolve) => this.joinWaiters.push(resolve)),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, ms)))),
    ]);
    clearTimeout(timer);
  }

  /**
   * kafkajs' commitOffsets returns without a word, committing nothing, while its consumer is not
   * running (it stopped on a lost broker and is restarting): a batch was reported acknowledged
   * whose offsets never reached the group. So the group's offsets are read back: each partition
   * must be at least where this batch ends (another member may since have gone further).
   */
  private async checkCommitted(offsets: { topic: string; partition: number; offset: string }[]): Promise<void> {
    if (this.failure) throw this.failure;
    let stored = await this.committedOffsets();
    // kafkajs, finding that retention deleted the messages at a partition's position, commits its
    // "earliest" mark (-2, see EARLIEST_MARK) for the group by itself before reading on from the log
    // start: when that lands after this commit, this commit is made again.
    for (let i = 0; i < 3; i++) {
      const reset = offsets.filter((o) => stored.get(key(o.topic, o.partition)) === EARLIEST_MARK);
      if (reset.length === 0) break;
      await this.consumer.commitOffsets(reset);
      stored = await this.committedOffsets();
    }
    const behind = offsets.filter((o) => (stored.get(key(o.topic, o.partition)) ?? -1n) < BigInt(o.offset));
    if (behind.length > 0) {
      const at = behind.map((o) => `${o.topic}[${o.partition}] is at ${String(stored.get(key(o.topic, o.partition)) ?? 'no offset')}, not ${o.offset}`).join(', ');
      throw new Error(`the group's offsets did not move (${at}): the consumer stopped before it could commit them`);
    }
  }

  /**
   * Leaves the group and disconnects. A join still under way (waiting for a member that was killed)
   * is abandoned: kafkajs' disconnect would wait for its answer, so the client's sockets are
   * destroyed first. The coordinator then drops this member when its session timeout passes
   * (SESSION_TIMEOUT_MS); nothing was committed.
   */
  async close(): Promise<void> {
    this.closing = true;
    // With an error: kafkajs fails its requests on a socket's 'error' (a plain destroy leaves them waiting for their timeout).
    if (this.joined && !this.joinDone) for (const s of this.sockets) s.destroy(new Error('the consumer was closed while it waited to join the group'));
    await this.consumer.disconnect().catch(() => undefined);
    await this.admin.disconnect().catch(() => undefined);
  }
}

/**
 * `total` split over the partitions by their buffered counts: equal shares, a partition with fewer
 * messages than its share taking all of them and leaving the rest to the others (water-filling).
 */
function fairShares(counts: Map<string, number>, total: number): Map<string, number> {
  const out = new Map<string, number>();
  const order = [...counts].sort((a, b) => a[1] - b[1]);
  let left = total;
  order.forEach(([k, n], i) => {
    const share = Math.ceil(left / (order.length - i));
    const q = Math.min(n, share, left);
    out.set(k, q);
    left -= q;
  });
  return out;
}

/**
 * Where partitions without a committed offset start. `startFrom` applies only where the group has
 * never read the topic: a partition added to a topic the group already reads starts at the earliest
 * offset (else "latest" would skip the messages written to it before this run), and so does a topic
 * a pattern matched after the group read other topics of that pattern (created since; "a topic
 * created later is read from the next run on", from its first message). A listed topic the group
 * has never read starts at `startFrom`, also when the group reads other topics.
 */
function startPosition(spec: Pick<KafkaReadSpec, 'startFrom' | 'topicPattern'>, groupReadTopic: boolean, groupReadAnyTopic: boolean): KafkaReadSpec['startFrom'] {
  if (groupReadTopic) return 'earliest';
  if (spec.topicPattern !== undefined && groupReadAnyTopic) return 'earliest';
  return spec.startFrom;
}

/** Why a consumer could not start, naming the topics and group, with what to do about the usual refusals. */
function cannotStart(e: unknown, config: KafkaConfig, spec: KafkaReadSpec): unknown {
  if (e instanceof CaudalError) return e;
  const hint = kafkaHint(e, config, spec.topics);
  if (hint === undefined) return e;
  const topics = spec.topics.map((t) => `'${t}'`).join(', ');
  return new CaudalError('io', `cannot read Kafka topic${spec.topics.length === 1 ? '' : 's'} ${topics} (consumer group '${spec.groupId}'): ${kafkaErrorText(e)}`, { hint, cause: e });
}

/** A record's size in memory, roughly: its key, value and headers. */
function recordBytes(r: KafkaRecord): number {
  let n = (r.key?.length ?? 0) + (r.value?.length ?? 0);
  for (const [k, v] of Object.entries(r.headers)) {
    n += k.length;
    for (const x of Array.isArray(v) ? v : [v]) n += x?.length ?? 0;
  }
  return n;
}

/**
 * A kafkajs error with its causes ("Connection error: connect ECONNREFUSED 127.0.0.1:9092" under
 * "retries exceeded"): the cause names the broker that went away.
 */
export function kafkaErrorText(e: unknown): string {
  const parts: string[] = [];
  let broker: string | undefined;
  for (let c: unknown = e; c && parts.length < 5; c = (c as { cause?: unknown }).cause) {
    const m = errorMessage(c);
    if (!parts.includes(m)) parts.push(m);
    const b = c as { broker?: unknown; host?: unknown; port?: unknown };
    broker ??= typeof b.broker === 'string' ? b.broker : typeof b.host === 'string' ? `${b.host}:${String(b.port)}` : undefined;
  }
  return parts.join(': ') + (broker && !parts.some((p) => p.includes(broker)) ? ` (broker ${broker})` : '');
}

/**
 * Up to `limit` of the latest messages of the topics, read by a throwaway group that commits
 * nothing and is deleted afterwards: what previews and schema inference see. The pipeline's own
 * group and its offsets are never touched.
 */
export async function peekKafka(config: KafkaConfig, topics: string[], limit: number, timeoutMs = 5_000): Promise<KafkaRecord[]> {
  const kafka = kafkaClient(config);
  const admin = kafka.admin();
  await admin.connect().catch((e: unknown) => {
    throw missingPasswordOr(e, config);
  });
  const groupId = `caudal-peek-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 100 });
  const out: KafkaRecord[] = [];
  try {
    const starts: Array<{ topic: string; partition: number; offset: string; end: bigint }> = [];
    for (const topic of topics) {
      const parts = await admin.fetchTopicOffsets(topic);
      const per = Math.max(1, Math.ceil(limit / Math.max(1, parts.length)));
      for (const p of parts) {
        const high = BigInt(p.high);
        const low = BigInt(p.low);
        if (high <= low) continue;
        const from = high - BigInt(per) > low ? high - BigInt(per) : low;
        starts.push({ topic, partition: p.partition, offset: from.toString(), end: high });
      }
    }
    if (starts.length === 0) return [];
    const done = new Set<string>();
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message: m }) => {
        const k = key(topic, partition);
        const s = starts.find((x) => x.topic === topic && x.partition === partition);
        if (!s || done.has(k)) return;
        out.push({ topic, partition, offset: m.offset, timestamp: m.timestamp, key: m.key ?? null, value: m.value ?? null, headers: m.headers ?? {} });
        if (BigInt(m.offset) + 1n >= s.end) done.add(k);
      },
    });
    // A partition is done once the fetches passed its end: the last record of a topic written by a
    // transactional producer is a commit marker, which no message reaches (waiting for one would
    // cost every preview the whole timeout).
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload: b }) => {
      const s = starts.find((x) => x.topic === b.topic && x.partition === b.partition);
      if (s && BigInt(b.lastOffset) + 1n >= s.end) done.add(key(b.topic, b.partition));
    });
    for (const s of starts) consumer.seek({ topic: s.topic, partition: s.partition, offset: s.offset });
    const until = Date.now() + timeoutMs;
    while (done.size < starts.length && out.length < limit * 2 && Date.now() < until) await sleep(POLL_MS);
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
  return out.sort((a, b) => Number(BigInt(a.timestamp) - BigInt(b.timestamp))).slice(-limit);
}
