import { z } from 'zod';
import { defineNode } from '../define.js';
import { redisFields } from '../../connections/redis/redis.connection.js';
import { pointerKey } from '../../connectors/redis/names.js';
import { parseKeyTemplate, templateColumns, templatePrefix } from '../../connectors/redis/template.js';
import { type RedisWriteSpec, writeRedis } from '../../connectors/redis/write.js';
import type { Problem } from '../../util/errors.js';
import { didYouMean } from '../../util/suggest.js';

const params = z
  .object({
    connection: z.string().min(1).meta({ label: 'Connection', help: 'A Redis connection declared under the pipeline\'s `connections`.', widget: 'connection' }),
    key: z.string().min(1).meta({ label: 'Key template', help: 'One key per row: `{column}` is replaced by the row\'s value, e.g. `customer:{customer_id}` (`{{`/`}}` for literal braces; `${param}` inserts a pipeline param).', placeholder: 'customer:{customer_id}' }),
    value: z.enum(['hash', 'json', 'string']).default('hash').meta({
      label: 'Stored as',
      help: 'hash: one field per column (HSET). json: the row as a JSON object in a string. string: one column\'s value as a plain string.',
      widget: 'select',
    }),
    columns: z.array(z.string().min(1)).default([]).meta({ label: 'Columns', help: 'hash and json: the columns stored. Empty: every column.', widget: 'columns' }),
    value_column: z.string().min(1).optional().meta({ label: 'Value column', help: 'string: the column whose value is stored.', widget: 'column' }),
    ttl_s: z.int().positive().optional().meta({ label: 'TTL (s)', help: 'Keys expire this many seconds after the run commits. Empty: they do not expire.', widget: 'number' }),
    mode: z.enum(['upsert', 'replace_namespace']).default('upsert').meta({
      label: 'Mode',
      help: 'upsert: each row\'s key gets the row; other keys stay. replace_namespace: the data becomes a new version under `<namespace>:<version>:`, and the pointer `<namespace>:current` switches to it in one step; the previous version expires.',
      widget: 'select',
    }),
    namespace: z.string().min(1).optional().meta({ label: 'Namespace', help: 'replace_namespace: the prefix of the versions and of the pointer key `<namespace>:current`.', group: 'Replace namespace' }),
    old_ttl_s: z.int().min(0).default(60).meta({ label: 'Old version lives (s)', help: 'replace_namespace: seconds the previous version\'s keys live after the switch, for readers still using it (0: removed at once).', widget: 'number', group: 'Replace namespace' }),
  })
  .strict();

export const redisSinkNode = defineNode({
  type: 'sink.redis',
  replacesContent: (p) => p.mode === 'replace_namespace',
  version: 1,
  category: 'sink',
  title: 'Write Redis keys',
  description: 'Writes one Redis key per row (hash, JSON or plain value) from a key template; upsert, or replace a whole namespace with an atomic pointer switch.',
  aliases: ['redis', 'cache', 'key value', 'kv', 'hash'],
  inputs: [{ name: 'in' }],
  outputs: [],
  params,
  check(p) {
    const out: Array<{ path: string; message: string; hint?: string }> = [];
    try {
      parseKeyTemplate(p.key);
    } catch (e) {
      out.push({ path: 'key', message: (e as Error).message, hint: 'e.g. customer:{customer_id}' });
    }
    if (p.value === 'string' && !p.value_column) out.push({ path: 'value_column', message: 'value "string" stores one column: set value_column' });
    if (p.value !== 'string' && p.value_column) out.push({ path: 'value_column', message: `value_column is used by value "string", not "${p.value}"`, hint: 'use columns to choose what a hash or JSON holds' });
    if (p.value === 'string' && p.columns.length > 0) out.push({ path: 'columns', message: 'columns apply to value "hash" or "json"; "string" stores value_column' });
    if (p.mode === 'replace_namespace' && !p.namespace) out.push({ path: 'namespace', message: 'replace_namespace needs a namespace', hint: 'e.g. customers: versions are written under customers:<version>: and customers:current points to the live one' });
    if (p.mode !== 'replace_namespace' && p.namespace) out.push({ path: 'namespace', message: 'namespace is used by mode "replace_namespace"' });
    return out;
  },
  sink(ctx) {
    const p = ctx.params;
    const conn = ctx.connection(p.connection, 'redis');
    const config = redisFields.parse(conn.config);
    const input = ctx.input();
    const keyText = ctx.text(p.key);
    const key = parseKeyTemplate(keyText);
    const names = input.columns.map((c) => c.name);
    const preflight: Problem[] = [];
    const need = (column: string, path: string) => {
      if (names.includes(column)) return;
      preflight.push({ code: 'unknown_column', path: `params.${path}`, column, message: `node '${ctx.nodeId}': column '${column}' is not in the input${didYouMean(column, names)}`, hint: `input columns: ${names.join(', ')}` });
    };
    for (const c of templateColumns(key)) need(c, 'key');
    p.columns.forEach((c, i) => need(c, `columns[${i}]`));
    if (p.value_column) need(p.value_column, 'value_column');
    const stored = p.columns.length > 0 ? input.columns.filter((c) => p.columns.includes(c.name)) : input.columns;
    const namespace = p.namespace ? ctx.text(p.namespace) : undefined;
    const spec: RedisWriteSpec = {
      key,
      keyText,
      format: p.value,
      columns: stored,
      valueColumn: input.columns.find((c) => c.name === p.value_column),
      ttlMs: (p.ttl_s ?? 0) * 1000,
      mode: p.mode,
      namespace,
      oldTtlMs: p.old_ttl_s * 1000,
    };
    const server = `${config.host}:${config.port}/${config.database}`;
    const what = p.mode === 'replace_namespace' ? `namespace '${namespace}' (pointer ${pointerKey(namespace!)})` : `keys ${keyText}`;
    return {
      target: `Redis ${what} (connection '${p.connection}'), ${p.mode}`,
      destination: {
        key: `redis:${server}/${p.mode === 'replace_namespace' ? `ns:${namespace}` : `keys:${templatePrefix(key)}`}`,
        label: `Redis ${what} on ${server}`,
      },
      preflight,
      stage: [],
      external: {
        describe: [
          p.mode === 'upsert'
            ? `-- ${p.value} per row at ${keyText}: staged in batches under caudal:stage:…, written onto the keys by a Lua script per batch at commit (old values kept aside until the run is over)`
            : `-- ${p.value} per row at ${namespace}:<version>:${keyText}, then ${pointerKey(namespace!)} switched to the new version at commit; the previous version expires after ${p.old_ttl_s} s`,
        ],
        stage: (io) => writeRedis(config, spec, { relation: input.ref, table: ctx.auxName('redis') }, io, { nodeId: ctx.nodeId, connection: p.connection, runId: ctx.runId }),
      },
    };
  },
  spark: { kind: 'unsupported', reason: "the Spark target writes files and JDBC tables; load Redis from a caudal run that reads the Spark job's output" },
  docs: `Writes one Redis key per input row through a connection declared in the pipeline
(\`"connections": {"cache": {"type": "redis"}}\`; the password lives in the OS keychain or in
\`CAUDAL_SECRET_<CONNECTION>_PASSWORD\`).

**Keys.** The *key template* names the key of each row: \`customer:{customer_id}\` gives
\`customer:42\`. Several columns may appear (\`order:{country}:{order_id}\`). A row with a NULL key
column, or two rows with the same key, stop the run before anything is written, naming the key.
So does an upsert key among the sink's own (\`caudal:staging\`, \`caudal:undoable\`, \`caudal:stage:…\`,
\`caudal:aside:…\`, \`caudal:new:…\`, \`caudal:wrote:…\`, \`caudal:claims:…\`).

**Values.**
- \`hash\` (default): one field per column (\`HSET\`); NULL columns are left out of the hash.
- \`json\`: the row as one JSON object (\`SET\`), NULL as \`null\`.
- \`string\`: the value of *value column* (\`SET\`).
Numbers, booleans, dates and timestamps are stored as DuckDB prints them (\`1.5\`, \`true\`,
\`2024-01-31\`, \`2024-01-31 12:00:00\`); text as it is, BLOB columns as their bytes, lists, structs and
maps as JSON. A value written as JSON cannot hold NaN or Infinity, which JSON lacks: a row with one
stops the run naming the column (a plain number field stores \`nan\` or \`inf\` as text). *TTL* gives
every key written an expiry.

**Modes.**
- \`upsert\` (default): each row's key gets the row (a key is replaced whole, not merged); other keys
  stay. The rows are staged in batches of 1,000 (one JSON value each, made by DuckDB) under
  \`caudal:stage:<run>:<node>:<n>\` and, when the run commits, a Lua script per batch writes them onto
  their keys on the server (atomic per batch), the previous values kept aside under
  \`caudal:aside:…\` until every destination of the run has committed: if a later one fails, they
  are put back. **Undo leaves later writes.** The commit keeps its batches as the record of what it
  wrote (\`caudal:wrote:…\`, dropped with the kept values). An undo puts a key back, or removes a key
  the run created, only while the key still holds what the run wrote (compared by digest): a key
  written or deleted since keeps what it holds now, and the run (or \`caudal clean\`) says how many
  such keys it left.
  That matters when the undo comes late, after a connection lost in the middle of the commit
  (\`caudal clean\` or the next run finishes it): meanwhile other runs may have loaded the same
  keys. Loads that may still be undone are listed in the set \`caudal:undoable\`; a later upsert on
  the server takes over the keys it writes from them (\`caudal:claims:…\`), so their undo leaves
  those keys even when the later run wrote the very same values, which a digest cannot tell apart
  (an application writing exactly the value the run wrote is taken as untouched). If the later load
  is undone too, the keys end up as they were before both, whichever undo comes first.
- \`replace_namespace\`: the data becomes a new version (written by the same script, a batch at a
  time): keys \`<namespace>:<version>:<key>\` (e.g.
  \`customers:20250102T030405-ab12cd34-h1f2ep4711:customer:42\`), and the pointer key
  \`<namespace>:current\` is switched to the new version in one atomic step when the run commits.
  Readers \`GET customers:current\` and read keys under that version: they see the old data or the
  new, never a mix. The previous version's keys expire *Old version lives* seconds later (found with
  \`SCAN\`). If another writer moved the pointer while the run was writing, the run fails and changes
  nothing.

**Atomic.** Nothing is visible to readers before the run commits. A key evicted by the server
(memory pressure) between staging and commit fails the run cleanly: upsert's commit stops at the
missing batch and is undone; replace_namespace checks every key of the new version before it
switches when the server evicted anything during the load (its \`evicted_keys\` counter moved) or the
TTL is shorter than the load took. A failed
or cancelled run removes what it staged. Work in progress is registered in the set
\`caudal:staging\`, so what a killed run left behind is removed by the next Redis load on the same
server; a run killed while committing is completed or undone from its commit journal, only through a
connection to the same host, port and database number (the journal records them). A connection
lost between staging and commit, or in the middle of the commit, is opened again to commit or to
undo (a switch whose answer was lost is switched back if it happened); a server that accepts the
connection but does not answer fails the run after the connection's *connect timeout*.

**Server.** A standalone Redis (or one shard): the commit scripts build key names from prefixes, which
Redis Cluster does not allow. The server needs room for the old and new values until the run is over,
and, for an upsert, for the staged rows (kept as the record of what it wrote).`,
  example: {
    description: 'Cache customers as hashes keyed by id, expiring after a day',
    params: { connection: 'cache', key: 'customer:{customer_id}', value: 'hash', ttl_s: 86400 },
  },
});
