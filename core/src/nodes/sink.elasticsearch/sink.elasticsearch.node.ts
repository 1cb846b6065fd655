import { z } from 'zod';
import { defineNode } from '../define.js';
import { elasticsearchFields } from '../../connections/elasticsearch/elasticsearch.connection.js';
import { elasticsearchClient, elasticsearchRecoveryTarget } from '../../connectors/elasticsearch/client.js';
import { fieldNameProblem } from '../../connectors/elasticsearch/field-names.js';
import type { EsProperty } from '../../connectors/elasticsearch/mapping.js';
import { type EsWriteSpec, writeElasticsearch } from '../../connectors/elasticsearch/write.js';
import type { Problem } from '../../util/errors.js';
import { didYouMean } from '../../util/suggest.js';

/** Elasticsearch's rules for index names (lower case, no special characters, not starting with -, _ or +). */
const INDEX_NAME = /^(?![-_+])[^A-Z\\/*?"<>|\s,#:]+$/;

const params = z
  .object({
    connection: z.string().min(1).meta({ label: 'Connection', help: 'An Elasticsearch connection declared under the pipeline\'s `connections`.', widget: 'connection' }),
    index: z.string().min(1).meta({ label: 'Index', help: 'upsert: the index (or alias) to write. replace: the alias readers use; each run builds a new index behind it. `${param}` inserts a pipeline param.' }),
    mode: z.enum(['upsert', 'replace']).default('upsert').meta({
      label: 'Mode',
      help: 'upsert: documents are indexed by id into the index (others stay). replace: a new index with exactly this data, swapped in behind the alias in one step; the old index is deleted after the swap.',
      widget: 'select',
    }),
    id_columns: z.array(z.string().min(1)).default([]).meta({ label: 'Id columns', help: 'The document id: one column\'s value, or several columns\' values joined with ":" (a ":" or "%" inside a value written %3A or %25), so a rerun overwrites a document instead of adding a second one (ids of 1 to 512 bytes: a longer or empty one stops the load before anything is sent). Required for upsert.', widget: 'columns' }),
    on_error: z.enum(['fail', 'reject']).default('fail').meta({ label: 'Refused documents', help: 'fail: a document Elasticsearch refuses (e.g. a value its mapping cannot parse) fails the run. reject: such rows go to the rejects port with the reason, the others are published.', widget: 'select' }),
    create_index: z.boolean().default(true).meta({ label: 'Create the index when missing', help: 'upsert: with mappings derived from the data.', widget: 'boolean' }),
    mappings: z.record(z.string(), z.record(z.string(), z.unknown())).default({}).meta({ label: 'Mapping overrides', help: 'Field → Elasticsearch mapping, over the one derived from the column types, e.g. {"name": {"type": "keyword"}}.', widget: 'key-value', group: 'Index' }),
    settings: z.record(z.string(), z.unknown()).default({}).meta({ label: 'Index settings', help: 'For indices the sink creates, e.g. {"number_of_shards": 3, "number_of_replicas": 1}.', widget: 'key-value', group: 'Index' }),
    flush_mb: z.number().positive().max(100).default(5).meta({ label: 'Bulk request size (MB)', help: 'A bulk request is sent when this many megabytes are queued.', widget: 'number', group: 'Advanced' }),
    concurrency: z.int().min(1).max(32).default(3).meta({ label: 'Requests in flight', widget: 'number', group: 'Advanced' }),
    retries: z.int().min(0).max(20).default(5).meta({ label: 'Retries of 429s', help: 'Documents refused with 429 (too many requests) are sent again, this many times.', widget: 'number', group: 'Advanced' }),
    retry_wait_ms: z.int().min(0).max(600_000).default(2000).meta({ label: 'Wait before a retry (ms)', widget: 'number', group: 'Advanced' }),
  })
  .strict();

export const elasticsearchSinkNode = defineNode({
  type: 'sink.elasticsearch',
  replacesContent: (p) => p.mode === 'replace',
  version: 1,
  category: 'sink',
  title: 'Write Elasticsearch index',
  description: 'Bulk-indexes the input into Elasticsearch: upsert by document id, or an atomic full reload behind an alias; refused documents fail the run or go to a rejects port.',
  aliases: ['elasticsearch', 'elastic', 'opensearch', 'search index', 'index', 'es'],
  inputs: [{ name: 'in' }],
  outputs: [{ name: 'rejects', description: 'Rows Elasticsearch refused (on_error = reject), with _error_status, _error_type and _error_reason.', optional: true }],
  params,
  check(p) {
    const out: Array<{ path: string; message: string; hint?: string }> = [];
    if (!p.index.includes('${') && !INDEX_NAME.test(p.index)) out.push({ path: 'index', message: `'${p.index}' is not a valid index name`, hint: 'lower case, without spaces or \\ / * ? " < > | , # :, not starting with - _ +' });
    if (p.mode === 'upsert' && p.id_columns.length === 0) out.push({ path: 'id_columns', message: 'upsert needs id columns', hint: 'without ids every run would add the documents again' });
    return out;
  },
  compile(ctx) {
    const table = ctx.auxName('rejects');
    const input = ctx.input();
    const create = async (db: { run(sql: string): Promise<void> }) =>
      db.run(`CREATE OR REPLACE TEMP TABLE ${table} AS SELECT *, NULL::INTEGER AS _error_status, NULL::VARCHAR AS _error_type, NULL::VARCHAR AS _error_reason FROM ${input.ref} WHERE false`);
    return {
      setup: [
        {
          kind: 'hook',
          description: 'an empty rejects table, filled when Elasticsearch refuses documents',
          run: async (io) => {
            await create(io.db);
            return 0;
          },
          dry: async (io) => {
            await create(io.db);
          },
        },
      ],
      outputs: { rejects: `SELECT * FROM ${table}` },
      notices: [{ countSql: `SELECT count(*) FROM ${table}`, message: '{count} row{s} {were} refused by Elasticsearch', port: 'rejects' }],
    };
  },
  sink(ctx) {
    const p = ctx.params;
    const conn = ctx.connection(p.connection, 'elasticsearch');
    const config = elasticsearchFields.parse(conn.config);
    const input = ctx.input();
    const index = ctx.text(p.index);
    const names = input.columns.map((c) => c.name);
    const preflight: Problem[] = [];
    p.id_columns.forEach((c, i) => {
      if (!names.includes(c)) preflight.push({ code: 'unknown_column', path: `params.id_columns[${i}]`, column: c, message: `node '${ctx.nodeId}': id column '${c}' is not in the input${didYouMean(c, names)}`, hint: `input columns: ${names.join(', ')}` });
    });
    for (const c of names) {
      const why = fieldNameProblem(c, names);
      if (why) preflight.push({ code: 'invalid_param', path: 'params', column: c, message: `node '${ctx.nodeId}': column '${c}' cannot be a document field: ${why}`, hint: 'rename the column before the sink' });
    }
    for (const f of Object.keys(p.mappings)) {
      if (!names.includes(f)) preflight.push({ code: 'unknown_column', path: 'params.mappings', column: f, message: `node '${ctx.nodeId}': the mapping override names '${f}', which is not in the input${didYouMean(f, names)}` });
    }
    const spec: EsWriteSpec = {
      index,
      mode: p.mode,
      idColumns: p.id_columns,
      mappings: p.mappings as Record<string, EsProperty>,
      settings: p.settings,
      onError: p.on_error,
      createIndex: p.create_index,
      flushBytes: Math.round(p.flush_mb * 1024 * 1024),
      concurrency: p.concurrency,
      retries: p.retries,
      retryWaitMs: p.retry_wait_ms,
    };
    const shown = `'${index}' (connection '${p.connection}')`;
    return {
      target: `Elasticsearch ${p.mode === 'replace' ? 'alias' : 'index'} ${shown}, ${p.mode}`,
      destination: { key: `elasticsearch:${config.url.replace(/\/+$/, '')}/${index}`, label: `Elasticsearch index ${shown}` },
      preflight,
      stage: [],
      external: {
        describe: [
          p.mode === 'replace'
            ? `-- bulk into a new index ${index}-caudal-load-…, then move the alias ${index} to it in one _aliases call; the old index is deleted after the swap`
            : `-- bulk into a work index ${index}-caudal-stage-…, then _reindex it into ${index} by document id`,
        ],
        stage: async (io) =>
          writeElasticsearch(
            await elasticsearchClient(config),
            spec,
            { relation: input.ref, columns: input.columns, table: ctx.auxName('es_docs'), rejects: p.on_error === 'reject' ? ctx.auxName('rejects') : undefined },
            io,
            { nodeId: ctx.nodeId, connection: p.connection, runId: ctx.runId, secrets: [config.password, config.api_key], target: elasticsearchRecoveryTarget(config) },
          ),
      },
    };
  },
  spark: { kind: 'unsupported', reason: "the Spark target writes files and JDBC tables; index from a caudal run that reads the Spark job's output (or use the elasticsearch-spark connector)" },
  docs: `Indexes the input into Elasticsearch through a connection declared in the pipeline
(\`"connections": {"search": {"type": "elasticsearch"}}\`; a password or API key lives in the OS keychain
or in \`CAUDAL_SECRET_<CONNECTION>_PASSWORD\` / \`_API_KEY\`). Documents go through the client's bulk
helper: a request is sent per *Bulk request size*, a few in flight, and documents refused with
429 (too many requests) are sent again after a wait.

**Documents.** One per row, with the row's columns as fields. The id comes from the *id columns*:
one column's value as text, or several columns' values joined with \`:\`, where a \`:\` or \`%\` inside
a value is written \`%3A\` or \`%25\` (so \`('a:b', 'c')\` and \`('a', 'b:c')\` are two documents,
\`a%3Ab:c\` and \`a:b%3Ac\`). A rerun overwrites documents instead of adding them again; a NULL or
duplicate id stops the run before anything is written. Versions before this encoding joined the
values as they were: with several id columns, a row whose values hold \`:\` or \`%\` now gets another
id than an earlier run gave it, so an upsert adds a second document for it (delete the old one, or
reload the index with \`replace\`); ids of values without those characters are unchanged.
NaN and Infinity, which JSON lacks, stop the run naming the column (replace them first, e.g. \`CASE WHEN isfinite(x) THEN x END\`). Timestamps are sent in ISO form
(UTC with \`Z\` for TIMESTAMPTZ), BLOBs as base64, lists as arrays, structs as objects. A column no
document can carry stops the run before it starts: a metadata field's name (\`_id\`, \`_source\`…), a
blank name, a name starting or ending with a dot, or a dotted name inside another column (\`a.b\` next
to \`a\`: a dot separates object levels).

**Mappings.** An index the sink creates gets mappings from the column types: integers → byte/short/
integer/long, DOUBLE → double, DECIMAL(p ≤ 15, s) → scaled_float (exact), wider decimals → double,
VARCHAR → text with a \`keyword\` sub-field, DATE → date, TIMESTAMP(TZ) → date, TIMESTAMP_NS →
date_nanos, BOOLEAN → boolean, UUID/TIME/HUGEINT → keyword, BLOB → binary, structs → object, maps →
flattened. *Mapping overrides* replace the derived mapping of a field. Elasticsearch reads every
number through a double (a scaled_float too), so a decimal of more than 15 significant digits is
searched and aggregated as the nearest double; each document's source keeps every digit. Map such
a field as \`keyword\` to search its exact text. Elasticsearch's \`date\` keeps
milliseconds: a TIMESTAMP's microseconds stay in each document's source, but searches, sorts and
aggregations see the millisecond; override the field's mapping with \`{"type": "date_nanos"}\` (dates
from 1970 to 2262) to index them too.

**Modes.**
- \`upsert\` (default): the documents are indexed into a work index
  (\`<index>-caudal-stage-…\`, with the target's whole mapping, \`dynamic\` and dynamic templates
  included, and the analysis, similarity and mapping-limit settings it depends on, so a document the
  target would refuse is refused while staging) first; when the run commits they are copied into
  the index with \`_reindex\` by id, and the work index is deleted. The copy runs as a task the sink
  follows (\`_tasks\`, which needs the cluster privilege \`monitor\`), so a long copy outlasts the
  request timeout. An index the sink creates gets the *Index settings*. A failed or cancelled run leaves
  the index untouched. The copy cannot be undone: if it fails half-way (the cluster is lost), part of
  the documents are updated; running again finishes the job (ids make it idempotent), and a killed run
  is completed by the next run or \`caudal clean\`. When the cluster stops answering while the sink
  follows the copy, the copy may still be running: the run fails and keeps the work index, and the
  next run (of any pipeline) or \`caudal clean\` deletes it once the copy has ended (\`caudal doctor\`
  lists it until then; when another destination of the run had already committed, the next load of
  the index does, as with a killed run's work index).
- \`replace\`: *index* names an **alias**. Each run builds a new index
  (\`<alias>-caudal-load-<time>-<run>-<owner>\`), and when the run commits the alias moves to it in one
  \`_aliases\` call (readers see the old data or the new, never a mix). The indices the alias pointed to
  are deleted only after every destination of the run committed; until then the swap is undone if a
  later destination fails. A failed run leaves the alias untouched. When the answer to the swap is
  lost (a timeout, a cut connection), the sink asks the cluster where the alias points before it goes
  on or undoes anything; if the cluster cannot say, the new index is kept and the next run or
  \`caudal clean\` puts the alias back. If *index* is a real index rather
  than an alias, the run says so and changes nothing.

**Refused documents.** With *Refused documents* = fail (default), a document Elasticsearch refuses
(a value its mapping cannot parse, a field limit…) fails the run, naming the documents and the
reasons, and nothing is published. With reject, those rows leave through the **rejects** port with
\`_error_status\`, \`_error_type\` and \`_error_reason\`, and the rest is published; connect the port to a
sink to keep them (a run warns how many rows were refused). Only documents refused for their data
(status 400) are rejects: documents the cluster refuses for its own state (429 past the retries, a
read-only or blocked index, an unavailable shard) fail the run whatever this setting, and nothing
is published.

Work indices of killed runs are deleted by the next load of the same index. A killed run's journal
records the cluster's URL (never a password or API key): recovery finishes it only through a
connection to that same URL, so another project's connection of the same name that points at
another cluster leaves it for its own project's next run or \`caudal clean\`.`,
  example: {
    description: 'Reload the product search index behind its alias, rows the mapping refuses set aside',
    params: { connection: 'search', index: 'products', mode: 'replace', id_columns: ['product_id'], on_error: 'reject', mappings: { sku: { type: 'keyword' } } },
  },
});
