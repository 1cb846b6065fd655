import type { ConsumeMessage, Message } from 'amqplib';
import { z } from 'zod';
import { defineNode, type HookIo } from '../define.js';
import { rabbitmqFields } from '../../connections/rabbitmq/rabbitmq.connection.js';
import { peekRabbit, queueRefusalHint, RabbitConsumerSession, type RabbitReadSpec } from '../../connectors/rabbitmq/consume.js';
import { CaudalError } from '../../util/errors.js';
import { cachedValueType, csvValuesOf, declaredValueType, decodingProblems, inferenceSample, inferValueType, noMessagesToInferFrom,
  unreadKeysNotice, type StreamMessage, streamOutputs, writeSpools } from '../shared/stream-spool.js';
import { duckDbType } from '../shared/type-param.js';
import { headersProblem, headerText } from './headers.js';
import { namedMissingSecret, unreachableConnection } from '../shared/connection-failures.js';

/** A failure to reach the broker at all (a socket error: refused, timed out, unknown host), not a refusal by the broker. */
const isUnreachable = (e: unknown) => typeof (e as { code?: unknown })?.code === 'string' || /ECONNREFUSED|ETIMEDOUT|ENOTFOUND|EHOSTUNREACH|ECONNRESET|EAI_AGAIN/.test((e as Error)?.message ?? '');

const PREVIEW_ROWS = 100;
const INFER_ROWS = 200;

const METADATA: Array<[string, string]> = [
  ['_exchange', 'VARCHAR'],
  ['_routing_key', 'VARCHAR'],
  ['_message_id', 'VARCHAR'],
  ['_timestamp', 'BIGINT'],
  ['_redelivered', 'BOOLEAN'],
  ['_headers', 'MAP(VARCHAR, VARCHAR)'],
];

function rabbitMessage(m: Message): StreamMessage {
  const headers = () => {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(m.properties.headers ?? {})) if (v !== undefined && v !== null) out[k] = headerText(v);
    return out;
  };
  const ts = m.properties.timestamp;
  return {
    value: m.content,
    metaProblem: () => headersProblem(m.properties),
    where: () => `#${m.fields.deliveryTag} (routing key '${m.fields.routingKey}')`,
    meta: () => `"_exchange":${JSON.stringify(m.fields.exchange)},"_routing_key":${JSON.stringify(m.fields.routingKey)},"_message_id":${JSON.stringify(m.properties.messageId ?? null)},"_timestamp":${typeof ts === 'number' ? ts : 'null'},"_redelivered":${m.fields.redelivered},"_headers":${JSON.stringify(headers())}`,
  };
}

/**
 * A quorum queue counts deliveries (its redelivered messages carry x-delivery-count), and a peek is
 * one: with a delivery limit, repeated previews dead-letter or drop the head of the queue.
 */
/** on_error: dead_letter on a queue without (or maybe without) a dead-letter exchange argument: what happens to its poison messages. */
export function deadLetterDropWarning(nodeId: string, queue: string, count: number, exchange: null | undefined): string {
  const which = `${count} poison message${count === 1 ? '' : 's'}`;
  const has = exchange === null ? `queue '${queue}' has no dead-letter exchange (no x-dead-letter-exchange argument)` : `whether queue '${queue}' has a dead-letter exchange could not be told (declaring it again to compare its arguments was refused for another reason, e.g. no configure permission)`;
  return `node '${nodeId}': ${has}: the ${which} of this batch, rejected without requeue when the run commits (on_error: dead_letter), are dropped by RabbitMQ unless a policy gives the queue a dead-letter exchange; their raw text and reason are on the 'rejects' port. Declare the queue with x-dead-letter-exchange (or set a dead-letter policy), or use on_error: reject`;
}

function warnCountedDeliveries(ctx: { nodeId: string; warn(message: string): void }, queue: string, messages: Message[]): void {
  const counts = messages.map((m) => Number((m.properties.headers ?? {})['x-delivery-count'] ?? 0));
  const most = Math.max(0, ...counts);
  if (most === 0) return;
  ctx.warn(
    `node '${ctx.nodeId}': queue '${queue}' counts deliveries (a quorum queue): messages at its head were delivered up to ${most} time${most === 1 ? '' : 's'} already, and every preview (and the inference of undeclared value columns) delivers them again; with a delivery limit (x-delivery-limit) they are dead-lettered or dropped once it is reached: list the value columns and preview this queue sparingly`,
  );
}

const params = z
  .object({
    connection: z.string().min(1).meta({ label: 'Connection', help: 'A RabbitMQ connection declared under the pipeline\'s `connections`.', widget: 'connection' }),
    queue: z.string().min(1).meta({ label: 'Queue', help: 'The queue to consume. It must exist, unless an exchange is set (then it is declared, durable, if missing, and bound).' }),
    exchange: z.string().min(1).optional().meta({ label: 'Bind to exchange', help: 'Bind the queue to this exchange (which must exist) with the routing key, declaring the queue (durable) if it does not exist.' }),
    routing_key: z.string().default('#').meta({ label: 'Routing key', help: 'Binding key for the exchange (topic patterns such as orders.* work on topic exchanges).' }),
    format: z.enum(['json', 'csv', 'text']).default('json').meta({
      label: 'Value format',
      help: 'json: each message is a JSON document (objects become columns). csv: each message is one CSV line without a header, its fields the value columns in order. text: the body as one text column.',
      widget: 'select',
      group: 'Decoding',
    }),
    csv_delimiter: z.string().length(1).default(',').meta({ label: 'CSV delimiter', help: 'csv only: the character between fields.', widget: 'text', group: 'Decoding' }),
    columns: z
      .array(z.object({ name: z.string().min(1).meta({ label: 'Key' }), type: duckDbType().meta({ label: 'Type', placeholder: 'VARCHAR' }) }).strict())
      .default([])
      .meta({ label: 'Value columns', help: 'JSON keys (or, for CSV, the fields in order) to read and their DuckDB types. Empty: inferred from the messages at the head of the queue.', widget: 'list', group: 'Decoding' }),
    flatten: z.boolean().default(false).meta({ label: 'Flatten nested objects', widget: 'boolean', group: 'Decoding' }),
    flatten_separator: z.string().min(1).default('_').meta({ label: 'Name separator', widget: 'text', group: 'Decoding' }),
    metadata: z.boolean().default(true).meta({ label: 'Message metadata', help: 'Adds _exchange, _routing_key, _message_id, _timestamp, _redelivered and _headers (_redelivered is also true after a preview, or with inferred value columns: see the docs).', widget: 'boolean', group: 'Decoding' }),
    on_error: z.enum(['fail', 'reject', 'dead_letter']).default('fail').meta({
      label: 'Undecodable messages',
      help: 'Messages that are not JSON (or CSV), or whose value does not fit the value columns. fail: stop the run. reject: to the rejects port, then acknowledged. dead_letter: to the rejects port, then rejected without requeue, so the queue\'s dead-letter exchange receives them (a queue without one discards them).',
      widget: 'select',
      group: 'Decoding',
    }),
    max_rows: z
      .int()
      .positive()
      // The batch is the channel's prefetch, a 16-bit number in AMQP.
      .max(65_535, { error: 'at most 65535: a batch is the channel\'s prefetch, which AMQP caps at 65535 messages' })
      .default(10_000)
      .meta({ label: 'Rows per batch', help: 'At most this many messages per run (per micro-batch with --watch), up to 65535; also the channel\'s prefetch. A run also reads no more than were queued when it started.', group: 'Batches' }),
    max_wait_ms: z.int().nonnegative().default(1_000).meta({ label: 'Batch wait (ms)', help: 'With --watch: after the first message of a batch, how long to wait for more.', group: 'Batches' }),
  })
  .strict();

export const rabbitmqSourceNode = defineNode({
  type: 'source.rabbitmq',
  version: 1,
  category: 'source',
  streaming: true,
  title: 'Read RabbitMQ queue',
  description: 'Consumes a RabbitMQ queue with manual acknowledgements, sent only after the run committed.',
  aliases: ['rabbitmq', 'amqp', 'queue', 'messages', 'streaming', 'consumer'],
  inputs: [],
  outputs: [
    { name: 'out', label: 'Messages' },
    { name: 'rejects', label: 'Rejects', description: 'Messages whose value did not decode (on_error: reject or dead_letter), with the raw text and the reason.' },
  ],
  params,
  check(p) {
    return decodingProblems(p);
  },
  async compile(ctx) {
    const p = ctx.params;
    const config = rabbitmqFields.parse(ctx.connection(p.connection, 'rabbitmq').config);
    const spool = ctx.tempPath('rabbitmq.ndjson');
    const rejectSpool = ctx.tempPath('rabbitmq-rejects.ndjson');
    const spec: RabbitReadSpec = { queue: p.queue, bind: p.exchange ? { exchange: p.exchange, routingKey: p.routing_key } : undefined, maxRows: p.max_rows, maxWaitMs: p.max_wait_ms, deadLetter: p.on_error === 'dead_letter' };
    const peek = (limit: number) =>
      peekRabbit(config, p.queue, limit).then((messages) => {
        warnCountedDeliveries(ctx, p.queue, messages);
        return messages;
      }, (e: unknown) => {
        // A queue that does not exist yet is declared when the run starts; any other failure (a
        // refused login, a broker that is down) is said as it is, not as "no messages to infer from".
        if (p.exchange && (e as { code?: number }).code === 404) return [];
        const missing = namedMissingSecret(e, ctx.nodeId, p.connection);
        if (missing) throw missing;
        if (isUnreachable(e)) {
          throw unreachableConnection(
            ctx.nodeId,
            p.connection,
            `cannot reach the RabbitMQ broker (${config.host}:${config.port}) to read the head of queue '${p.queue}': ${(e as Error).message}`,
            `check that the broker is up and reachable from here (caudal connections test ${p.connection}); nothing is wrong with the pipeline itself: run again once it answers${p.columns.length === 0 && p.format !== 'text' ? ', or list the value columns (columns) so that planning does not ask the broker' : ''}`,
          );
        }
        throw new CaudalError('io', `node '${ctx.nodeId}' (connection '${p.connection}'): cannot read queue '${p.queue}': ${(e as Error).message}`, {
          nodeId: ctx.nodeId,
          hint: queueRefusalHint(e) ?? 'check the queue name (it must exist), or set an exchange to declare and bind it',
        });
      });
    const valueType =
      (p.format === 'text' ? 'VARCHAR' : declaredValueType(p.columns)) ??
      (await cachedValueType(`rabbitmq|${config.host}:${config.port}${config.vhost}|${p.queue}`, async () => {
        const sample = inferenceSample((await peek(INFER_ROWS)).map(rabbitMessage), ctx.nodeId);
        return inferValueType(ctx, sample, ctx.tempPath('rabbitmq-sample.ndjson'));
      }));
    if (valueType === undefined) throw noMessagesToInferFrom(ctx.nodeId, `queue '${p.queue}'`);
    const outputs = await streamOutputs(ctx, { spool, rejectSpool, valueType, flatten: p.flatten, separator: p.flatten_separator, metadata: METADATA, includeMetadata: p.metadata });
    const inferredColumns = p.format === 'json' && p.columns.length === 0;
    const unread = inferredColumns ? unreadKeysNotice(spool, valueType, `the ${INFER_ROWS} messages at the head of the queue`) : undefined;
    const spoolOpts = { format: p.format, onError: p.on_error, spool, rejectSpool, nodeId: ctx.nodeId, metadata: p.metadata, csv: csvValuesOf(p), objects: outputs.objects, strictKeys: inferredColumns, check: outputs.check };
    const session = (io: HookIo) =>
      io.sessions!.get(
        `rabbitmq:${ctx.nodeId}`,
        () =>
          RabbitConsumerSession.open(config, spec).catch((e: unknown) => {
            throw namedMissingSecret(e, ctx.nodeId, p.connection) ?? e;
          }),
        (s) => s.close(),
      );
    /** The batch's undecodable messages, dead-lettered when the run commits (on_error: dead_letter). */
    let poison = new Set<ConsumeMessage>();
    /** Whether this run warned that its poison messages may be dropped (once per run, or per --watch). */
    let warnedDrop = false;

    return {
      streaming: true,
      setup: [
        {
          kind: 'hook',
          description: `consume up to ${p.max_rows} messages from queue '${p.queue}'`,
          countsRows: true,
          async run(io) {
            const consumer = await session(io);
            const batch = await consumer.read(spec, { watch: io.stream?.watch ?? false, stopping: () => io.stream?.stopping() ?? false, isCancelled: io.isCancelled });
            const { rows, rejected } = await writeSpools(batch.messages.map(rabbitMessage), spoolOpts, io.db);
            poison = p.on_error === 'dead_letter' ? new Set(rejected.map((i) => batch.messages[i]!)) : new Set();
            // Said before they are rejected (when the run commits): without a dead-letter exchange, RabbitMQ drops them.
            if (poison.size > 0 && typeof consumer.deadLetterExchange !== 'string' && !warnedDrop) {
              warnedDrop = true;
              const message = deadLetterDropWarning(ctx.nodeId, p.queue, poison.size, consumer.deadLetterExchange);
              if (io.warn) io.warn(message);
              else io.log(message);
            }
            io.stream?.read({ rows: batch.messages.length, lag: batch.waiting, waitedMs: batch.waitedMs });
            return rows;
          },
          async dry(io) {
            await writeSpools((ctx.mode === 'preview' ? await peek(PREVIEW_ROWS) : []).map(rabbitMessage), { ...spoolOpts, onError: 'reject' }, io.db);
            return { sampled: ctx.mode === 'preview' };
          },
        },
      ],
      outputs: { out: outputs.out, rejects: outputs.rejects },
      notices: [
        { countSql: `SELECT count(*) FROM (${outputs.rejects})`, message: '{count} message{s} did not decode and {were} set aside on the \'rejects\' port', port: 'rejects' },
        ...(unread ? [unread] : []),
      ],
      async onCommitted(io) {
        await (await session(io)).ack(poison);
      },
      async onAborted(io) {
        (await session(io)).release();
      },
    };
  },
  spark: { kind: 'unsupported', reason: 'the Spark target runs batch jobs; drain the queue into files (caudal run with sink.parquet) and read those on Spark' },
  docs: `Consumes a RabbitMQ queue through a connection declared in the pipeline (host, virtual host, user;
the password lives in the OS keychain or \`CAUDAL_SECRET_<CONNECTION>_PASSWORD\`). With *Bind to
exchange* the queue is bound with the routing key, and declared (durable) first when it does not
exist; the exchange must exist (a misspelt one fails the run before any queue is declared, and a
queue the run declared is deleted again when a later step fails); a queue that exists is used as it was declared (its dead-letter exchange and other arguments
kept). Without it, the queue must exist: a missing queue, or one exclusive to another connection,
fails the run naming the queue and what to do.

**Batches.** \`caudal run\` consumes what is queued now and stops: it counts the queue's ready
messages when it starts reading and takes at most that many (and at most *Rows per batch*); messages
that producers send while it runs stay on the queue, not delivered, for the next run (as the Kafka
source reads up to the end offsets taken at its start). It stops sooner when the queue has been
quiet for a moment before that many came (another consumer took some, or they expired). The count
is of *ready* messages: those another consumer holds unacknowledged at the start are not counted,
and when one of them is returned to the queue during the run it can be read in place of the newest
counted one, which then waits for the next run (so can a message of higher priority, on a priority
queue); either way the run reads no more than the count. With an empty queue the run reads nothing.
\`caudal run --watch\` runs continuously, one micro-batch at a time (the first message, then up to
*Batch wait* more, at most *Rows per batch*), not bounded by the count at its start.

**Delivery.** Messages are acknowledged only after every sink of the run (or batch) committed. A run
that fails or is cancelled puts its messages back on the queue; a killed one's are redelivered by the
broker when its connection drops: at-least-once (upsert sinks by key end up exactly-once). A queue deleted while the run
reads it (the broker cancels the consumer), or a channel the broker closes, fails the run naming the
queue, also in \`--watch\`, instead of waiting for messages that can no longer come. The acks are
confirmed by a round trip to the broker: when they do not reach it (the channel or connection closed
after the sinks committed), the run, or in \`--watch\` that batch, fails saying that the destinations
have the rows and that the broker delivers the messages again: a sink that appends without a key
then receives them twice.

**Headers.** \`_headers\` holds each header as text: strings as they are, numbers and booleans as
their JSON, tables and arrays as JSON, byte arrays (a Java client's \`byte[]\`) as their UTF-8 text, or
\`\\x\` and hex when they are not UTF-8, AMQP timestamps as their number (seconds since the epoch) and
decimals as their decimal text (\`123.45\`). The AMQP client reads 64-bit integer headers as JS numbers,
which hold whole numbers exactly only up to 2^53: a message with a header (or a \`timestamp\` property)
holding a whole number beyond that (up to 2^63, so also a double in that range) is treated as a poison
message naming the header, rather than read with other digits than were sent; send such numbers
as string headers, or turn off *Message metadata* (then headers are not read). \`_timestamp\` is the
message's \`timestamp\` property as sent (AMQP defines it as seconds since the epoch; some producers
send milliseconds).

**Redelivered.** \`_redelivered\` is RabbitMQ's flag: true for a message the broker delivered before
without an acknowledgement. RabbitMQ cannot show a classic queue's messages without delivering them,
so besides a run that failed, was cancelled or was killed, reading the head of the queue marks
messages redelivered too: a preview of this node, and, when the value columns are inferred, the
start of every run (it reads up to ${INFER_ROWS} messages to infer them). List the value columns for
\`_redelivered\` to mean "a consumer had it before"; it is never false for a message that was delivered before.

**Values.** JSON values become columns, listed under *Value columns* or inferred from the messages at
the head of the queue when the run starts; with inferred columns, keys that only later messages have
are not read, and the run warns naming them. A message whose body has an empty key, or keys that
differ only in case (\`{"ID": 1, "id": 2}\`), at any depth, cannot be read into inferred columns: it
is left out of the inference and is a poison message with that reason; list the value columns to
read such messages. A body key named like a metadata column (\`_exchange\`, \`_routing_key\`,
\`_message_id\`, \`_timestamp\`, \`_redelivered\`, \`_headers\`, in any case) never takes the
metadata's place: with *Message metadata* on, the metadata keeps its name and the key is read as
\`value_<key>\` (\`value__routing_key\`), and the run warns naming it. When the columns are an object's keys, a message whose
body is JSON but not an object (\`null\`, a number, a string, an array, \`true\`) does not decode, as an
empty body does not: it is a poison message with that reason, not a row of NULLs.

**Poison messages.** A value that is not UTF-8 text (read leniently, a Latin-1 producer's letters would
become U+FFFD) or not JSON (or nesting more than 999 levels deep), or that does not fit the value columns (a text in an
INTEGER column, a duplicate key, a value its column's type would change, such as \`12.5\` in an integer
column or a time in a \`DATE\`, as for the Kafka source; at most 100 of those per batch), stops the run naming the message
and the reason (\`fail\`), or goes to the \`rejects\` port
with its raw text and the reason and is acknowledged (\`reject\`), or goes to \`rejects\` and is then
rejected without requeue (\`dead_letter\`), so the queue's dead-letter exchange (\`x-dead-letter-exchange\`)
receives it. A queue without a dead-letter exchange discards what is rejected without requeue:
with \`dead_letter\`, declare \`x-dead-letter-exchange\` on the queue first, or poison messages are
lost (\`reject\` acknowledges them instead, keeping them on the \`rejects\` port). AMQP cannot read a
queue's arguments, so with \`dead_letter\` the run finds out by declaring the queue again with a
dead-letter exchange of its own (RabbitMQ refuses that and names the current one; nothing changes;
it needs the configure permission on the queue). When a batch has poison messages and the queue has no
\`x-dead-letter-exchange\` argument, or that could not be told, the run warns once, naming the queue,
before rejecting them: they are dropped unless a policy gives the queue a dead-letter exchange (a
policy's dead-letter exchange cannot be seen over AMQP, so the warning also shows then).

**Quorum queues.** RabbitMQ counts every delivery of a quorum queue's message, and a preview (or the
inference of undeclared value columns at the start of every run and validation) delivers messages
and returns them: each counts as a delivery attempt. With a delivery limit
(\`x-delivery-limit\`; RabbitMQ 4 sets 20 by default) repeated previews dead-letter or drop the
messages at the head of the queue. On such queues list the value columns and preview sparingly.

**Previews** take messages from the head of the queue and return them at once: nothing is consumed,
but RabbitMQ marks them redelivered, so the run that consumes them later shows \`_redelivered\` true.`,
  example: {
    description: 'Order events from a durable queue bound to the orders exchange',
    params: { connection: 'broker', queue: 'caudal.orders', exchange: 'orders', routing_key: 'order.*' },
  },
});
