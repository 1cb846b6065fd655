import { setTimeout as sleep } from 'node:timers/promises';
import type { Channel, ChannelModel, ConsumeMessage, Message } from 'amqplib';
import { amqpConnect, type RabbitmqConfig } from '../../connections/rabbitmq/rabbitmq.connection.js';
import { CaudalError, errorMessage } from '../../util/errors.js';

export interface RabbitReadSpec {
  queue: string;
  /** When set, the queue is declared (durable) and bound to this exchange with the routing key. */
  bind?: { exchange: string; routingKey: string };
  maxRows: number;
  maxWaitMs: number;
  /** on_error: dead_letter: find out whether the queue has a dead-letter exchange (deadLetterExchangeOf) when the session opens. */
  deadLetter?: boolean;
}

export interface ReadControl {
  watch: boolean;
  stopping(): boolean;
  isCancelled(): boolean;
}

const POLL_MS = 20;
/** A plain run stops early when the queue has been quiet this long (other consumers took some of its messages). */
const QUIET_MS = 300;

/**
 * Consumes a queue in bounded batches with manual acknowledgements: at most `maxRows` messages are
 * outstanding (the channel's prefetch), a batch takes them, and `ack()` acknowledges them only after
 * every sink of the run committed. Messages of a run that fails are put back (`release()`), and those
 * of a process that dies are redelivered by the broker when its connection drops: at-least-once.
 */
export class RabbitConsumerSession {
  private readonly buffer: ConsumeMessage[] = [];
  private taken: ConsumeMessage[] = [];
  private failure?: Error;
  private closing = false;
  private started = false;
  private consumerTag?: string;
  /** A plain run: how many more messages it may read (those queued when it started, counted by the first read). */
  private plainLimit = 0;
  /** With spec.deadLetter: the queue's x-dead-letter-exchange argument, null without one, undefined when it could not be told (deadLetterExchangeOf). */
  deadLetterExchange?: string | null;

  private constructor(
    private readonly conn: ChannelModel,
    private readonly channel: Channel,
    private readonly queue: string,
  ) {}

  static async open(config: RabbitmqConfig, spec: RabbitReadSpec): Promise<RabbitConsumerSession> {
    // A refused login or an unreachable broker is said with the queue and what to do, as the queue's
    // refusals are (no password stored and the login refused: noSecretError, see amqpConnect).
    const conn = await amqpConnect(config).catch((e: unknown) => {
      throw cannotConsume(e, spec);
    });
    /** The queue this open declared: deleted again when a later step fails (a run that did not start leaves no queue behind). */
    let declared = false;
    try {
      const channel = await conn.createChannel();
      const session = new RabbitConsumerSession(conn, channel, spec.queue);
      channel.on('error', (e: Error) => (session.failure ??= e));
      conn.on('error', (e: Error) => (session.failure ??= e));
      // A channel or connection that closes without an error (the broker shut down, the connection
      // was closed from the management UI) must fail the run too, not leave it waiting.
      channel.on('close', () => (session.failure ??= session.closing ? undefined : new Error('the channel was closed')));
      conn.on('close', () => (session.failure ??= session.closing ? undefined : new Error('the connection to the broker was closed')));
      if (spec.bind) {
        // The exchange first: a misspelt one must not leave a new durable queue behind.
        await checkExchange(conn, spec.bind.exchange);
        // Declared only when missing: declaring an existing queue with other arguments (a
        // dead-letter exchange, which on_error: dead_letter needs, or durable: false) is refused.
        if (!(await queueExists(conn, spec.queue))) {
          await channel.assertQueue(spec.queue, { durable: true });
          declared = true;
        }
        await channel.bindQueue(spec.queue, spec.bind.exchange, spec.bind.routingKey);
      } else await channel.checkQueue(spec.queue);
      if (spec.deadLetter) session.deadLetterExchange = await deadLetterExchangeOf(conn, spec.queue);
      // The consumer starts with the first read(), which knows whether this is a plain run (bounded
      // by what is queued then) or a --watch.
      return session;
    } catch (e) {
      if (declared) await deleteIfEmpty(conn, spec.queue);
      await conn.close().catch(() => undefined);
      throw cannotConsume(e, spec);
    }
  }

  /**
   * Starts consuming, on the first read. A plain run counts the queue's ready messages first and
   * asks the broker for at most that many (the prefetch): it reads what was queued when it started,
   * not what producers add while it runs. Nothing queued: it does not consume at all. A --watch
   * consumes up to `maxRows` unacknowledged messages at a time, for as long as it runs.
   */
  private async start(spec: RabbitReadSpec, watch: boolean): Promise<void> {
    if (this.started) return;
    this.started = true;
    try {
      let limit = spec.maxRows;
      if (!watch) {
        const { messageCount } = await this.channel.checkQueue(spec.queue);
        limit = Math.min(limit, messageCount);
        this.plainLimit = limit;
        if (limit === 0) return;
      }
      await this.channel.prefetch(limit);
      const { consumerTag } = await this.channel.consume(spec.queue, (m) => {
        if (m) this.buffer.push(m);
        // amqplib hands null when the broker cancels the consumer: the queue was deleted (or, on a
        // cluster, its node went away). Waiting on would look healthy and read nothing ever again.
        else this.failure ??= new Error(`the broker cancelled the consumer of queue '${spec.queue}': the queue was deleted (or became unavailable)`);
      });
      this.consumerTag = consumerTag;
    } catch (e) {
      throw cannotConsume(e, spec);
    }
  }

  /**
   * One batch. A plain run takes the messages that were queued when it started (counted by the
   * first read: at most that many, and at most `maxRows`), or fewer when the queue has been quiet
   * for a moment before that many came (other consumers took some, or they expired), and then stops
   * its consumer: messages sent meanwhile stay queued, undelivered, for the next run. A watch waits
   * for the first message, then up to `maxWaitMs` for more.
   */
  async read(spec: RabbitReadSpec, control: ReadControl): Promise<{ messages: ConsumeMessage[]; waiting: number; waitedMs: number }> {
    const t0 = Date.now();
    await this.start(spec, control.watch);
    if (control.watch) {
      while (this.buffer.length === 0) {
        this.check(control);
        if (control.stopping()) throw new CaudalError('cancelled', 'stopped while waiting for messages');
        await sleep(POLL_MS);
      }
      const until = Date.now() + spec.maxWaitMs;
      while (this.buffer.length < spec.maxRows && Date.now() < until) {
        this.check(control);
        await sleep(POLL_MS);
      }
      this.taken = this.buffer.splice(0, spec.maxRows);
    } else {
      const limit = Math.min(spec.maxRows, this.plainLimit);
      let seen = -1;
      let quietSince = Date.now();
      while (this.buffer.length < limit) {
        this.check(control);
        if (this.buffer.length !== seen) {
          seen = this.buffer.length;
          quietSince = Date.now();
        } else if (Date.now() - quietSince > Math.max(QUIET_MS, spec.maxWaitMs > 0 ? Math.min(spec.maxWaitMs, 2000) : 0)) break;
        await sleep(POLL_MS);
      }
      this.taken = this.buffer.splice(0, limit);
      this.plainLimit -= this.taken.length;
      // The run has its batch: without a consumer, acknowledging it does not make the broker deliver
      // the next messages (each ack frees a prefetch slot), which closing would return marked redelivered.
      const tag = this.consumerTag;
      this.consumerTag = undefined;
      if (tag !== undefined) await this.channel.cancel(tag).catch((e: unknown) => (this.failure ??= e instanceof Error ? e : new Error(errorMessage(e))));
      this.check(control);
    }
    const { messageCount } = await this.channel.checkQueue(spec.queue);
    return { messages: this.taken, waiting: messageCount, waitedMs: Date.now() - t0 };
  }

  private check(control: ReadControl): void {
    if (control.isCancelled()) throw new CaudalError('cancelled', 'the run was cancelled');
    if (this.failure) throw new CaudalError('io', `the RabbitMQ consumer stopped: ${errorMessage(this.failure)}`, { hint: 'the messages of this batch were not acknowledged: the broker delivers them again' });
  }

  /**
   * Acknowledges the batch; `deadLetter` ones are rejected without requeue (the queue's dead-letter
   * exchange gets them). AMQP acks get no reply, and amqplib only queues them on the socket: a
   * channel or connection that closed (or closes before they are sent) would lose them without a
   * word, and the broker then delivers the batch again. So the acks are followed by a round trip on
   * the same channel (the broker handles a channel's frames in order): when it answers, it has them;
   * when it does not, the batch's acknowledgement failed, and says why.
   */
  async ack(deadLetter: Set<ConsumeMessage> = new Set()): Promise<void> {
    const taken = this.taken;
    this.taken = [];
    if (taken.length === 0) return;
    const failed = (e: unknown) =>
      new CaudalError('io', `acknowledging ${taken.length} message${taken.length === 1 ? '' : 's'} of queue '${this.queue}' failed: ${errorMessage(this.failure ?? e)}`, {
        hint: 'check that the broker is up and reachable; RabbitMQ puts unacknowledged messages back on the queue when the channel closes',
        cause: e,
      });
    if (this.failure) throw failed(this.failure);
    try {
      for (const m of taken) {
        if (deadLetter.has(m)) this.channel.nack(m, false, false);
        else this.channel.ack(m);
      }
      await this.channel.checkQueue(this.queue);
    } catch (e) {
      throw failed(e);
    }
    if (this.failure) throw failed(this.failure);
  }

  /** Puts the batch back on the queue (the run did not commit). */
  release(): void {
    for (const m of this.taken) this.channel.nack(m, false, true);
    this.taken = [];
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.channel.close().catch(() => undefined);
    await this.conn.close().catch(() => undefined);
  }
}

/** Whether the queue exists, asked on a channel of its own: the broker closes the channel that asks about a missing queue. */
async function queueExists(conn: ChannelModel, queue: string): Promise<boolean> {
  const probe = await conn.createChannel();
  probe.on('error', () => undefined);
  try {
    await probe.checkQueue(queue);
  } catch (e) {
    if ((e as { code?: number }).code === 404) return false;
    throw e;
  }
  await probe.close().catch(() => undefined);
  return true;
}

/**
 * Fails unless the exchange exists (a passive declare, on a channel of its own: the broker closes
 * the channel that asks about a missing exchange). The default exchange ('') always exists.
 */
async function checkExchange(conn: ChannelModel, exchange: string): Promise<void> {
  if (exchange === '') return;
  const probe = await conn.createChannel();
  probe.on('error', () => undefined);
  await probe.checkExchange(exchange);
  await probe.close().catch(() => undefined);
}

/** Deletes a queue this session declared, unless a message reached it meanwhile (or a consumer uses it): best effort. */
async function deleteIfEmpty(conn: ChannelModel, queue: string): Promise<void> {
  const ch = await conn.createChannel().catch(() => undefined);
  if (!ch) return;
  ch.on('error', () => undefined);
  await ch.deleteQueue(queue, { ifEmpty: true, ifUnused: true }).catch(() => undefined);
  await ch.close().catch(() => undefined);
}

/** The arguments RabbitMQ compares before x-dead-letter-exchange when a queue is declared again. */
const ARGS_BEFORE_DLX = new Set(['x-expires', 'x-message-ttl']);

/**
 * The queue's dead-letter exchange argument (`x-dead-letter-exchange`; '' is the default exchange),
 * null when the queue has none, undefined when it cannot be told. AMQP has no way to read a queue's
 * arguments, but declaring an existing queue again with other ones is refused with a message that
 * names the first one that differs and its current value: the queue is declared (on channels of
 * its own, which the refusal closes) with a dead-letter exchange no queue has, and with durable,
 * auto-delete and the arguments compared before it (x-expires, x-message-ttl) as the refusals say
 * they are, until the refusal is about the dead-letter exchange ("current is none", or its name).
 * Such a declare changes nothing: RabbitMQ refuses it whole. Undefined when the user may not
 * declare the queue (no configure permission), the broker words it otherwise, or the declare was
 * accepted (the queue vanished meanwhile: the queue it created is deleted again). A dead-letter
 * exchange given by a policy is not an argument: null does not rule one out.
 */
export async function deadLetterExchangeOf(conn: ChannelModel, queue: string): Promise<string | null | undefined> {
  const probeName = `caudal-no-such-exchange-${Math.random().toString(36).slice(2, 10)}`;
  const opts: { durable: boolean; autoDelete: boolean; arguments: Record<string, unknown> } = { durable: true, autoDelete: false, arguments: { 'x-dead-letter-exchange': probeName } };
  for (let attempt = 0; attempt < 6; attempt++) {
    const probe = await conn.createChannel().catch(() => undefined);
    if (!probe) return undefined;
    probe.on('error', () => undefined);
    try {
      await probe.assertQueue(queue, opts);
    } catch (e) {
      const text = errorMessage(e);
      const m = /inequivalent arg '([^']+)' for queue .*?: received .*? but current is (none|'(.*)'|the value '(.*)' of type '(\w+)')"?\s*$/s.exec(text);
      if ((e as { code?: number }).code !== 406 || !m) return undefined;
      const [, arg, , quoted, value, type] = m;
      if (arg === 'x-dead-letter-exchange') return m[2] === 'none' ? null : (quoted ?? value ?? '');
      if (arg === 'durable') opts.durable = !opts.durable;
      else if (arg === 'auto_delete') opts.autoDelete = !opts.autoDelete;
      else if (arg !== undefined && ARGS_BEFORE_DLX.has(arg) && value !== undefined && /^(signedint|long|short|byte|unsignedint|unsignedshort|unsignedbyte)$/.test(type ?? '') && /^\d+$/.test(value)) opts.arguments[arg] = { '!': 'long', value: Number(value) };
      else return undefined;
      continue;
    }
    // Accepted: the queue did not exist (it was deleted since the session checked it), and this made one.
    await probe.deleteQueue(queue, { ifEmpty: true, ifUnused: true }).catch(() => undefined);
    await probe.close().catch(() => undefined);
    return undefined;
  }
  return undefined;
}

/** What to do about the broker's usual refusals of a queue (`exchange`: the one it is bound to), or undefined. */
export function queueRefusalHint(e: unknown, exchange?: string): string | undefined {
  const code = (e as { code?: number }).code;
  if (/ACCESS_REFUSED - Login was refused/.test(errorMessage(e))) return 'check the user and password of the connection (the password is in the OS keychain or CAUDAL_SECRET_<CONNECTION>_PASSWORD)';
  if (code === 404 && /no exchange/.test(errorMessage(e))) {
    return `the exchange${exchange === undefined ? '' : ` '${exchange}'`} does not exist in this virtual host: correct the node's exchange name, or create the exchange (Caudal does not declare exchanges); no queue was declared or bound`;
  }
  if (code === 404) return 'check the queue name: create the queue, or set an exchange to declare and bind it';
  if (code === 405) return 'the queue is exclusive to another connection (a client declared it exclusive): consume another queue, or stop that client';
  if (code === 403) return "check the user's permissions on the virtual host (configure, write and read for this queue)";
  return undefined;
}

/** Why the consumer could not start, naming the queue, with what to do for the broker's usual refusals. */
function cannotConsume(e: unknown, spec: RabbitReadSpec): CaudalError {
  if (e instanceof CaudalError) return e;
  return new CaudalError('io', `cannot consume queue '${spec.queue}': ${errorMessage(e)}`, { hint: queueRefusalHint(e, spec.bind?.exchange), cause: e });
}

/**
 * Up to `limit` messages from the head of the queue for a preview, returned to the queue at once:
 * nothing is consumed (RabbitMQ marks them redelivered; their order is kept).
 */
export async function peekRabbit(config: RabbitmqConfig, queue: string, limit: number): Promise<Message[]> {
  const conn = await amqpConnect(config);
  const out: Message[] = [];
  // The broker closes the channel (and amqplib emits 'error' on it) when the queue is missing or
  // exclusive to another connection: without a listener that event would crash the engine.
  conn.on('error', () => undefined);
  try {
    const channel = await conn.createChannel();
    channel.on('error', () => undefined);
    await channel.checkQueue(queue);
    for (let i = 0; i < limit; i++) {
      const m = await channel.get(queue, { noAck: false });
      if (!m) break;
      out.push(m);
    }
    // Closing the channel without acknowledging returns every message to the queue.
    await channel.close();
  } finally {
    await conn.close().catch(() => undefined);
  }
  return out;
}
