import { z } from 'zod';
import { defineNode } from '../define.js';
import { ident, stringLiteral } from '../../compiler/sql.js';
import { rabbitmqFields } from '../../connections/rabbitmq/rabbitmq.connection.js';
import { stageRabbitWrite } from '../../connectors/rabbitmq/publish.js';
import { CaudalError, type Problem } from '../../util/errors.js';
import type { Db } from '../../compiler/db.js';
import { didYouMean } from '../../util/suggest.js';
import { jsonSafeRelation } from '../shared/json-out.js';

const params = z
  .object({
    connection: z.string().min(1).meta({ label: 'Connection', help: 'A RabbitMQ connection declared under the pipeline\'s `connections`.', widget: 'connection' }),
    exchange: z.string().default('').meta({ label: 'Exchange', help: 'Where to publish; empty: the default exchange (the routing key is then the queue name).' }),
    routing_key: z.string().default('').meta({ label: 'Routing key', help: 'The same for every message; or set a routing key column.' }),
    routing_key_column: z.string().min(1).optional().meta({ label: 'Routing key column', help: 'Each message\'s routing key from this column.', widget: 'column' }),
    value_column: z.string().min(1).optional().meta({ label: 'Value column', help: 'Send this column as the body, as text (content type text/plain; charset=utf-8, or application/json for a JSON column). Empty: each row as a JSON object (application/json).', widget: 'column' }),
  })
  .strict();

export const rabbitmqSinkNode = defineNode({
  type: 'sink.rabbitmq',
  version: 1,
  category: 'sink',
  title: 'Publish to RabbitMQ',
  description: 'Publishes each row as a persistent message once the run commits, with publisher confirms.',
  aliases: ['rabbitmq', 'amqp', 'queue', 'publish', 'messages'],
  inputs: [{ name: 'in' }],
  outputs: [],
  params,
  sink(ctx) {
    const p = ctx.params;
    const config = rabbitmqFields.parse(ctx.connection(p.connection, 'rabbitmq').config);
    const input = ctx.input();
    const names = input.columns.map((c) => c.name);
    const preflight: Problem[] = [];
    for (const field of ['routing_key_column', 'value_column'] as const) {
      const c = p[field];
      if (c && !names.includes(c)) preflight.push({ code: 'unknown_column', path: `params.${field}`, column: c, message: `node '${ctx.nodeId}': column '${c}' is not in the input${didYouMean(c, names)}`, hint: `input columns: ${names.join(', ')}` });
    }
    const exchange = ctx.text(p.exchange);
    // AMQP carries names and routing keys as short strings: amqplib cannot send one over 255 bytes.
    const fixedKey = p.routing_key_column ? undefined : ctx.text(p.routing_key);
    for (const [field, value, what] of [['exchange', exchange, 'the exchange name'], ['routing_key', fixedKey, 'the routing key']] as const) {
      const bytes = value === undefined ? 0 : Buffer.byteLength(value);
      if (bytes > MAX_SHORT_STRING) preflight.push({ code: 'invalid_param', path: `params.${field}`, message: `node '${ctx.nodeId}': ${what} (param ${field}) is ${bytes} bytes: AMQP allows up to ${MAX_SHORT_STRING} bytes`, hint: `shorten ${what}` });
    }
    const staged = ident(`_rabbitmq_${ctx.nodeId}`);
    const rk = p.routing_key_column ? `CAST(${ident(p.routing_key_column)} AS VARCHAR)` : stringLiteral(ctx.text(p.routing_key));
    const v = p.value_column ? `CAST(${ident(p.value_column)} AS VARCHAR)` : 'CAST(to_json(_row) AS VARCHAR)';
    // A row sent as JSON must be JSON: NaN and Infinity are refused (shared/json-out.ts).
    const published = p.value_column ? input.ref : jsonSafeRelation(input.ref, input.columns);
    // The message id comes from what the message carries, not from the run: a re-run after a failed
    // commit, or a replayed streaming batch, sends the same message with the same id, so consumers
    // can drop the duplicate. Identical messages of one run are told apart by their occurrence.
    const digest = `md5(${stringLiteral(JSON.stringify([ctx.pipelineName, ctx.nodeId]))} || CAST(length(rk) AS VARCHAR) || ':' || rk || v)`;
    const mid = `${stringLiteral(`${ctx.nodeId}-`)} || ${digest} || '-' || CAST(row_number() OVER (PARTITION BY rk, v ORDER BY n) AS VARCHAR)`;
    const label = `RabbitMQ exchange '${exchange || '(default)'}' (connection '${p.connection}')`;
    let rows = 0;
    return {
      target: label,
      destination: { key: `rabbitmq:${config.host}:${config.port}${config.vhost}/${exchange}/${p.routing_key_column ?? p.routing_key}`, label },
      preflight,
      // Staged in the run's DuckDB: nothing is published before the run commits.
      stage: [
        `CREATE OR REPLACE TEMP TABLE ${staged} AS SELECT rk, v, ${mid} AS mid, n FROM (SELECT ${rk} AS rk, ${v} AS v, row_number() OVER () AS n FROM ${published} AS _row)`,
        `SELECT count(*) FROM ${staged}`,
      ],
      external: {
        describe: [`-- publish every row of ${staged} to exchange '${exchange}' when the run commits (confirm channel, persistent mandatory messages)`],
        stage: async (io) => {
          await refuseNulls(io.db, staged, ctx.nodeId, p);
          await refuseLongKeys(io.db, staged, ctx.nodeId, p.routing_key_column);
          rows = Number((await io.db.rows(`SELECT count(*) AS n FROM ${staged}`))[0]?.n ?? 0);
          return stageRabbitWrite(
            config,
            { exchange, rowsSql: `SELECT rk, v, mid FROM ${staged} ORDER BY n`, routingKeysSql: `SELECT DISTINCT rk FROM ${staged}`, rows, confirmEvery: 1000, contentType: contentTypeOf(p.value_column, input.columns) },
            io,
            { nodeId: ctx.nodeId, connection: p.connection },
          );
        },
      },
    };
  },
  spark: { kind: 'unsupported', reason: "the Spark target writes files and JDBC tables; publish from a caudal run that reads the Spark job's output" },
  docs: `Publishes every row to a RabbitMQ exchange: by default each row as a JSON object, or one column as
text; a fixed routing key or one per row from a column. A row whose routing key column or value
column is NULL stops the run before anything is published, naming the column and the row (a NULL key
would reach no queue, a NULL value would be an empty body like \`''\`): filter such rows out or
\`coalesce\` them first; without a value column each row is sent as JSON, where NULL is \`null\`. JSON has no NaN or Infinity (in DuckDB \`0.0 / 0.0\` is NaN, \`1 / 0.0\` Infinity): a row holding one stops the run naming the column, rather than sending a message its consumers cannot parse; replace such values first (\`CASE WHEN isfinite(ratio) THEN ratio END\` in a Derive gives NULL). A routing key over 255 bytes (AMQP's limit) stops the run before anything is published, naming the row.

**Content type.** Each message's \`content_type\` says what its body is: \`application/json\` for rows
sent as JSON objects and for a value column of type \`JSON\` (e.g. built with \`to_json\`),
\`text/plain; charset=utf-8\` for any other value column (sent as its text, which may not be JSON;
cast the column to \`JSON\` in a Derive to label JSON text as JSON).

**Message ids.** Messages are persistent and carry a message id derived from what they carry:
\`<node>-<md5 of the pipeline, node, routing key and body>-<k>\` (\`k\` counts identical
messages within the run). A message sent again — a run re-run after its commit failed half way, a
streaming batch read again after a crash — has the same id, so consumers can drop duplicates by id.
Identical messages from different runs share an id too: where repeats are legitimate, put something
that tells them apart in the body (an event id, the source's \`_offset\` or \`_message_id\`), and
leave out what changes when a message is read again (\`_redelivered\`, a load time).

**Unroutable messages.** Messages are published as *mandatory*: one that no queue receives (a
routing key that matches no queue on the default exchange, or no binding of a named exchange) is
returned by the broker, and the run fails naming the exchange and routing key instead of reporting
rows written; its sources acknowledge nothing. On the default exchange the queues are checked
before anything is published (up to 1,000 distinct routing keys); on a named exchange the returned
message is seen while publishing, so the messages published before it stay published (the window
described below): bind the queues before the first run.

**When.** The rows are staged in the run and published only when the run commits, over a channel
with publisher confirms: a failed or cancelled run publishes nothing. AMQP offers no transaction
that covers many messages here, so if the broker is lost while the commit publishes, the messages
confirmed until then stay published (see "Commit guarantees" in the user guide); running the
pipeline again publishes them all again. The same holds for a message larger than the broker's
\`max_message_size\` (RabbitMQ 3.x: 128 MiB by default, 4.x: 16 MiB): the broker refuses it and closes the
channel, and the run fails naming its row, its size and the limit; the messages before it that were
confirmed stay published, none after it is.`,
  example: {
    description: 'Publish invoices to the billing exchange, routed by country',
    params: { connection: 'broker', exchange: 'billing', routing_key_column: 'country' },
  },
});

/** The longest AMQP short string (exchange names, routing keys), in bytes. */
const MAX_SHORT_STRING = 255;

/**
 * The content_type of the bodies: rows sent as JSON objects, or a value column of DuckDB's JSON type,
 * are JSON; any other value column is sent as its text, which consumers must not parse as JSON.
 */
export function contentTypeOf(valueColumn: string | undefined, columns: Array<{ name: string; type: string }>): string {
  if (valueColumn === undefined) return 'application/json';
  return columns.find((c) => c.name === valueColumn)?.type === 'JSON' ? 'application/json' : 'text/plain; charset=utf-8';
}

/**
 * A routing key over 255 bytes cannot be sent at all (amqplib refuses it mid-publish, after the rows
 * before it were published): such rows stop the run before anything is published, naming the row.
 */
async function refuseLongKeys(db: Db, staged: string, nodeId: string, column: string | undefined): Promise<void> {
  if (!column) return;
  const [hit] = await db.rows(`SELECT n AS first, strlen(rk) AS bytes, count(*) OVER () AS count FROM ${staged} WHERE strlen(rk) > ${MAX_SHORT_STRING} ORDER BY n LIMIT 1`);
  if (!hit) return;
  const more = Number(hit.count) - 1;
  throw new CaudalError('execution', `node '${nodeId}': row ${String(hit.first)} of the input has a routing key of ${String(hit.bytes)} bytes in the routing key column '${column}'${more > 0 ? ` (and ${more} more row${more === 1 ? '' : 's'})` : ''}: AMQP allows up to ${MAX_SHORT_STRING} bytes; nothing was published`, {
    nodeId,
    column,
    hint: `filter such rows out, or shorten their routing keys (left(${column}, 100) counts characters; a character can take up to 4 bytes)`,
  });
}

/**
 * A NULL routing key would be sent as '' (which no queue receives) and a NULL value column as an
 * empty body (the same as ''): such rows stop the run before anything is published, naming the
 * column and the row.
 */
async function refuseNulls(db: Db, staged: string, nodeId: string, p: { routing_key_column?: string; value_column?: string }): Promise<void> {
  const checks: Array<[string, string | undefined, string, string]> = [
    ['rk', p.routing_key_column, 'routing key column', 'a message without a routing key reaches no queue'],
    ['v', p.value_column, 'value column', 'it would be sent as an empty body, the same as an empty text'],
  ];
  for (const [col, name, what, why] of checks) {
    if (!name) continue;
    const [hit] = await db.rows(`SELECT min(n) AS first, count(*) AS count FROM ${staged} WHERE ${ident(col)} IS NULL`);
    const count = Number(hit?.count ?? 0);
    if (count === 0) continue;
    throw new CaudalError('execution', `node '${nodeId}': row ${String(hit!.first)} of the input has NULL in the ${what} '${name}'${count > 1 ? ` (and ${count - 1} more row${count === 2 ? '' : 's'})` : ''}: ${why}; nothing was published`, {
      nodeId,
      column: name,
      hint: col === 'rk' ? `filter such rows out, or give them a routing key (coalesce(${name}, 'other'))` : `filter such rows out, or give them a value (coalesce(${name}, '')); without value_column each row is sent as JSON, where NULL is null`,
    });
  }
}
