import path from 'node:path';
import { z } from 'zod';
import { defineNode, type HookIo } from '../define.js';
import { kafkaSourceSpark } from './source.kafka.spark.js';
import { kafkaFields } from '../../connections/kafka/kafka.connection.js';
import { kafkaErrorType, kafkaHint, topicsMatching } from '../../connectors/kafka/client.js';
import { KafkaConsumerSession, kafkaErrorText, peekKafka } from '../../connectors/kafka/consume.js';
import { CaudalError } from '../../util/errors.js';
import { cachedValueType, csvValuesOf, declaredValueType, decodingProblems, inferenceSample, inferValueType, noMessagesToInferFrom, streamOutputs, unreadKeysNotice, writeSpools } from '../shared/stream-spool.js';
import { KAFKA_METADATA, kafkaMessage } from './decode.js';
import { exactInferredNumbers } from './inferred-numbers.js';
import { paramError } from '../shared/columns.js';
import { duckDbType } from '../shared/type-param.js';
import { pipelineCopyHash } from '../shared/pipeline-copy.js';
import { namedMissingSecret, unreachableConnection } from '../shared/connection-failures.js';

const PREVIEW_ROWS = 100;
/** Messages read to infer the value's columns when they are not given. */
const INFER_ROWS = 500;

const params = z
  .object({
    connection: z.string().min(1).meta({ label: 'Connection', help: 'A Kafka connection declared under the pipeline\'s `connections`.', widget: 'connection' }),
    topics: z.array(z.string().min(1)).default([]).meta({ label: 'Topics', help: 'One or more topics, read together. Or a topic pattern instead.', widget: 'list' }),
    topic_pattern: z.string().min(1).optional().meta({
      label: 'Topic pattern',
      help: 'A regular expression the whole topic name must match, instead of listing topics (e.g. `orders\\..*`). Matched when the run starts: a topic created later is read from the next run on, from its oldest message (not from *Start from*, once the group has read other matching topics).',
    }),
    group_id: z.string().min(1).optional().meta({
      label: 'Consumer group',
      help: 'Where the read position is kept (committed after every sink of the run committed). Default: caudal.<pipeline>.<node>.<hash of the state folder>, so each copy of the pipeline (another folder, another machine) has its own; a default group that has read none of the topics starts once where caudal.<pipeline>.<node>, the earlier default, stands. One pipeline per group.',
      placeholder: 'caudal.orders.events',
    }),
    start_from: z.enum(['earliest', 'latest', 'timestamp']).default('earliest').meta({
      label: 'Start from',
      help: 'Where the group starts on a topic it has never read: the oldest message kept, only new messages, or a point in time. The start is committed for the group when it first joins, before reading; later runs continue where the last committed run stopped. Partitions added later to a topic the group reads, and topics a pattern matches after the group read others, start at the oldest message.',
      widget: 'select',
    }),
    start_timestamp: z.string().optional().meta({ label: 'Start at', help: 'With start_from "timestamp": an ISO date-time, e.g. 2025-06-01T00:00:00Z.', placeholder: '2025-06-01T00:00:00Z' }),
    format: z.enum(['json', 'csv', 'text']).default('json').meta({
      label: 'Value format',
      help: 'json: each value is a JSON document (objects become columns). csv: each value is one CSV line without a header, its fields the value columns in order. text: the value as one text column.',
      widget: 'select',
      group: 'Decoding',
    }),
    csv_delimiter: z.string().length(1).default(',').meta({ label: 'CSV delimiter', help: 'csv only: the character between fields.', widget: 'text', group: 'Decoding' }),
    columns: z
      .array(z.object({ name: z.string().min(1).meta({ label: 'Key' }), type: duckDbType().meta({ label: 'Type', placeholder: 'VARCHAR' }) }).strict())
      .default([])
      .meta({
        label: 'Value columns',
        help: 'JSON keys (or, for CSV, the fields in order) to read and their DuckDB types. Empty: inferred from the latest messages when the run starts (missing keys are NULL, others ignored).',
        widget: 'list',
        group: 'Decoding',
      }),
    flatten: z.boolean().default(false).meta({ label: 'Flatten nested objects', help: 'Nested fields become top-level columns (customer.city → customer_city), as in source.json.', widget: 'boolean', group: 'Decoding' }),
    flatten_separator: z.string().min(1).default('_').meta({ label: 'Name separator', widget: 'text', group: 'Decoding' }),
    metadata: z.boolean().default(true).meta({
      label: 'Message metadata',
      help: 'Adds _topic, _partition, _offset, _timestamp (ms since epoch), _key and _headers columns.',
      widget: 'boolean',
      group: 'Decoding',
    }),
    on_error: z.enum(['fail', 'reject']).default('fail').meta({
      label: 'Undecodable messages',
      help: 'Messages that are not JSON (or CSV), or whose value does not fit the value columns. fail: stop the run naming the topic, partition and offset. reject: send them to the rejects port (raw text and reason) and go on; they are acknowledged with the rest.',
      widget: 'select',
      group: 'Decoding',
    }),
    max_rows: z.int().positive().default(100_000).meta({ label: 'Rows per batch', help: 'At most this many messages per run (per micro-batch with --watch).', group: 'Batches' }),
    max_wait_ms: z.int().nonnegative().default(1_000).meta({ label: 'Batch wait (ms)', help: 'With --watch: after the first message of a batch, how long to wait for more before processing.', group: 'Batches' }),
  })
  .strict();


/**
 * The default consumer group: this copy's own (pipelineCopyHash), so copies of a pipeline in other
 * folders or on other machines each read every message, rather than each a part of them, as they
 * did when the default was \`caudal.<pipeline>.<node>\` for all of them.
 */
export function defaultGroupOf(pipelineName: string, nodeId: string, stateFolder: string): string {
  return `caudal.${pipelineName}.${nodeId}.${pipelineCopyHash(stateFolder)}`;
}

export const kafkaSourceNode = defineNode({
  type: 'source.kafka',
  version: 1,
  spark: kafkaSourceSpark,
  category: 'source',
  streaming: true,
  title: 'Read Kafka topic',
  description: 'Reads messages from Kafka topics through a consumer group, acknowledging them only after the run committed.',
  aliases: ['kafka', 'stream', 'topic', 'events', 'streaming', 'consumer'],
  inputs: [],
  outputs: [
    { name: 'out', label: 'Messages' },
    { name: 'rejects', label: 'Rejects', description: 'Messages whose value did not decode (on_error: reject): raw text, reason, topic, partition, offset.' },
  ],
  params,
  check(p) {
    const out: Array<{ path: string; message: string; hint?: string }> = [];
    if (p.topics.length === 0 && !p.topic_pattern) out.push({ path: 'topics', message: 'list the topics to read, or give a topic pattern' });
    if (p.topics.length > 0 && p.topic_pattern) out.push({ path: 'topic_pattern', message: 'give topics or a topic pattern, not both' });
    if (p.topic_pattern) {
      try {
        new RegExp(p.topic_pattern);
      } catch (e) {
        out.push({ path: 'topic_pattern', message: `not a regular expression: ${(e as Error).message}`, hint: 'e.g. orders\\..* for every topic starting with "orders."' });
      }
    }
    if (p.start_from === 'timestamp' && !p.start_timestamp) out.push({ path: 'start_timestamp', message: 'start_from "timestamp" needs a start_timestamp', hint: 'e.g. 2025-06-01T00:00:00Z' });
    if (p.start_timestamp && Number.isNaN(Date.parse(p.start_timestamp))) out.push({ path: 'start_timestamp', message: `'${p.start_timestamp}' is not a date-time`, hint: 'e.g. 2025-06-01T00:00:00Z' });
    return [...out, ...decodingProblems(p)];
  },
  async compile(ctx) {
    const p = ctx.params;
    const conn = ctx.connection(p.connection, 'kafka');
    const config = kafkaFields.parse(conn.config);
    // The default group is this copy's own (see defaultGroupOf); the name it had before is read once, to go on from there.
    const groupId = p.group_id ?? defaultGroupOf(ctx.pipelineName, ctx.nodeId, path.dirname(ctx.nodeFolder('kafka')));
    const adoptFrom = p.group_id === undefined ? `caudal.${ctx.pipelineName}.${ctx.nodeId}` : undefined;
    /**
     * A failure to ask the brokers while planning: no password stored, a refusal the brokers
     * explain (kafkaHint: a missing topic, SASL, ACLs), or brokers that cannot be reached (no Kafka
     * error type: refused, timed out, unknown host), which is the connection's failure, not the node's.
     */
    const brokersFailed = (e: unknown, what: string, why: string, named: string[]): CaudalError => {
      const missing = namedMissingSecret(e, ctx.nodeId, p.connection);
      if (missing) return missing;
      const text = kafkaErrorText(e);
      const hint = kafkaHint(e, config, named);
      if (hint !== undefined || kafkaErrorType(e) !== undefined) {
        return new CaudalError('io', `node '${ctx.nodeId}' (connection '${p.connection}'): ${what}: ${text}`, { nodeId: ctx.nodeId, hint: hint ?? 'check the brokers and the topic names (caudal connections test)' });
      }
      return unreachableConnection(
        ctx.nodeId,
        p.connection,
        `cannot reach the Kafka brokers (${config.brokers}) ${why}: ${text}`,
        `check that the brokers are up and reachable from here (caudal connections test ${p.connection}); nothing is wrong with the pipeline itself: run again once they answer${p.columns.length === 0 && p.format !== 'text' ? ', or list the value columns (columns) so that planning does not ask the brokers' : ''}`,
      );
    };
    const matching = async (pattern: string) => {
      const found = await topicsMatching(config, pattern).catch((e: unknown) => {
        throw brokersFailed(e, 'cannot list the topics', `to list the topics matching '${pattern}'`, []);
      });
      if (found.length === 0) throw paramError(ctx.nodeId, 'topic_pattern', `node '${ctx.nodeId}': no topic matches the pattern '${pattern}'`, 'the pattern must match the whole topic name, e.g. orders\\..*');
      return found;
    };
    const spool = ctx.tempPath('kafka.ndjson');
    const rejectSpool = ctx.tempPath('kafka-rejects.ndjson');
    const topics = p.topic_pattern ? await matching(p.topic_pattern) : p.topics;
    const peek = (limit: number) => peekKafka(config, topics, limit).catch((e: unknown) => {
      throw brokersFailed(e, `cannot read topics ${topics.join(', ')}`, `to read the latest messages of topics ${topics.join(', ')}${limit === INFER_ROWS ? ' (to infer the value columns)' : ''}`, topics);
    });

    // The value's type: as given, or inferred once from the latest messages.
    const valueType =
      (p.format === 'text' ? 'VARCHAR' : declaredValueType(p.columns)) ??
      (await cachedValueType(`kafka|${config.brokers}|${topics.join(',')}`, async () => {
        const sample = inferenceSample((await peek(INFER_ROWS)).map(kafkaMessage), ctx.nodeId);
        const inferred = await inferValueType(ctx, sample, ctx.tempPath('kafka-sample.ndjson'));
        // DuckDB infers DOUBLE for integers beyond 64 bits: read them exactly, or say what a double changes.
        return inferred === undefined ? undefined : exactInferredNumbers(inferred, sample, ctx.nodeId, (m) => ctx.warn(m));
      }));
    if (valueType === undefined) throw noMessagesToInferFrom(ctx.nodeId, `topics ${topics.join(', ')}`);
    const outputs = await streamOutputs(ctx, { spool, rejectSpool, valueType, flatten: p.flatten, separator: p.flatten_separator, metadata: KAFKA_METADATA, includeMetadata: p.metadata });
    const inferredColumns = p.format === 'json' && p.columns.length === 0;
    const unread = inferredColumns ? unreadKeysNotice(spool, valueType, `the latest ${INFER_ROWS} messages of the topics`) : undefined;
    const spoolOpts = { format: p.format, onError: p.on_error, spool, rejectSpool, nodeId: ctx.nodeId, metadata: p.metadata, csv: csvValuesOf(p), objects: outputs.objects, strictKeys: inferredColumns, check: outputs.check };

    const session = (io: HookIo) =>
      io.sessions!.get(
        `kafka:${ctx.nodeId}`,
        () =>
          KafkaConsumerSession.open(config, {
            topics: topics,
            groupId,
            startFrom: p.start_from,
            startTimestamp: p.start_timestamp ? Date.parse(p.start_timestamp) : undefined,
            topicPattern: p.topic_pattern,
            adoptFrom,
            maxRows: p.max_rows,
            maxWaitMs: p.max_wait_ms,
          }).catch((e: unknown) => {
            throw namedMissingSecret(e, ctx.nodeId, p.connection) ?? e;
          }),
        (s) => s.close(),
      );

    return {
      streaming: true,
      setup: [
        {
          kind: 'hook',
          description: `read up to ${p.max_rows} messages from Kafka topics ${topics.join(', ')} (group ${groupId})`,
          countsRows: true,
          async run(io) {
            const batch = await (await session(io)).read({
              watch: io.stream?.watch ?? false,
              stopping: () => io.stream?.stopping() ?? false,
              isCancelled: io.isCancelled,
              warn: (message) => (io.warn ? io.warn(`node '${ctx.nodeId}': ${message}`) : io.log(`node '${ctx.nodeId}': ${message}`)),
            });
            const { rows } = await writeSpools(batch.records.map(kafkaMessage), spoolOpts, io.db);
            io.stream?.read({ rows: batch.records.length, lag: batch.lag, waitedMs: batch.waitedMs });
            return rows;
          },
          async dry(io) {
            // Planning reads nothing; a preview shows the latest messages without consuming them.
            await writeSpools((ctx.mode === 'preview' ? await peek(PREVIEW_ROWS) : []).map(kafkaMessage), { ...spoolOpts, onError: 'reject' }, io.db);
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
        await (await session(io)).commit();
      },
    };
  },
  docs: `Reads messages from one or more Kafka topics as a member of a consumer group, through a
connection declared in the pipeline (brokers, TLS, SASL; the password lives in the OS keychain or
\`CAUDAL_SECRET_<CONNECTION>_PASSWORD\`).

**Batches.** \`caudal run\` reads what the topics hold past the group's position now (at most *Rows
per batch*) and stops; \`caudal run --watch\` runs continuously, one micro-batch at a time: it waits
for the first message, collects up to *Rows per batch* or *Batch wait*, runs the whole pipeline on
the batch and commits it, then reads the next.

**Start.** On a topic it has never read, the group starts where *Start from* says (also on a
listed topic added to a group that reads others), and that start is committed for the group as
soon as it joins, before anything is read (it acknowledges no message): a first run, or
\`--watch\`, that fails, is cancelled or is killed leaves the group at its start, so the next run
reads what arrived meanwhile instead of computing "latest" again and skipping it. *Start from*
applies only to a topic the group has never read: a partition added to a topic the group already
reads (\`kafka-topics --alter --partitions\`) starts at its oldest message, whether the next run or
a running \`--watch\` (kafkajs notices new partitions within about 5 minutes) finds it, and so does
a topic a *Topic pattern* matches after the group read other topics of the pattern (created since
the group started): their first messages are read, not skipped. To start a pipeline over, use a
new consumer group (or delete the group's offsets).

**Retention.** Messages the topic's retention (or \`deleteRecords\`) deleted before the group read
them cannot be read any more: the run goes on at the oldest message kept and warns, naming the
topic, the partition and the offsets lost (once per loss; in \`--watch\` also when the watch fell
behind the retention). It warns rather than fails: a failing run would stop the pipeline at that
partition for good. Raise the topic's \`retention.ms\`/\`retention.bytes\`, or run more often.

**Delivery.** The group's offsets are committed to Kafka only after every sink of the run (or
batch) committed, so a run that fails, is cancelled or is killed reads the same messages again:
at-least-once. Sinks that upsert by key (PostgreSQL, DuckDB by replacing per key, Redis,
Elasticsearch) therefore end up with each message exactly once; append sinks may receive a
replayed batch twice after a crash between their commit and the offset commit. A rebalance of the
group (another member joining or leaving) replays nothing by itself: a partition this member keeps
continues where its reading ended, and an offset commit the group refused because it rebalanced
meanwhile is made again once this member has joined again (the group may rebalance more than
once; the commit waits up to 30 s in all), also for a partition the rebalance gave to another
member, unless the group is already further there. A broker lost mid-run fails the run naming the
cause; so does a topic deleted while the run (or \`--watch\`) reads it, saying to create it again. A
topic that does not exist when the run starts fails it naming the topic (check the name, or create
it: Caudal does not create topics), and SASL configured for a listener that takes none (plaintext)
says to set the connection's *SASL* to none. An offset
commit that fails after the sinks committed (the broker went away, or the group was rebalanced and
refuses the commit) fails the run, or in \`--watch\` that batch (the watch stops there), saying that
the destinations have the rows and that the next run reads the same messages again: a sink that
appends without a key then receives them twice.

**Values.** JSON values become columns (nested objects stay structs, or flatten them as in
source.json); the columns are inferred from the latest messages when the run starts, unless you
list them (recommended for long-running pipelines: unknown keys are then ignored and missing ones
are NULL). With inferred columns, keys that only later messages have are not read, and the run warns
naming them. A message whose value has an empty key, or keys that differ only in case
(\`{"ID": 1, "id": 2}\`: column names ignore case), at any depth, cannot be read into inferred columns:
it is left out of the inference and does not decode (it stops the run, or goes to \`rejects\`,
naming topic, partition and offset); list the value columns to read such messages. A value key
named like a metadata column (\`_topic\`, \`_partition\`, \`_offset\`, \`_timestamp\`, \`_key\`,
\`_headers\`, in any case; e.g. messages \`sink.kafka\` republished with their metadata) never
takes the metadata's place: with *Message metadata* on, the metadata keeps its name and the key is
read as \`value_<key>\` (\`value__topic\`), and the run warns naming it; turn the metadata off to
read such keys under their own names. When the columns are an object's keys (listed, or inferred from objects), a value that
is JSON but not an object (\`null\`, a number, a string, an array, \`true\`) or is empty does not decode:
it stops the run or goes to \`rejects\` with that reason, not a row of NULLs. A record without a value
(a tombstone, which deletes its key on a compacted topic) is a row whose value columns are NULL,
with its \`_key\`. \`text\` keeps the value as one column. With *Message metadata* each row also has
\`_topic\`, \`_partition\`, \`_offset\`, \`_timestamp\` (ms since the epoch), \`_key\` and
\`_headers\` (the key and header values as UTF-8 text; a key or header value whose bytes are not
UTF-8, such as an Avro or a 4-byte integer key, is \`\\x\` and the hex of its bytes, as source.rabbitmq
writes such headers: \`00 00 00 FE\` is \`\\x000000fe\`, so different binary keys never become the same
\`_key\`, and a text key that itself starts with \`\\x\` is written as hex too, so it cannot meet one; a header sent without a value, as the
protocol allows, is \`null\` in \`_headers\`, and in a repeated header an empty text). Messages that are not UTF-8 text (a producer writing Latin-1: read leniently, its letters
would become U+FFFD) or not JSON (or nesting more than 999 levels deep), or whose value does not fit the columns (a text in an
INTEGER column, a duplicate key, an array where an object is expected), stop the run, naming topic,
partition, offset and the reason, or go to the \`rejects\` port with their raw text and the reason
(with \`reject\`, each batch is read once more to find those that do not fit, about 0.04 s per
100,000 small messages here; at most 100 per batch are set aside, each costing one more read, so a
batch that mostly does not fit stops the run and asks for the columns to be fixed). Values are read as sent,
also when pretty-printed: integers keep every digit (with inferred columns, a key whose sampled
values are whole numbers beyond 64 bits is read as \`HUGEINT\`, where DuckDB alone would pick a
\`DOUBLE\` that rounds them; a key whose sampled numbers a double does not keep otherwise, such as
a mix of fractions and integers beyond 2^53 or \`1e400\`, makes the run warn naming it: list it);
numbers with a fraction are read as doubles, so
into a DECIMAL column one with more than 15 significant digits is refused: send exact decimals as strings. A value that
its column's type would change does not fit either (DuckDB's JSON reader would change it without a
word): a fraction in an integer column (\`12.5\`; \`12.0\` is fine), a time or text after the date in a
\`DATE\`, a non-zero UTC offset in a \`TIMESTAMP\` (use \`TIMESTAMPTZ\`), a date, offset or AM/PM
around a \`TIME\`, a number other than 0 or 1 in a \`BOOLEAN\`, more decimal places than a
\`DECIMAL(p,s)\` keeps; inferred columns are checked the same
way, so a fraction after a sample of whole numbers is caught.

**Memory.** Messages are fetched ahead while a batch runs, up to twice *Rows per batch* (and one
more fetch of each partition that had nothing waiting) or 64 MB of keys, values and headers,
whichever comes first; a batch also closes at 64 MB, so with large messages a batch holds fewer than
*Rows per batch* (a plain run reads the rest next time, and the lag says how many are left). When
more messages wait than a batch takes, each partition with messages waiting gets an equal share of
the batch, so a burst in one partition does not hold the others back until it is read to its end.
The lag reported after each batch is the number of messages behind it in every partition this
member reads, against the ends the brokers report then, also in partitions not fetched yet.

**Previews** show the latest ${PREVIEW_ROWS} messages, read by a throwaway group that commits nothing:
previewing never moves the pipeline's position. Only transactions that committed are read
(read_committed).

**Transactional topics.** A topic written by a transactional producer (\`sink.kafka\`, Kafka
Streams, any exactly-once producer) ends each transaction with a commit marker, a record that is
not a message. The group's offset is committed past such markers (and past aborted messages) up to
where the next fetch starts, so a group that read everything is at the end of each partition (lag 0),
and a run with nothing new returns at once rather than waiting a few seconds for a message at the
marker's offset. A partition held back by another producer's open transaction ends a plain run after
a few idle seconds.`,
  example: {
    description: 'Order events, JSON, continuing where the last run stopped',
    params: { connection: 'events', topics: ['orders'], format: 'json', max_rows: 50000 },
  },
});
