import path from 'node:path';
import { z } from 'zod';
import { defineNode, type SinkContext, type SinkPlan } from '../define.js';
import { s3Fields } from '../../connections/s3/s3.connection.js';
import { explainS3Error, s3Client, s3DestinationKey } from '../../connectors/s3/client.js';
import { s3UrlWithParams } from '../../connectors/s3/location.js';
import { existingTargets, sweepDeadStaging, writeS3 } from '../../connectors/s3/write.js';
import type { Problem } from '../../util/errors.js';
import { ifExistsParam } from '../shared/file-sink.js';
import { csvSinkNode } from '../sink.csv/sink.csv.node.js';
import { jsonSinkNode } from '../sink.json/sink.json.node.js';
import { parquetSinkNode } from '../sink.parquet/sink.parquet.node.js';
import { repeatedPartitionColumns } from '../sink.parquet/partition-columns.js';
import { s3SinkDocs } from './docs.js';

// Format options are the file sinks' own params: the bytes written are exactly what they write.
const csvOptions = csvSinkNode.params.omit({ path: true, if_exists: true });
const jsonOptions = jsonSinkNode.params.omit({ path: true, if_exists: true });
const parquetOptions = parquetSinkNode.params.omit({ path: true, if_exists: true, partition_by: true });

const params = z
  .object({
    connection: z.string().min(1).meta({ label: 'Connection', help: 'An S3 connection declared under the pipeline\'s `connections`.', widget: 'connection' }),
    url: z.string().min(1).meta({
      label: 'Object',
      help: 'Where to write: `s3://bucket/exports/orders.parquet`, or a prefix ending in `/` with partition_by (`s3://bucket/lake/orders/`). `${param}` inserts a pipeline param as literal key text: an empty value, one ending the URL with `/` (a prefix), or one making an empty, `.` or `..` key part is refused before anything is read; in the bucket a value holds bucket-name characters only.',
      placeholder: 's3://bucket/exports/orders.parquet',
    }),
    format: z.enum(['auto', 'csv', 'json', 'parquet']).default('auto').meta({ label: 'Format', help: 'auto: from the extension of the object\'s name with its params filled in (.csv, .json/.jsonl/.ndjson, .parquet, optionally .gz/.zst); parquet for a partitioned prefix.', widget: 'select' }),
    if_exists: ifExistsParam.meta({ label: 'If it exists', help: '"fail" stops the run before reading anything when the object (or any object under the prefix) exists; "overwrite" replaces it (the whole prefix with partition_by) when the run commits.', widget: 'select' }),
    partition_by: z.array(z.string().min(1)).default([]).meta({ label: 'Partition by', help: 'Parquet: one folder per value under the prefix (country=ES/data_0.parquet).', widget: 'columns', group: 'Layout', port: 'in' }),
    csv: csvOptions.prefault({}).meta({ label: 'CSV options', help: 'As for the CSV file sink.', group: 'CSV' }),
    json: jsonOptions.prefault({}).meta({ label: 'JSON options', help: 'As for the JSON file sink.', group: 'JSON' }),
    parquet: parquetOptions.prefault({}).meta({ label: 'Parquet options', help: 'As for the Parquet file sink.', group: 'Parquet' }),
    staging_prefix: z.string().min(1).default('.caudal-staging/').meta({ label: 'Staging prefix', help: 'Where a run uploads before it commits, in the same bucket (a folder per run and sink): a key prefix ending in `/`, written as it is (`${param}` is not filled in here).', group: 'Transfer' }),
    part_size_mb: z.int().min(5).max(5120).default(16).meta({ label: 'Part size (MB)', help: 'Objects larger than this are uploaded in parts, 4 parts at a time.', widget: 'number', group: 'Transfer' }),
    upload_concurrency: z.int().min(1).max(64).default(4).meta({ label: 'Objects uploaded at once', widget: 'number', group: 'Transfer' }),
  })
  .strict();

type Params = z.output<typeof params>;

/** A `${param}` reference, as the planner fills it in. */
const PARAM_REF = /\$\{[^}]*\}/;
/** A reference in the last part of a key: the object's name, hence its extension, comes (partly) from a param. */
const PARAM_IN_NAME = /\$\{[^}]*\}[^/]*$/;

function formatOf(p: Params, key: string): 'csv' | 'json' | 'parquet' | undefined {
  if (p.format !== 'auto') return p.format;
  if (p.partition_by.length > 0) return 'parquet';
  const k = key.toLowerCase().replace(/\.(gz|gzip|zst|zstd)$/, '');
  if (k.endsWith('.csv') || k.endsWith('.tsv')) return 'csv';
  if (/\.(json|jsonl|ndjson)$/.test(k)) return 'json';
  if (k.endsWith('.parquet')) return 'parquet';
  return undefined;
}

/**
 * A staging prefix inside the sink's own partitioned prefix (or the prefix inside it): the staged
 * objects would be counted as the target's ("has objects now"), and an overwrite would delete them.
 */
function stagingInsideTarget(t: { bucket: string; key: string; folder: boolean; staging: string }, who: string): Problem[] {
  if (!t.folder || !(t.staging.startsWith(t.key) || t.key.startsWith(t.staging))) return [];
  const message = `${who}: the staging prefix ${t.staging} and the target prefix ${t.key} of s3://${t.bucket}/ lie one inside the other: every run would find its own staged objects at the target`;
  return [{ code: 'invalid_param', path: 'params.staging_prefix', message, hint: 'set staging_prefix outside the target prefix (the default .caudal-staging/ is at the bucket\'s root)' }];
}

export const s3SinkNode = defineNode({
  type: 'sink.s3',
  wholeTarget: true,
  version: 1,
  category: 'sink',
  title: 'Write to S3',
  description: 'Writes the input as a CSV, JSON or Parquet object (or a hive-partitioned prefix of Parquet objects) to S3, published only when the run commits.',
  aliases: ['s3', 'aws', 'object storage', 'data lake', 'minio', 'r2', 'bucket', 'export', 'parquet', 'hive partitions'],
  inputs: [{ name: 'in' }],
  outputs: [],
  params,
  check(p) {
    const out: Array<{ path: string; message: string; hint?: string }> = [];
    const m = /^s3:\/\/[^/]+\/(.*)$/.exec(p.url);
    if (!m || m[1] === '') out.push({ path: 'url', message: `'${p.url}' is not an S3 object URL`, hint: 's3://bucket/exports/orders.parquet, or s3://bucket/lake/orders/ with partition_by' });
    else {
      const folder = m[1]!.endsWith('/');
      if (folder && p.partition_by.length === 0) out.push({ path: 'url', message: 'a URL ending in / is a prefix, which needs partition_by', hint: 'name the object (…/orders.parquet), or partition the output' });
      if (!folder && p.partition_by.length > 0) out.push({ path: 'url', message: 'with partition_by the URL is a prefix: end it with /', hint: `e.g. ${p.url.replace(/\.[a-z]+$/i, '')}/` });
      if (p.partition_by.length > 0 && p.format !== 'auto' && p.format !== 'parquet') out.push({ path: 'partition_by', message: `partitioned output is written as Parquet, not ${p.format}` });
      // A param in the object's name may give its extension: the format is told once it is filled in (sink()).
      if (!folder && p.format === 'auto' && !formatOf(p, m[1]!) && !PARAM_IN_NAME.test(m[1]!)) out.push({ path: 'format', message: `cannot tell the format from '${m[1]}'`, hint: 'end the name in .csv, .json, .jsonl or .parquet, or set format' });
    }
    if (PARAM_REF.test(p.staging_prefix)) {
      out.push({
        path: 'staging_prefix',
        message: `params are not filled in in the staging prefix: '${p.staging_prefix}' would be staged under a prefix of that very name`,
        hint: 'write the prefix itself, ending in / (the default .caudal-staging/ serves every run: each stages in a folder of its own under it)',
      });
    } else if (!p.staging_prefix.endsWith('/')) out.push({ path: 'staging_prefix', message: `the staging prefix '${p.staging_prefix}' is a folder of keys: end it with /`, hint: `e.g. ${p.staging_prefix}/` });
    if (p.staging_prefix.startsWith('/')) out.push({ path: 'staging_prefix', message: 'the staging prefix is a key prefix inside the bucket; it does not start with /' });
    out.push(...repeatedPartitionColumns(p.partition_by));
    // Each format's options are checked as its file sink checks them (a line break as the CSV delimiter).
    for (const [k, f] of [['csv', csvSinkNode], ['json', jsonSinkNode], ['parquet', parquetSinkNode]] as const) {
      const opts = (p as Record<string, unknown>)[k] as Record<string, unknown>;
      for (const x of f.check?.({ ...opts, path: 'x', if_exists: 'overwrite', partition_by: [] } as never) ?? []) out.push({ ...x, path: `${k}.${x.path}` });
    }
    return out;
  },
  async sink(ctx): Promise<SinkPlan> {
    const p = ctx.params;
    const who = `node '${ctx.nodeId}'`;
    const config = s3Fields.parse(ctx.connection(p.connection, 's3').config);
    // check() saw the URL as written: a param value may not make it another kind of target (a
    // prefix, a key with an empty or dot part, another bucket), which is refused here, before anything is read.
    const loc = s3UrlWithParams(p.url, ctx.text, { where: who, nodeId: ctx.nodeId, pattern: false });
    const folder = p.partition_by.length > 0;
    const told = formatOf(p, loc.key);
    const format = told ?? 'parquet';
    const shown = `s3://${loc.bucket}/${loc.key}`;
    const preflight: Problem[] = [];
    // check() left it to the filled-in URL when a param is in the object's name (an undeclared one, still
    // written as ${…}, is reported as such).
    if (!told && !folder && PARAM_REF.test(p.url) && !PARAM_REF.test(loc.key)) {
      preflight.push({
        code: 'invalid_param',
        path: 'params.format',
        message: `${who}: cannot tell the format from '${loc.key}', the object's name with the params filled in (${p.url})`,
        hint: 'give the param a value ending in .csv, .json, .jsonl or .parquet (or write the extension after it in the URL), or set format',
      });
    }
    if (!folder && p.staging_prefix !== '' && loc.key.startsWith(p.staging_prefix)) preflight.push({ code: 'invalid_param', path: 'params.url', message: `${who}: the target is inside the staging prefix ${p.staging_prefix}`, hint: 'write elsewhere or change staging_prefix' });
    preflight.push(...stagingInsideTarget({ bucket: loc.bucket, key: loc.key, folder, staging: p.staging_prefix }, who));

    // The bytes: the file sink of the format writes them locally, in the run's temp folder.
    const localTarget = ctx.tempPath(`s3-out${folder ? '' : path.extname(loc.key) || `.${format}`}`);
    const inner = format === 'csv' ? csvSinkNode : format === 'json' ? jsonSinkNode : parquetSinkNode;
    const innerParams = { ...(format === 'csv' ? p.csv : format === 'json' ? p.json : p.parquet), path: localTarget, if_exists: 'overwrite', ...(format === 'parquet' ? { partition_by: p.partition_by } : {}) };
    const local = await inner.sink!({ ...ctx, params: innerParams } as unknown as SinkContext<never>);
    // The file sink's problems point at this node's settings: its path is the URL, its format options are under the format's key.
    const formatKeys = new Set(Object.keys(format === 'csv' ? p.csv : format === 'json' ? p.json : p.parquet));
    const placed = (at: string) => (at === 'params.path' ? 'params.url' : formatKeys.has(at.replace(/^params\.([^.[]+).*$/, '$1')) ? at.replace(/^params\./, `params.${format}.`) : at);
    for (const pr of local.preflight) preflight.push({ ...pr, path: placed(pr.path) });

    const spec = { bucket: loc.bucket, target: loc.key, folder, replace: p.if_exists === 'overwrite', stagingRoot: p.staging_prefix, partSizeMb: p.part_size_mb, uploadConcurrency: p.upload_concurrency };
    if (preflight.length === 0) {
      const client = s3Client(config);
      try {
        const existing = await existingTargets(client, spec);
        if (existing.length > 0 && !spec.replace) {
          preflight.push({
            code: 'destination_exists',
            path: 'params.url',
            message: `${who}: ${shown} ${folder ? `already has ${existing.length} object${existing.length === 1 ? '' : 's'}` : 'already exists'}`,
            hint: 'set if_exists to "overwrite" to replace it on every run, remove it, or put a param in the URL (e.g. ${run_date})',
          });
        }
        // Staging left by runs killed while uploading (before their commit journal could name it).
        if (ctx.mode === 'run') await sweepDeadStaging(client, loc.bucket, p.staging_prefix);
      } catch (e) {
        const err = explainS3Error(e, `${who}: cannot check ${shown}`, config);
        preflight.push({ code: 'io_error', path: 'params.url', message: err.message, hint: err.hint });
      } finally {
        client.destroy();
      }
    }
    const temp = local.publish?.kind === 'file' ? local.publish.temp : localTarget;
    return {
      target: shown,
      // One key per object whatever the endpoint's spelling: runs and sinks through differently written connections to one store still meet.
      destination: { key: s3DestinationKey(config, loc.bucket, loc.key), label: shown },
      preflight,
      stage: [],
      external: {
        describe: [...local.stage, `-- upload to s3://${loc.bucket}/${p.staging_prefix}<run>-<owner>-${ctx.nodeId}/, then copy into ${shown} when the run commits (one object: streamed while DuckDB writes it)`],
        stage: (io) => writeS3(config, spec, temp, local.stage[0]!, io, { nodeId: ctx.nodeId, connection: p.connection, runId: ctx.runId, verify: local.verifyStaged && ((rows) => local.verifyStaged!(rows, io)) }),
      },
    };
  },
  spark: { kind: 'unsupported', reason: 'write with sink.parquet, sink.csv or sink.json to an s3a:// path, which the Spark job writes directly (staged, then committed)' },
  docs: s3SinkDocs,
  example: {
    description: 'Orders as a partitioned Parquet prefix, replaced on every run',
    params: { connection: 'lake', url: 's3://acme-lake/curated/orders/', if_exists: 'overwrite', partition_by: ['country'] },
  },
});
