import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { z } from 'zod';
import { defineNode, type HookIo } from '../define.js';
import { kafkaSourceSpark } from './source.kafka.spark.js';
import { ident, namedArgs, stringLiteral } from '../../compiler/sql.js';
import { kafkaFields } from '../../connections/kafka/kafka.connection.js';
import { KafkaConsumerSession, peekKafka, type KafkaRecord } from '../../connectors/kafka/consume.js';
import { CaudalError } from '../../util/errors.js';
import { findClashes, flattenColumns, projection, structFields } from '../shared/flatten.js';
import { decodeRecord, METADATA_COLUMNS } from './decode.js';

const PREVIEW_ROWS = 100;
/** Messages read to infer the value's columns when they are not given. */
const INFER_ROWS = 500;
const RAW = '_kafka';

const params = z
  .object({
    connection: z.string().min(1).meta({ label: 'Connection', help: 'A Kafka connection declared under the pipeline\'s `connections`.', widget: 'connection' }),
    topics: z.array(z.string().min(1)).min(1).meta({ label: 'Topics', help: 'One or more topics, read together.', widget: 'list' }),
    group_id: z.string().min(1).optional().meta({
      label: 'Consumer group',
      help: 'Where the read position is kept (committed after every sink of the run committed). Default: caudal.<pipeline>.<node>. One pipeline per group.',
      placeholder: 'caudal.orders.events',
    }),
    start_from: z.enum(['earliest', 'latest', 'timestamp']).default('earliest').meta({
      label: 'Start from',
      help: 'Where a group that has never read these topics starts: the oldest message kept, only new messages, or a point in time. Later runs continue where the last committed run stopped.',
      widget: 'select',
    }),
    start_timestamp: z.string().optional().meta({ label: 'Start at', help: 'With start_from "timestamp": an ISO date-time, e.g. 2025-06-01T00:00:00Z.', placeholder: '2025-06-01T00:00:00Z' }),
    format: z.enum(['json', 'text']).default('json').meta({
      label: 'Value format',
      help: 'json: each value is a JSON document (objects become columns). text: the value as one text column.',
      widget: 'select',
      group: 'Decoding',
    }),
    columns: z
      .array(z.object({ name: z.string().min(1).meta({ label: 'Key' }), type: z.string().min(1).meta({ label: 'Type', placeholder: 'VARCHAR' }) }).strict())
      .default([])
      .meta({
        label: 'Value columns',
        help: 'JSON keys to read and their DuckDB types. Empty: inferred from the latest messages when the run starts (missing keys are NULL, others ignored).',
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
      help: 'fail: stop the run naming the topic, partition and offset. reject: send them to the rejects port (raw text and reason) and go on; they are acknowledged with the rest.',
      widget: 'select',
      group: 'Decoding',
    }),
    max_rows: z.int().positive().default(100_000).meta({ label: 'Rows per batch', help: 'At most this many messages per run (per micro-batch with --watch).', group: 'Batches' }),
    max_wait_ms: z.int().nonnegative().default(1_000).meta({ label: 'Batch wait (ms)', help: 'With --watch: after the first message of a batch, how long to wait for more before processing.', group: 'Batches' }),
  })
  .strict();

type Params = z.infer<typeof params>;

/** Inferred value types per (brokers, topics): a watch plans every batch, inference runs once. */
const inferred = new Map<string, { type: string | undefined; at: number }>();
const INFER_TTL_MS = 10 * 60_000;

export const kafkaSourceNode = defineNode({
  type: 'source.kafka',
  version: 1,
  spark: kafkaSourceSpark,
  category: 'source',
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
    if (p.start_from === 'timestamp' && !p.start_timestamp) out.push({ path: 'start_timestamp', message: 'start_from "timestamp" needs a start_timestamp', hint: 'e.g. 2025-06-01T00:00:00Z' });
    if (p.start_timestamp && Number.isNaN(Date.parse(p.start_timestamp))) out.push({ path: 'start_timestamp', message: `'${p.start_timestamp}' is not a date-time`, hint: 'e.g. 2025-06-01T00:00:00Z' });
    if (p.format === 'text' && p.columns.length > 0) out.push({ path: 'columns', message: 'value columns apply to JSON values' });
    return out;
  },
  async compile(ctx) {
    const p = ctx.params;
    const conn = ctx.connection(p.connection, 'kafka');
    const config = kafkaFields.parse(conn.config);
    const groupId = p.group_id ?? `caudal.${ctx.pipelineName}.${ctx.nodeId}`;
    const spool = ctx.tempPath('kafka.ndjson');
    const rejectSpool = ctx.tempPath('kafka-rejects.ndjson');
    const peek = (limit: number) => peekKafka(config, p.topics, limit).catch((e: unknown) => {
      throw new CaudalError('io', `node '${ctx.nodeId}' (connection '${p.connection}'): cannot read topics ${p.topics.join(', ')}: ${(e as Error).message}`, {
        nodeId: ctx.nodeId,
        hint: 'check the brokers and the topic names (caudal connections test)',
      });
    });

    // The value's type: as given, or inferred once from the latest messages.
    let valueType = p.format === 'text' ? 'VARCHAR' : p.columns.length > 0 ? `STRUCT(${p.columns.map((c) => `${ident(c.name)} ${c.type}`).join(', ')})` : undefined;
    if (valueType === undefined) {
      const cacheKey = `${config.brokers}|${p.topics.join(',')}`;
      const hit = inferred.get(cacheKey);
      if (hit && Date.now() - hit.at < INFER_TTL_MS) valueType = hit.type;
      else {
        const sample = (await peek(INFER_ROWS)).map((r) => decodeRecord(r, 'json').line).filter((l): l is string => l !== undefined);
        if (sample.length > 0) {
          const file = ctx.tempPath('kafka-sample.ndjson');
          await writeFile(file, sample.join('\n') + '\n');
          const cols = await ctx.describe(`SELECT value FROM read_json(${stringLiteral(file)}, format := 'newline_delimited')`);
          valueType = cols[0]?.type;
        }
        inferred.set(cacheKey, { type: valueType, at: Date.now() });
      }
      if (valueType === undefined || valueType === 'NULL') {
        throw new CaudalError('validation', `node '${ctx.nodeId}': topics ${p.topics.join(', ')} hold no messages to infer the value's columns from`, {
          nodeId: ctx.nodeId,
          hint: 'list the value columns and their types (columns), or produce a message first',
          problems: [{ code: 'invalid_param', path: 'params.columns', message: `node '${ctx.nodeId}': no messages to infer the value's columns from; set columns` }],
        });
      }
    }

    // The views bind against the spools: empty until the setup hook fills them.
    await writeFile(spool, '');
    await writeFile(rejectSpool, '');
    const columns: Record<string, string> = { value: valueType, ...Object.fromEntries(METADATA_COLUMNS) };
    const from = `read_json(${stringLiteral(spool)}, ${namedArgs({ format: 'newline_delimited', columns })}) AS ${ident(RAW)}`;
    const valueColumns = structFields(valueType) ? await ctx.describe(`SELECT unnest(${ident(RAW)}.value) FROM ${from}`) : [{ name: 'value', type: valueType }];
    let valueSql: string[];
    if (structFields(valueType) && p.flatten) {
      const flat = flattenColumns(valueColumns, p.flatten_separator);
      const clashes = findClashes(flat);
      if (clashes.length > 0) throw new CaudalError('validation', `node '${ctx.nodeId}': flattening gives several columns the same name: ${clashes.map((c) => c.name).join(', ')}`, { nodeId: ctx.nodeId, hint: 'set flatten_separator to something that does not occur in the keys' });
      valueSql = projection(flat, 'value').map((e) => e.replace(/^"value"\./, `${ident(RAW)}."value".`));
    } else valueSql = structFields(valueType) ? [`unnest(${ident(RAW)}.value)`] : [`${ident(RAW)}.value`];
    const metaSql = p.metadata ? METADATA_COLUMNS.map(([c]) => `${ident(RAW)}.${ident(c)}`) : [];
    const rejectColumns = { _raw: 'VARCHAR', _reason: 'VARCHAR', ...Object.fromEntries(METADATA_COLUMNS) };
    const rejectsSql = `SELECT * FROM read_json(${stringLiteral(rejectSpool)}, ${namedArgs({ format: 'newline_delimited', columns: rejectColumns })})`;

    const session = (io: HookIo) =>
      io.sessions!.get(
        `kafka:${ctx.nodeId}`,
        () =>
          KafkaConsumerSession.open(config, {
            topics: p.topics,
            groupId,
            startFrom: p.start_from,
            startTimestamp: p.start_timestamp ? Date.parse(p.start_timestamp) : undefined,
            maxRows: p.max_rows,
            maxWaitMs: p.max_wait_ms,
          }),
        (s) => s.close(),
      );

    return {
      streaming: true,
      setup: [
        {
          kind: 'hook',
          description: `read up to ${p.max_rows} messages from Kafka topics ${p.topics.join(', ')} (group ${groupId})`,
          countsRows: true,
          async run(io) {
            const batch = await (await session(io)).read({ watch: io.stream?.watch ?? false, stopping: () => io.stream?.stopping() ?? false, isCancelled: io.isCancelled });
            const rows = await writeSpools(batch.records, p, spool, rejectSpool, ctx.nodeId);
            io.stream?.read({ rows: batch.records.length, lag: batch.lag, waitedMs: batch.waitedMs });
            return rows;
          },
          async dry() {
            // Planning reads nothing; a preview shows the latest messages without consuming them.
            await writeSpools(ctx.mode === 'preview' ? await peek(PREVIEW_ROWS) : [], { ...p, on_error: 'reject' }, spool, rejectSpool, ctx.nodeId);
            return { sampled: ctx.mode === 'preview' };
          },
        },
      ],
      outputs: {
        out: `SELECT ${[...valueSql, ...metaSql].join(', ')}\nFROM ${from}`,
        rejects: rejectsSql,
      },
      notices: [{ countSql: `SELECT count(*) FROM (${rejectsSql})`, message: '{count} message{s} did not decode and {were} set aside on the \'rejects\' port', port: 'rejects' }],
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

**Delivery.** The group's offsets are committed to Kafka only after every sink of the run (or
batch) committed, so a run that fails, is cancelled or is killed reads the same messages again:
at-least-once. Sinks that upsert by key (PostgreSQL, DuckDB by replacing per key, Redis,
Elasticsearch) therefore end up with each message exactly once; append sinks may receive a
replayed batch twice after a crash between their commit and the offset commit.

**Values.** JSON values become columns (nested objects stay structs, or flatten them as in
source.json); the columns are inferred from the latest messages when the run starts, unless you
list them (recommended for long-running pipelines: unknown keys are then ignored and missing ones
are NULL). \`text\` keeps the value as one column. With *Message metadata* each row also has
\`_topic\`, \`_partition\`, \`_offset\`, \`_timestamp\` (ms since the epoch), \`_key\` and
\`_headers\`. Messages that are not JSON stop the run, naming topic, partition and offset, or go to
the \`rejects\` port with their raw text and the reason.

**Previews** show the latest ${PREVIEW_ROWS} messages, read by a throwaway group that commits nothing:
previewing never moves the pipeline's position. Only transactions that committed are read
(read_committed).`,
  example: {
    description: 'Order events, JSON, continuing where the last run stopped',
    params: { connection: 'events', topics: ['orders'], format: 'json', max_rows: 50000 },
  },
});

/** Writes the messages (and the rejects) as NDJSON for DuckDB; returns the rows written to `out`. */
async function writeSpools(records: KafkaRecord[], p: Params, spool: string, rejectSpool: string, nodeId: string): Promise<number> {
  const out = createWriteStream(spool);
  const rej = createWriteStream(rejectSpool);
  let rows = 0;
  try {
    for (const r of records) {
      const d = decodeRecord(r, p.format);
      if (d.reject !== undefined) {
        if (p.on_error === 'fail') {
          throw new CaudalError('execution', `node '${nodeId}': message ${r.topic}/${r.partition}@${r.offset} is not JSON: ${JSON.parse(d.reject)._reason}`, {
            nodeId,
            hint: 'fix the producer, or set on_error to "reject" to set such messages aside',
          });
        }
        if (!rej.write(d.reject + '\n')) await once(rej, 'drain');
      } else {
        if (!out.write(d.line + '\n')) await once(out, 'drain');
        rows++;
      }
    }
  } finally {
    out.end();
    rej.end();
    await Promise.all([once(out, 'close'), once(rej, 'close')]);
  }
  return rows;
}
