import { z } from 'zod';
import { defineNode } from '../define.js';
import { ident, stringLiteral } from '../../compiler/sql.js';
import { rabbitmqFields } from '../../connections/rabbitmq/rabbitmq.connection.js';
import { stageRabbitWrite } from '../../connectors/rabbitmq/publish.js';
import type { Problem } from '../../util/errors.js';
import { shortRunId } from '../../util/owner.js';
import { didYouMean } from '../../util/suggest.js';
import { jsonSafeRelation } from '../shared/json-out.js';

const params = z
  .object({
    connection: z.string().min(1).meta({ label: 'Connection', help: 'A RabbitMQ connection declared under the pipeline\'s `connections`.', widget: 'connection' }),
    exchange: z.string().default('').meta({ label: 'Exchange', help: 'Where to publish; empty: the default exchange (the routing key is then the queue name).' }),
    routing_key: z.string().default('').meta({ label: 'Routing key', help: 'The same for every message; or set a routing key column.' }),
    routing_key_column: z.string().min(1).optional().meta({ label: 'Routing key column', help: 'Each message\'s routing key from this column.', widget: 'column' }),
    value_column: z.string().min(1).optional().meta({ label: 'Value column', help: 'Send this column as the body, as text. Empty: each row as a JSON object.', widget: 'column' }),
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
    const staged = ident(`_rabbitmq_${ctx.nodeId}`);
    const rk = p.routing_key_column ? `CAST(${ident(p.routing_key_column)} AS VARCHAR)` : stringLiteral(ctx.text(p.routing_key));
    const v = p.value_column ? `CAST(${ident(p.value_column)} AS VARCHAR)` : 'CAST(to_json(_row) AS VARCHAR)';
    // A row sent as JSON must be JSON: NaN and Infinity are refused (shared/json-out.ts).
    const published = p.value_column ? input.ref : jsonSafeRelation(input.ref, input.columns);
    const mid = `${stringLiteral(`${shortRunId(ctx.runId)}-${ctx.nodeId}-`)} || CAST(row_number() OVER () AS VARCHAR)`;
    const exchange = ctx.text(p.exchange);
    const label = `RabbitMQ exchange '${exchange || '(default)'}' (connection '${p.connection}')`;
    let rows = 0;
    return {
      target: label,
      destination: { key: `rabbitmq:${config.host}:${config.port}${config.vhost}/${exchange}/${p.routing_key_column ?? p.routing_key}`, label },
      preflight,
      // Staged in the run's DuckDB: nothing is published before the run commits.
      stage: [`CREATE OR REPLACE TEMP TABLE ${staged} AS SELECT ${rk} AS rk, ${v} AS v, ${mid} AS mid FROM ${published} AS _row`, `SELECT count(*) FROM ${staged}`],
      external: {
        describe: [`-- publish every row of ${staged} to exchange '${exchange}' when the run commits (confirm channel, persistent messages)`],
        stage: async (io) => {
          rows = Number((await io.db.rows(`SELECT count(*) AS n FROM ${staged}`))[0]?.n ?? 0);
          return stageRabbitWrite(config, { exchange, rowsSql: `SELECT rk, v, mid FROM ${staged}`, rows, confirmEvery: 1000 }, io, { nodeId: ctx.nodeId, connection: p.connection });
        },
      },
    };
  },
  spark: { kind: 'unsupported', reason: "the Spark target writes files and JDBC tables; publish from a caudal run that reads the Spark job's output" },
  docs: `Publishes every row to a RabbitMQ exchange: by default each row as a JSON object, or one column as
text; a fixed routing key or one per row from a column. Messages are persistent and carry a message
id (\`<run>-<node>-<n>\`) so consumers can drop duplicates. JSON has no NaN or Infinity (in DuckDB \`0.0 / 0.0\` is NaN, \`1 / 0.0\` Infinity): a row holding one stops the run naming the column, rather than sending a message its consumers cannot parse; replace such values first (\`CASE WHEN isfinite(ratio) THEN ratio END\` in a Derive gives NULL).

**When.** The rows are staged in the run and published only when the run commits, over a channel
with publisher confirms: a failed or cancelled run publishes nothing. AMQP offers no transaction
that covers many messages here, so if the broker is lost while the commit publishes, the messages
confirmed until then stay published (see "Commit guarantees" in the user guide); running the
pipeline again publishes them all again.`,
  example: {
    description: 'Publish invoices to the billing exchange, routed by country',
    params: { connection: 'broker', exchange: 'billing', routing_key_column: 'country' },
  },
});
