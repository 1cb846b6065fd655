import { pipelineCopyHash } from '../shared/pipeline-copy.js';
import path from 'node:path';
import { z } from 'zod';
import { defineNode } from '../define.js';
import { kafkaSinkSpark } from './sink.kafka.spark.js';
import { ident } from '../../compiler/sql.js';
import { kafkaFields } from '../../connections/kafka/kafka.connection.js';
import { stageKafkaWrite } from '../../connectors/kafka/produce.js';
import type { Problem } from '../../util/errors.js';
import { didYouMean } from '../../util/suggest.js';
import { jsonSafeRelation } from '../shared/json-out.js';

const params = z
  .object({
    connection: z.string().min(1).meta({ label: 'Connection', help: 'A Kafka connection declared under the pipeline\'s `connections`.', widget: 'connection' }),
    topic: z.string().min(1).meta({ label: 'Topic', help: 'Where the messages go. `${param}` inserts a pipeline param.' }),
    key_column: z.string().min(1).optional().meta({ label: 'Key column', help: 'Its value (as text) is the message key: messages with the same key keep their order (same partition). Empty: no key (a compacted topic needs one).', widget: 'column' }),
    value_column: z.string().min(1).optional().meta({ label: 'Value column', help: 'Send this column as the value, as text. Empty: each row as a JSON object of all its columns.', widget: 'column' }),
    batch_size: z.int().positive().default(1_000).meta({ label: 'Messages per send', group: 'Advanced' }),
    compression: z.enum(['none', 'gzip']).default('none').meta({ label: 'Compression', widget: 'select', group: 'Advanced' }),
    transaction_timeout_s: z
      .int()
      .positive()
      .optional()
      .meta({
        label: 'Transaction timeout (s)',
        help: "How long the run's Kafka transaction may stay open, from its first message to the commit; the brokers abort it after that and the run fails. Default: 900 s, or the brokers' transaction.max.timeout.ms when that is lower (the most they accept).",
        group: 'Advanced',
      }),
  })
  .strict();

/**
 * The producer's transactional id: the same for every run of one copy of the pipeline, so a run's
 * producer fences a killed run of that copy and aborts its open transaction; different for copies
 * that share the pipeline's name but not its state folder (another project folder, another
 * --state-dir), which would otherwise fence each other's runs ("old epoch", "newer producer with
 * the same transactionalId"). The hash is of the pipeline's absolute state folder
 * (`<state folder>/<pipeline>`).
 */
export function transactionalIdOf(pipelineName: string, nodeId: string, stateFolder: string): string {
  return `caudal.${pipelineName}.${nodeId}.${pipelineCopyHash(stateFolder)}`;
}

export const kafkaSinkNode = defineNode({
  type: 'sink.kafka',
  version: 1,
  spark: kafkaSinkSpark,
  category: 'sink',
  title: 'Write Kafka topic',
  description: 'Sends each row as a message (JSON or one column), in one Kafka transaction committed with the run.',
  aliases: ['kafka', 'stream', 'topic', 'publish', 'producer', 'events'],
  inputs: [{ name: 'in' }],
  outputs: [],
  params,
  sink(ctx) {
    const p = ctx.params;
    const config = kafkaFields.parse(ctx.connection(p.connection, 'kafka').config);
    const input = ctx.input();
    const topic = ctx.text(p.topic);
    const names = input.columns.map((c) => c.name);
    const preflight: Problem[] = [];
    for (const field of ['key_column', 'value_column'] as const) {
      const c = p[field];
      if (c && !names.includes(c)) preflight.push({ code: 'unknown_column', path: `params.${field}`, column: c, message: `node '${ctx.nodeId}': column '${c}' is not in the input${didYouMean(c, names)}`, hint: `input columns: ${names.join(', ')}` });
    }
    const key = p.key_column ? `CAST(${ident(p.key_column)} AS VARCHAR)` : 'NULL::VARCHAR';
    const value = p.value_column ? `CAST(${ident(p.value_column)} AS VARCHAR)` : 'CAST(to_json(_row) AS VARCHAR)';
    // A row sent as JSON must be JSON: NaN and Infinity are refused (shared/json-out.ts).
    const rowsSql = `SELECT ${key} AS k, ${value} AS v FROM ${p.value_column ? input.ref : jsonSafeRelation(input.ref, input.columns)} AS _row`;
    const transactionalId = transactionalIdOf(ctx.pipelineName, ctx.nodeId, path.dirname(ctx.nodeFolder('kafka')));
    return {
      target: `Kafka topic '${topic}' (connection '${p.connection}')`,
      destination: { key: `kafka:${config.brokers}/${topic}`, label: `Kafka topic '${topic}' (connection '${p.connection}')` },
      preflight,
      stage: [],
      external: {
        describe: [`-- send each row of ${rowsSql} to topic '${topic}' inside one Kafka transaction, committed with the run`],
        stage: (io) =>
          stageKafkaWrite(config, { topic, transactionalId, rowsSql, keyColumn: p.key_column, batchSize: p.batch_size, compression: p.compression, transactionTimeoutMs: p.transaction_timeout_s === undefined ? undefined : p.transaction_timeout_s * 1000 }, io, {
            nodeId: ctx.nodeId,
            connection: p.connection,
          }),
      },
    };
  },
  docs: `Sends every row to a Kafka topic through a connection declared in the pipeline: by default each
row as a JSON object of all its columns, or one column as text (*Value column*); the *Key column*
(as text) keys the messages, so messages with the same key keep their order. JSON has no NaN or Infinity (in DuckDB \`0.0 / 0.0\` is NaN, \`1 / 0.0\` Infinity): a row holding one stops the run naming the column, rather than sending a message its consumers cannot parse; replace such values first (\`CASE WHEN isfinite(ratio) THEN ratio END\` in a Derive gives NULL).
With a *Value column*, a row whose value is NULL is sent as a message without a value: Kafka's
**tombstone**, which a compacted topic takes as "delete this key" (that is how a deletion is
published; filter such rows out first when they are not meant as deletions). A BLOB value column
is sent as its text (\`\\x00\\xFF…\`), not as raw bytes.

**Compacted topics.** A topic with \`cleanup.policy\` \`compact\` (or \`compact,delete\`) keeps the last
message of each key, and its brokers refuse a message without a key. The run reads the topic's
policy when it starts; on a compacted topic it counts the rows whose *Key column* is NULL (one more
pass over the input) and, when there are any (every row, when the node has no *Key column*), fails
before sending anything, naming the topic, the key column, how many rows have a NULL key and the first of
them: filter those rows out or fill their key (\`coalesce\` in a Derive) first. When the policy cannot
be read (no \`DescribeConfigs\` right on the topic) or changes during the run, the brokers' refusal
("invalid record") of a send holding a NULL key is said the same way, naming the row; the
transaction is aborted and nothing is published.

Sends are cut to fit the topic's \`max.message.bytes\` (read when the run starts); a single message over
it stops the run naming the row, its size and the limit. The topic must exist: sink.kafka does not
create topics.

**Atomic.** The messages are sent inside one Kafka transaction (an idempotent, transactional
producer whose id is \`caudal.<pipeline>.<node>.<hash>\`), committed with the run: consumers reading committed
messages (the default of most clients, and source.kafka) never see the messages of a failed or
cancelled run, nor those of a run that was killed (its transaction is aborted when the next run's
producer starts, or by the broker after its transaction timeout). The commit itself can fail late
(see "Commit guarantees" in the user guide).

**Transaction timeout.** The brokers abort a transaction that stays open longer than
*Transaction timeout* (\`transaction_timeout_s\`; by default 900 s, the brokers' default
\`transaction.max.timeout.ms\`, the most they accept, or that setting when the cluster lowered it and
lets Caudal read it); the run then fails at its commit, saying so, with nothing published. The transaction is open from the first message to the commit, so this
bounds the whole write plus the other sinks' work after it. A run killed mid-write holds back
consumers that read committed messages of those partitions until the timeout, or until the next
run of the pipeline starts (its producer aborts the killed run's transaction at once): lower the
timeout where consumers must not wait that long and runs are short.

**Transactional id.** \`<hash>\` is a short hash of the pipeline's state folder
(\`<state folder>/<pipeline>\`: by default in the pipeline's project folder, or under \`--state-dir\`), so
the id stays the same for every run of one copy of the pipeline (which is what lets a run fence and
abort a killed run's transaction) and differs between copies with the same pipeline name in other
folders or with another \`--state-dir\`: those run side by side without fencing each other (Kafka
refuses a transaction of a producer that a newer one with the same id replaced: "old epoch"). Moving
the project folder or changing \`--state-dir\` changes the id: a run killed before the move is then
aborted by the brokers after its transaction timeout, not by the next run (so is one killed under the
\`caudal.<pipeline>.<node>\` id of earlier versions). The Kafka user needs the \`Write\` and \`Describe\`
rights on transactional ids matching \`caudal.<pipeline>.<node>.\` as a prefix.`,
  example: {
    description: 'Publish cleaned orders keyed by order id',
    params: { connection: 'events', topic: 'orders.clean', key_column: 'order_id' },
  },
});
