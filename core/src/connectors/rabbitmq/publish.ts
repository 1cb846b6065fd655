import type { ConfirmChannel, Message } from 'amqplib';
import { amqpConnect, type RabbitmqConfig } from '../../connections/rabbitmq/rabbitmq.connection.js';
import { namedMissingSecret } from '../../secrets/resolve.js';
import type { ExternalStage, HookIo } from '../../nodes/define.js';
import { redactText } from '../../connections/redact.js';
import { CaudalError, errorMessage } from '../../util/errors.js';

export interface RabbitWriteSpec {
  exchange: string;
  /** SQL returning `rk` (routing key), `v` (body) and `mid` (message id), all VARCHAR. */
  rowsSql: string;
  /** SQL returning the distinct routing keys (`rk`) of the rows. */
  routingKeysSql: string;
  /** Rows already staged (counted) in the run's DuckDB. */
  rows: number;
  /** Wait for the broker's confirms every this many messages. */
  confirmEvery: number;
  /** The messages' content_type property: what the bodies are (JSON, or text from a value column). */
  contentType: string;
}

/** On the default exchange the routing key is a queue's name: up to this many distinct keys are checked before publishing. */
const CHECKED_QUEUES = 1000;

/**
 * AMQP 0-9-1 has no transaction that amqplib exposes for publishing, so the rows are staged in the
 * run's DuckDB and published only when the run commits, over a confirm channel (persistent messages,
 * each with a message id derived from what it carries, so consumers can drop duplicates). A failed or
 * cancelled run publishes nothing; a commit that fails half way leaves the messages confirmed so far
 * published: the window of this sink, documented in the user guide.
 *
 * Messages are published `mandatory`: one that no queue receives (a routing key that matches no
 * binding) comes back from the broker, and the commit fails naming the exchange and routing key,
 * so the run is not reported as written and its sources acknowledge nothing. On the default exchange
 * the queues are checked in `prepare`, before anything is published.
 */
/**
 * The publisher confirms of one commit, counted per message (amqplib's waitForConfirms stops at the
 * first nack, so it cannot say how many the broker refused).
 */
class Confirms {
  sent = 0;
  acked = 0;
  nacked = 0;
  firstNacked?: string;
  /** Set when the channel closed with messages unconfirmed. */
  lostBy?: Error;
  private isClosed = false;
  private waiting?: () => void;

  /** The confirm callback of the message `id`, counted as published. */
  track(id: string): (err: Error | null) => void {
    this.sent++;
    return (err) => {
      if (err === null) this.acked++;
      // amqplib calls back 'message nacked' for a nack, 'channel closed' for a message the close left unconfirmed.
      else if (err.message === 'message nacked') {
        this.nacked++;
        this.firstNacked ??= id;
      } else this.lostBy ??= err;
      this.wake();
    };
  }

  /** The channel or the connection closed: nothing more will be confirmed. */
  closed(): void {
    this.isClosed = true;
    if (this.pending > 0) this.lostBy ??= new Error('the channel closed');
    this.wake();
  }

  private get pending(): number {
    return this.sent - this.acked - this.nacked;
  }

  /** Resolves once every message published so far is confirmed, refused, or lost with the channel. */
  settled(): Promise<void> {
    if (this.pending === 0 || this.lostBy || this.isClosed) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  private wake(): void {
    if (this.waiting && (this.pending === 0 || this.lostBy || this.isClosed)) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve();
    }
  }
}

/** Messages at least this large are remembered by row, to name one the broker refuses as too large. */
const LARGE_MESSAGE = 1 << 20;

interface LargeMessage {
  row: number;
  id: string;
  bytes: number;
}

/** The broker's refusal of a message over its max_message_size (RabbitMQ 3.8+), and the message it refused. */
function oversized(closedBy: Error, large: LargeMessage[]): { message: LargeMessage; limit: number } | undefined {
  const m = /message size (\d+) is larger than configured max size (\d+)/.exec(errorMessage(closedBy));
  if (!m) return undefined;
  const bytes = Number(m[1]);
  const message = large.find((x) => x.bytes === bytes);
  return message && { message, limit: Number(m[2]) };
}

/** What became of the messages sent but not confirmed when the channel closed. */
function unconfirmedFate(c: Confirms): string {
  const unconfirmed = c.sent - c.acked - c.nacked;
  return unconfirmed === 0 ? 'none was left unconfirmed' : `the ${unconfirmed} not confirmed may or may not have reached the queues`;
}

function tooLargeError(o: { message: LargeMessage; limit: number }, c: Confirms, nodeId: string, prefix: string): CaudalError {
  const before = o.message.row - 1;
  return new CaudalError(
    'execution',
    `${prefix}: row ${o.message.row} of the input (message id ${o.message.id}) is ${o.message.bytes} bytes, over the broker's max_message_size of ${o.limit} bytes: the broker refused it and closed the channel, so no message after it was published; of the ${before} sent before it, ${c.acked} were confirmed and stay published${before > c.acked ? ` (the other ${before - c.acked} may or may not have reached the queues)` : ''}; running the pipeline again publishes them again`,
    {
      nodeId,
      hint: `make that message smaller (a smaller value column, or split the row), or raise max_message_size in the broker's rabbitmq.conf (RabbitMQ allows up to 536870912 bytes)`,
    },
  );
}

export function stageRabbitWrite(config: RabbitmqConfig, spec: RabbitWriteSpec, io: HookIo, ctx: { nodeId: string; connection: string }): ExternalStage {
  const exchangeName = spec.exchange || '(default)';
  const fail = (e: unknown) =>
    e instanceof CaudalError && e.nodeId === ctx.nodeId
      ? e
      : // The broker's and amqplib's words never carry the password today; redacted here all the same.
        new CaudalError('execution', `node '${ctx.nodeId}' (connection '${ctx.connection}'): publishing to exchange '${exchangeName}' failed: ${redactText(errorMessage(e), config.password ? [config.password] : [])}`, { nodeId: ctx.nodeId });
  const unroutable = (routingKey: string, what: string) =>
    new CaudalError('execution', `node '${ctx.nodeId}' (connection '${ctx.connection}'): ${what}: no queue receives messages sent to exchange '${exchangeName}' with routing key '${routingKey}'; the broker would drop them`, {
      nodeId: ctx.nodeId,
      hint: spec.exchange ? `bind a queue to exchange '${spec.exchange}' for that routing key, or fix the routing key` : 'on the default exchange the routing key is the name of the queue: declare the queue, or fix the routing key',
    });
  // No password stored and the login refused: the connection's missing password, said as such.
  const connect = () =>
    amqpConnect(config).catch((e: unknown) => {
      throw namedMissingSecret(e, ctx.nodeId, ctx.connection) ?? fail(e);
    });
  return {
    rows: spec.rows,
    async prepare() {
      // Check now that the broker is reachable, the exchange exists and (default exchange) the queues do.
      const conn = await connect();
      try {
        const ch = await conn.createChannel();
        // A failed check closes the channel: its rejected promise says so, the 'error' event must not crash the process.
        ch.on('error', () => undefined);
        if (spec.exchange) await ch.checkExchange(spec.exchange);
        else {
          const keys = (await io.db.rows(`${spec.routingKeysSql} LIMIT ${CHECKED_QUEUES + 1}`)).map((r) => String(r.rk));
          if (keys.length <= CHECKED_QUEUES) {
            for (const k of keys) {
              // A missing queue closes the channel (404): name it and stop.
              const found = await ch.checkQueue(k).then(
                () => true,
                () => false,
              );
              if (!found) throw unroutable(k, 'nothing was published');
            }
          }
        }
        await ch.close().catch(() => undefined);
      } catch (e) {
        throw fail(e);
      } finally {
        await conn.close().catch(() => undefined);
      }
      return { twoPhase: false };
    },
    async commit() {
      const conn = await connect();
      // A lost connection is reported through the publish loop below; unheard, the 'error' event
      // would crash the engine worker (and with it the run's report).
      let lost: Error | undefined;
      conn.on('error', (e: Error) => (lost ??= e));
      const confirms = new Confirms();
      conn.on('close', () => confirms.closed());
      let returned = 0;
      let firstReturned: Message | undefined;
      /** The large messages sent, to name the one the broker refuses as too large. */
      const large: LargeMessage[] = [];
      try {
        const ch: ConfirmChannel = await conn.createConfirmChannel();
        let closedBy: Error | undefined;
        ch.on('error', (e: Error) => (closedBy ??= e));
        // A channel or connection that closes settles every unconfirmed message (amqplib calls them back).
        ch.on('close', () => confirms.closed());
        // The broker returns a mandatory message it could not route before it confirms it.
        ch.on('return', (m: Message) => {
          returned++;
          firstReturned ??= m;
        });
        const check = async () => {
          await confirms.settled();
          const broken = closedBy ?? lost ?? confirms.lostBy;
          if (broken) {
            const tooLarge = closedBy && oversized(closedBy, large);
            if (tooLarge) throw tooLargeError(tooLarge, confirms, ctx.nodeId, `node '${ctx.nodeId}' (connection '${ctx.connection}'): publishing to exchange '${exchangeName}' failed`);
            // Messages sent after the channel closed are discarded by the broker, and those sent
            // before it but not confirmed may or may not be in the queues: only the confirmed are known.
            throw new Error(
              `${closedBy ? 'the broker closed the channel' : 'the connection to the broker was lost'} after ${confirms.sent} of ${spec.rows} messages were sent (${confirms.acked} confirmed: those stay published; ${unconfirmedFate(confirms)}; running the pipeline again publishes them all again): ${errorMessage(broken)}`,
            );
          }
          if (confirms.nacked > 0) {
            throw new CaudalError(
              'execution',
              `node '${ctx.nodeId}' (connection '${ctx.connection}'): publishing to exchange '${exchangeName}' failed: the broker refused ${confirms.nacked} of ${confirms.sent} messages (nack; the first: id ${confirms.firstNacked}); ${confirms.acked} confirmed stay published`,
              {
                nodeId: ctx.nodeId,
                hint: 'a queue the messages route to is full and refuses new ones (x-max-length or x-max-length-bytes with x-overflow reject-publish), or the broker could not store them: make room or raise the limit, then run the pipeline again',
              },
            );
          }
          if (!firstReturned) return;
          const { routingKey } = firstReturned.fields;
          const id = firstReturned.properties.messageId as string | undefined;
          throw unroutable(routingKey, `${returned} message${returned === 1 ? ' was' : 's were'} returned as unroutable (the first: id ${id ?? '?'}; ${confirms.sent} published before the run stopped, those that were routed stay published)`);
        };
        let row = 0;
        for await (const chunk of io.db.stream(spec.rowsSql, 'duckdb')) {
          for (const [rk, v, mid] of chunk) {
            row++;
            if (closedBy ?? lost) await check();
            const body = Buffer.from(String(v));
            if (body.length >= LARGE_MESSAGE) large.push({ row, id: String(mid), bytes: body.length });
            // NULL keys and bodies, and routing keys over 255 bytes, were refused when the rows were staged (sink.rabbitmq).
            const ok = ch.publish(spec.exchange, String(rk), body, { persistent: true, mandatory: true, messageId: String(mid), contentType: spec.contentType }, confirms.track(String(mid)));
            // A full write buffer drains, or the connection closes and never will.
            if (!ok) await new Promise<void>((resolve) => {
              const done = () => (ch.off('drain', done), ch.off('close', done), resolve());
              ch.on('drain', done);
              ch.on('close', done);
            });
            if (confirms.sent % spec.confirmEvery === 0) await check();
          }
        }
        await check();
        await ch.close();
      } catch (e) {
        throw fail(e);
      } finally {
        await conn.close().catch(() => undefined);
      }
    },
    // Nothing left the run's DuckDB before the commit.
    async rollback() {},
  };
}
