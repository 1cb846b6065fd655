import { copyFile, link, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { defineNode, type CompileContext, type CompiledNode, type HookIo } from '../define.js';
import { ident, stringLiteral, type SqlValue } from '../../compiler/sql.js';
import { s3Fields, type S3Config } from '../../connections/s3/s3.connection.js';
import { explainS3Error, s3Client, s3StoreId } from '../../connectors/s3/client.js';
import { hiddenPart, isStagingKey, MAX_MIRROR_PART_BYTES, renamedPartitionFolder, mirrorConflict, mirrorPath, s3UrlWithParams, selects } from '../../connectors/s3/location.js';
import { listObjects, type S3Object } from '../../connectors/s3/objects.js';
import { type ObjectFormat, sampleObject } from '../../connectors/s3/sample.js';
import { CaudalError } from '../../util/errors.js';
import { escapeGlob } from '../../util/glob.js';
import { csvSourceNode } from '../source.csv/source.csv.node.js';
import { jsonSourceNode } from '../source.json/source.json.node.js';
import { parquetSourceNode } from '../source.parquet/source.parquet.node.js';
import { checkParquetFiles, type FileCheckContext } from '../source.parquet/file-checks.js';
import { s3SourceDocs } from './docs.js';
import { fetchAll } from './fetch-objects.js';
import { ignoresCase, MirrorNames } from './mirror-names.js';
import { withListedFiles } from '../shared/hive-values.js';
import { listedReadType } from '../shared/json-blob-values.js';
import { checkJsonColumnsAsPlanned, checkObjectPartitionClashes, mirrorFiles, partitionLayoutConflict } from './object-checks.js';

// The format options are the file sources' own params (everything but the path), so the two read alike.
const csvOptions = csvSourceNode.params.omit({ path: true });
const jsonOptions = jsonSourceNode.params.omit({ path: true });
const parquetOptions = parquetSourceNode.params.omit({ path: true });

const params = z
  .object({
    connection: z.string().min(1).meta({ label: 'Connection', help: 'An S3 connection declared under the pipeline\'s `connections`.', widget: 'connection' }),
    url: z.string().min(1).meta({
      label: 'Objects',
      help: 'One object (`s3://bucket/sales/2025.parquet`), everything under a prefix (`s3://bucket/sales/`) or a glob (`s3://bucket/sales/2025-*/*.parquet`, `**` crosses folders). `${param}` inserts a pipeline param as literal key text: its `*`, `?` and `[` match only themselves, and an empty value, one ending the URL with `/`, or one making an empty, `.` or `..` key part is refused; in the bucket (`s3://lake-${env}/…`) a value holds bucket-name characters only.',
      placeholder: 's3://bucket/prefix/*.parquet',
    }),
    format: z.enum(['auto', 'csv', 'json', 'parquet']).default('auto').meta({ label: 'Format', help: 'auto: from the first object\'s extension (.csv/.tsv/.txt, .json/.jsonl/.ndjson, .parquet, optionally .gz/.zst).', widget: 'select' }),
    csv: csvOptions.prefault({}).meta({ label: 'CSV options', help: 'As for the CSV file source.', group: 'CSV' }),
    json: jsonOptions.prefault({}).meta({ label: 'JSON options', help: 'As for the JSON file source.', group: 'JSON' }),
    parquet: parquetOptions.prefault({}).meta({ label: 'Parquet options', help: 'As for the Parquet file source.', group: 'Parquet' }),
    parallel_downloads: z.int().min(1).max(64).default(8).meta({ label: 'Parallel downloads', help: 'Objects fetched at once in a run.', widget: 'number', group: 'Transfer' }),
  })
  .strict();

type Params = z.output<typeof params>;

function formatOf(p: Params, key: string, where: string): ObjectFormat {
  if (p.format !== 'auto') return p.format;
  const k = key.toLowerCase().replace(/\.(gz|gzip|zst|zstd)$/, '');
  if (/\.(csv|tsv|txt)$/.test(k)) return 'csv';
  if (/\.(json|jsonl|ndjson)$/.test(k)) return 'json';
  if (/\.parquet$/.test(k)) return 'parquet';
  throw new CaudalError('validation', `${where}: cannot tell the format of ${key} from its name`, { hint: 'set format to csv, json or parquet' });
}

/** The file source that reads the mirrored objects, with its own params. */
function delegate(format: ObjectFormat, p: Params, pattern: string): { node: typeof csvSourceNode | typeof jsonSourceNode | typeof parquetSourceNode; params: unknown } {
  // Objects arrive while the run reads them: no encoding is guessed from their bytes (auto is UTF-8 here).
  if (format === 'csv') return { node: csvSourceNode, params: { ...p.csv, encoding: 'utf-8', path: pattern } };
  if (format === 'json') return { node: jsonSourceNode, params: { ...p.json, path: pattern } };
  return { node: parquetSourceNode, params: { ...p.parquet, path: pattern } };
}

/** What to do about an object that is not UTF-8: the CSV file source's hints name encodings that S3 objects cannot take. */
const NOT_UTF8_HINT = 'S3 objects are read as UTF-8: convert the objects to UTF-8, or download them and use the CSV file source, which reads other encodings';

/**
 * `e` with its texts passed through `urls` (local copies named as their objects), and its problems
 * placed where this node has the setting: the delegate's `params.path` is `params.url`, its other
 * options are under the format's key (`params.skip_rows` is `params.csv.skip_rows`).
 */
function withUrls(e: CaudalError, urls: (text: string) => string, format: ObjectFormat): CaudalError {
  const encoding = e.problems.some((pr) => pr.path === 'params.encoding');
  const placed = (at: string) => (at === 'params.path' ? 'params.url' : at.startsWith('params.') ? `params.${format}.${at.slice('params.'.length)}` : at);
  const problems = e.problems.map((pr) =>
    pr.path === 'params.encoding'
      ? { ...pr, path: 'params.csv.encoding', message: urls(pr.message), hint: NOT_UTF8_HINT }
      : { ...pr, path: placed(pr.path), message: urls(pr.message), ...(pr.hint ? { hint: urls(pr.hint) } : {}) },
  );
  return new CaudalError(e.kind, urls(e.message), { nodeId: e.nodeId, column: e.column, hint: encoding ? NOT_UTF8_HINT : e.hint && urls(e.hint), problems, cause: e });
}

export const s3SourceNode = defineNode({
  type: 'source.s3',
  version: 1,
  category: 'source',
  title: 'S3 objects',
  description: 'Reads CSV, JSON or Parquet objects from S3 or an S3-compatible store: one object, a prefix or a glob, with hive partitions.',
  aliases: ['s3', 'aws', 'object storage', 'data lake', 'minio', 'r2', 'bucket', 'parquet', 'hive partitions'],
  inputs: [],
  outputs: [
    { name: 'out', description: 'The rows.' },
    { name: 'rejects', label: 'Rejected rows', description: 'CSV only: rows that did not parse when `csv.on_error` is `reject` (file is the object\'s s3:// URL).' },
  ],
  params,
  check(p) {
    const out: Array<{ path: string; message: string; hint?: string }> = [];
    if (!/^s3:\/\/[^/]+/.test(p.url)) out.push({ path: 'url', message: `'${p.url}' is not an S3 URL`, hint: 's3://bucket/key, s3://bucket/prefix/ or s3://bucket/folder/*.parquet' });
    if (p.csv.encoding !== 'utf-8' && p.csv.encoding !== 'auto') out.push({ path: 'csv.encoding', message: `S3 objects are read as UTF-8; ${p.csv.encoding} is for local files`, hint: 'convert the objects to UTF-8, or download them and use the CSV file source' });
    for (const [k, f] of [['csv', csvSourceNode], ['json', jsonSourceNode], ['parquet', parquetSourceNode]] as const) {
      const opts = (p as Record<string, unknown>)[k] as Record<string, unknown>;
      for (const x of f.check?.({ ...opts, path: 'x' } as never) ?? []) out.push({ ...x, path: `${k}.${x.path}` });
    }
    return out;
  },
  async compile(ctx) {
    const p = ctx.params;
    const who = `node '${ctx.nodeId}'`;
    const config = s3Fields.parse(ctx.connection(p.connection, 's3').config);
    // Param values are literal key text: they never widen what the URL written in the node reads.
    const { url, ...loc } = s3UrlWithParams(p.url, ctx.text, { where: who, nodeId: ctx.nodeId, pattern: true });
    const client = s3Client(config);
    let objects: S3Object[];
    // Hidden objects of a prefix read (`_temporary/…`, `.crc`) are skipped, and the run says how many
    // but for `_SUCCESS`, Hive's and Spark's marker of a finished write: never data, in every such folder.
    const hidden = { all: 0, first: '', mentioned: 0, examples: [] as string[] };
    const everything = `${url.endsWith('/') ? url : `${url}/`}**`;
    const keep = (k: string) => {
      if (selects(loc, k)) return true;
      if (k.endsWith('/') || isStagingKey(k) || hiddenPart(loc, k) === undefined) return false;
      if (hidden.all++ === 0) hidden.first = k;
      if (/(^|\/)_SUCCESS$/.test(k)) return false;
      if (hidden.mentioned++ < 3) hidden.examples.push(`s3://${loc.bucket}/${k}`);
      return false;
    };
    try {
      objects = await listObjects(client, loc.bucket, loc.listPrefix, keep);
    } catch (e) {
      client.destroy();
      const err = explainS3Error(e, `${who}: cannot list ${url}`, config);
      throw new CaudalError('validation', err.message, { nodeId: ctx.nodeId, hint: err.hint, problems: [{ code: 'io_error', path: 'params.url', message: err.message, hint: err.hint }] });
    }
    // An empty object holds no rows, and planning a CSV from one (the first object) would read the
    // next object's header as a row: they are left out, and the run says which.
    const empty = objects.filter((o) => o.size === 0);
    objects = objects.filter((o) => o.size > 0);
    const named = (list: S3Object[]) => list.slice(0, 5).map((o) => `s3://${loc.bucket}/${o.key}`).join(', ') + (list.length > 5 ? ` and ${list.length - 5} more` : '');
    if (objects.length === 0 && empty.length > 0) {
      client.destroy();
      const message = `${who}: ${named(empty)} ${empty.length === 1 ? 'is' : 'are'} empty (0 bytes): there is nothing to read`;
      const hint = 'point the URL at objects that hold data (empty objects are skipped when others hold rows)';
      throw new CaudalError('validation', message, { nodeId: ctx.nodeId, hint, problems: [{ code: 'io_error', path: 'params.url', message, hint }] });
    }
    if (objects.length > 0 && hidden.mentioned > 0) {
      const n = hidden.mentioned;
      const example = hidden.examples.join(', ') + (n > 3 ? ` and ${n - 3} more` : '');
      ctx.warn(`${who}: skipped ${n} hidden object${n === 1 ? '' : 's'} under ${url}, whose name or folder starts with _ or . (Hive and Spark's markers and temporary files): ${example}; a glob such as ${everything} reads them`);
    }
    if (empty.length > 0) ctx.warn(`${who}: skipped ${empty.length} empty object${empty.length === 1 ? '' : 's'} (0 bytes, no rows): ${named(empty)}`);
    if (objects.length === 0) {
      // A name with [ * ? in it reads as a pattern; when an object has that very name, say how to write it.
      const literal = loc.kind === 'glob' ? await listObjects(client, loc.bucket, loc.key, (k) => k === loc.key).catch(() => []) : [];
      client.destroy();
      const skipped = hidden.all > 0 ? ` (only ${hidden.all} hidden object${hidden.all === 1 ? '' : 's'} whose name or folder starts with _ or ., such as s3://${loc.bucket}/${hidden.first}, which a prefix read skips)` : '';
      const message = `${who}: no object matches ${url}${literal.length > 0 ? `, read as a pattern ([ ] * ? are pattern characters), though an object has that name` : skipped}`;
      const hint =
        literal.length > 0
          ? `to read that object, write each pattern character of its name as a one-character set: s3://${loc.bucket}/${escapeGlob(loc.key)}`
          : loc.kind === 'prefix'
            ? hidden.all > 0
              ? `to read hidden objects, use a glob: ${everything}`
              : 'check the bucket and prefix (objects whose names start with _ or . are skipped)'
            : 'check the bucket, the key and the pattern (* stays within a folder, ** crosses folders)';
      throw new CaudalError('validation', message, { nodeId: ctx.nodeId, hint, problems: [{ code: 'io_error', path: 'params.url', message, hint }] });
    }
    const mirror = ctx.tempPath('s3');
    await mkdir(mirror, { recursive: true });
    const conflict = mirrorConflict(loc.bucket, objects.map((o) => o.key), { ignoreCase: await ignoresCase(mirror) });
    if (conflict) {
      client.destroy();
      const [a, b] = [`s3://${loc.bucket}/${conflict.key}`, `s3://${loc.bucket}/${conflict.other}`];
      const message =
        conflict.kind === 'same'
          ? `${who}: the objects ${a} and ${b} have names that one local copy would hold for both (a key's empty, '.' or '..' parts are escaped and its parts longer than a file name shortened to such names; a file system that ignores letter case takes names differing only in case for one), so one's rows would replace the other's`
          : `${who}: ${a} is an object and also the folder of ${b}; the two cannot be read together`;
      const hint = 'narrow the URL to a glob that selects one of them, or rename the object';
      throw new CaudalError('validation', message, { nodeId: ctx.nodeId, hint, problems: [{ code: 'invalid_param', path: 'params.url', message, hint }] });
    }
    const format = formatOf(p, objects[0]!.key, who);
    const hive = (format === 'csv' ? p.csv : format === 'json' ? p.json : p.parquet).hive_partitioning;
    const longPartition = hive === false ? undefined : objects.find((o) => renamedPartitionFolder(o.key) !== undefined);
    if (longPartition) {
      client.destroy();
      const folder = renamedPartitionFolder(longPartition.key)!;
      const message = `${who}: s3://${loc.bucket}/${longPartition.key} is in the partition folder '${folder.length > 60 ? `${folder.slice(0, 60)}…` : folder}' (${Buffer.byteLength(folder)} bytes), which a local file name cannot hold (over ${MAX_MIRROR_PART_BYTES} bytes, or characters this system's file names refuse), so its value cannot become a partition column (${format}.hive_partitioning is ${String(hive)})`;
      const hint = `set ${format}.hive_partitioning to false to read the objects without partition columns, or narrow the URL to leave that folder out`;
      throw new CaudalError('validation', message, { nodeId: ctx.nodeId, hint, problems: [{ code: 'invalid_param', path: `params.${format}.hive_partitioning`, message, hint }] });
    }
    const layout = hive === false ? undefined : partitionLayoutConflict(objects.map((o) => o.key));
    if (layout) {
      client.destroy();
      const message = `${who}: s3://${loc.bucket}/${layout.key} is under '${layout.folders[0]}' but s3://${loc.bucket}/${layout.other} under '${layout.folders[1]}': objects read with partitions must all have the same partition keys (${format}.hive_partitioning is ${String(hive)})`;
      const hint = `narrow the URL to objects of one layout, or set ${format}.hive_partitioning to false to read them without partition columns`;
      throw new CaudalError('validation', message, { nodeId: ctx.nodeId, hint, problems: [{ code: 'invalid_param', path: 'params.url', message, hint }] });
    }
    const names = new MirrorNames(mirror, loc.bucket, objects.map((o) => o.key));
    const firstLocal = mirrorPath(mirror, loc.bucket, objects[0]!.key);

    // Planning binds against a sample of the first object; the run replaces it with every object.
    let partial: boolean;
    try {
      const sample = await sampleObject({ client, endpoint: s3StoreId(config), bucket: loc.bucket, format, purpose: ctx.mode === 'preview' ? 'preview' : 'plan', rows: ctx.rows }, objects[0]!);
      partial = sample.partial;
      await mkdir(path.dirname(firstLocal), { recursive: true });
      await rm(firstLocal, { force: true });
      // A hard link (DuckDB's globs skip symbolic links); a copy when the cache is on another disk.
      await link(sample.file, firstLocal).catch(() => copyFile(sample.file, firstLocal));
    } catch (e) {
      client.destroy();
      throw explainS3Error(e, `${who}: cannot read ${url}`, config);
    }
    const pattern = loc.kind === 'key' ? firstLocal : path.join(mirror, loc.bucket, '**');
    const d = delegate(format, p, pattern);
    // The delegate names the local copies; the user knows the objects.
    const urls = (text: string) => names.urls(text);
    let inner: CompiledNode;
    try {
      // The delegate plans over the first object but its read reaches them all: their folders decide the partition types.
      const everyCopy = objects.map((o) => mirrorPath(mirror, loc.bucket, o.key));
      inner = (await d.node.compile!(withListedFiles({ ...ctx, params: d.params, warn: (m: string) => ctx.warn(urls(m)) }, everyCopy) as unknown as CompileContext<never>)) as CompiledNode;
    } catch (e) {
      client.destroy();
      if (e instanceof CaudalError) throw withUrls(e, urls, format);
      // DuckDB's own errors (an object that is not Parquet) name the local copy: name the object.
      if (e instanceof Error) throw new CaudalError('validation', `${who}: ${urls(e.message)}`, { nodeId: ctx.nodeId, cause: e });
      throw e;
    }
    const fileColumn = format === 'csv' ? p.csv.filename_column : format === 'json' ? p.json.filename_column : p.parquet.filename_column;
    const outputs: Record<string, string> = { out: names.withUrls(inner.outputs.out!, fileColumn) };
    if (inner.outputs.rejects !== undefined) outputs.rejects = names.withUrls(inner.outputs.rejects, 'file');
    else outputs.rejects = `SELECT CAST(NULL AS VARCHAR) AS ${ident('file')}, CAST(NULL AS BIGINT) AS ${ident('line')}, CAST(NULL AS VARCHAR) AS ${ident('raw_line')}, CAST(NULL AS VARCHAR) AS ${ident('error')}, CAST(NULL AS VARCHAR) AS ${ident('column')} WHERE false`;
    const runOutputs: Record<string, string> = {};
    for (const [port, sql] of Object.entries(inner.runOutputs ?? {})) if (sql) runOutputs[port] = names.withUrls(sql, port === 'rejects' ? 'file' : fileColumn);

    // JSON: the run's read detects its columns again over every object; they are held to these.
    const runSql = runOutputs.out ?? outputs.out!;
    const plannedJson = format === 'json' ? await ctx.describe(runSql).catch(() => undefined) : undefined;
    const checks = { nodeId: ctx.nodeId, hive, pattern, jsonArgs: jsonReadArgs(p) };
    const sampled = partial || objects.length > 1;
    const total = objects.reduce((a, o) => a + o.size, 0);
    // What the delegate says at run time names the objects too: its read pattern as the URL written
    // here, each copy as its object. Its explanations of a failed run compare the file a message names
    // with its own files, the copies, while DuckDB's message names the object (aliasPath): they are
    // handed the message with the copies' paths back in.
    const shown = (text: string) => urls(text.replaceAll(pattern, url));
    const explainError = inner.explainError;
    const beforeCommit = inner.beforeCommit;
    return {
      ...inner,
      outputs,
      runOutputs,
      explainError: explainError && (async (message, io) => {
        const found = await explainError(names.locals(message), io);
        return found === undefined ? undefined : shown(found);
      }),
      notices: inner.notices?.map((n) => ({ ...n, message: shown(n.message) })),
      beforeCommit: beforeCommit && ((io: HookIo) => beforeCommit(io).catch((e: unknown) => Promise.reject(e instanceof CaudalError ? withUrls(e, shown, format) : e))),
      setup: [
        {
          kind: 'hook',
          description: `download ${objects.length} object${objects.length === 1 ? '' : 's'} (${(total / 1e6).toFixed(1)} MB) of ${url}`,
          async run(io: HookIo) {
            // DuckDB's errors about the copies (a value that does not convert) name the objects.
            for (const [local, shown] of names.aliases()) io.db.aliasPath(local, shown);
            try {
              await fetchAll(io, client, loc.bucket, objects, mirror, p.parallel_downloads, (e, key) => objectReadError(e, who, `s3://${loc.bucket}/${key}`, config));
            } catch (e) {
              if (io.isCancelled()) throw new CaudalError('cancelled', `${who}: the download was cancelled`);
              throw explainS3Error(e, `${who}: cannot read ${url}`, config);
            } finally {
              client.destroy();
            }
            // Planning saw the first object only: the objects after it are held to it now, as a
            // local pattern's files are before the run (a DOUBLE 1.5 in a later object would be
            // read as the first one's BIGINT 2).
            if (format === 'parquet' && objects.length > 1) await checkObjects(io, pattern, { nodeId: ctx.nodeId, unionByName: p.parquet.union_by_name }, urls);
            try {
              const files = format === 'csv' ? [] : await mirrorFiles(io, pattern);
              if (format !== 'csv') await checkObjectPartitionClashes(io, format, files, checks);
              if (plannedJson) await checkJsonColumnsAsPlanned(io, runSql, plannedJson, files, { ...checks, urls });
            } catch (e) {
              throw e instanceof CaudalError ? withUrls(e, urls, format) : e;
            }
            return 0;
          },
          async dry() {
            if (ctx.mode !== 'run') client.destroy();
            return { sampled };
          },
        },
        // The delegate's own steps (e.g. the CSV headers of the objects after the first) name the objects too.
        ...(inner.setup ?? []).map((step) =>
          step.kind === 'hook'
            ? { ...step, description: shown(step.description), run: (io: HookIo) => step.run(io).catch((e: unknown) => Promise.reject(e instanceof CaudalError ? withUrls(e, shown, format) : e)) }
            : { ...step, description: shown(step.description) },
        ),
      ],
    };
  },
  spark: { kind: 'unsupported', reason: 'read the objects with source.parquet, source.csv or source.json and an s3a:// path, which the Spark job reads directly' },
  docs: s3SourceDocs,
  example: {
    description: 'Every 2025 sales file of a partitioned lake, with the object each row came from',
    params: { connection: 'lake', url: 's3://acme-lake/sales/year=2025/**/*.parquet', parquet: { filename_column: 'source_object', hive_partitioning: true } },
  },
});

/** The named arguments of the JSON delegate's read that decide its columns (see source.json). */
function jsonReadArgs(p: Params): Record<string, SqlValue | undefined> {
  const listed = p.json.columns.length > 0;
  return {
    format: p.json.format === 'auto' ? undefined : p.json.format,
    columns: listed ? Object.fromEntries(p.json.columns.map((c) => [c.name, listedReadType(c.type)])) : undefined,
    maximum_depth: p.json.maximum_depth,
    sample_size: p.json.sample_size,
    map_inference_threshold: listed ? undefined : -1,
  };
}

/** The Parquet checks of source.parquet over every downloaded object; errors and warnings name the objects. */
async function checkObjects(io: HookIo, pattern: string, opts: { nodeId: string; unionByName: boolean }, urls: (text: string) => string): Promise<void> {
  const checks: FileCheckContext = {
    describe: async (sql) => (await io.db.rows(`DESCRIBE ${sql}`)).map((r) => ({ name: String(r.column_name), type: String(r.column_type) })),
    rows: (sql) => io.db.rows(sql),
    warn: (message) => io.log(`warning: ${urls(message)}`),
  };
  const files = (await io.db.rows(`SELECT file FROM glob(${stringLiteral(pattern)}) ORDER BY file`)).map((r) => String(r.file));
  try {
    await checkParquetFiles(checks, pattern, files, opts);
  } catch (e) {
    throw e instanceof CaudalError ? withUrls(e, urls, 'parquet') : e;
  }
}

/**
 * Why one object of the listing could not be downloaded, naming it: among thousands under a prefix,
 * S3's own words ("The specified key does not exist", "At least one of the pre-conditions you
 * specified did not hold") say neither which object nor that another writer deleted or replaced it.
 */
function objectReadError(e: unknown, who: string, object: string, config: S3Config): CaudalError {
  if (e instanceof CaudalError) return e;
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  const status = err.$metadata?.httpStatusCode;
  if (err.name === 'NoSuchKey' || (status === 404 && err.name !== 'NoSuchBucket')) {
    // Most likely deleted by another writer; a store that does not serve a name it lists (some
    // mishandle + or % in keys) fails the same way, every time.
    return new CaudalError('io', `${who}: ${object} was listed, but its download found no such key: it was deleted since the listing`, {
      hint: 'run again: the next run lists the objects anew; if it fails again on the same object, the store does not serve the name it lists (check how it handles + or % in keys)',
      cause: e,
    });
  }
  // Key parts up to 255 bytes keep their names in the mirror (location.ts), as most file systems allow.
  if ((e as { code?: string }).code === 'ENAMETOOLONG') {
    return new CaudalError('io', `${who}: ${object} cannot be copied into the run's temp folder: a part of its key is longer than this file system takes in a name (${MAX_MIRROR_PART_BYTES} bytes is the usual limit)`, {
      hint: 'point TMPDIR at a folder on a file system with the usual 255-byte names (an encrypted home folder takes fewer), or narrow the URL to leave that object out',
      cause: e,
    });
  }
  if (err.name === 'PreconditionFailed' || status === 412) {
    return new CaudalError('io', `${who}: ${object} changed since it was listed (it was replaced while the run read it)`, { hint: 'run again to read the new version', cause: e });
  }
  return explainS3Error(e, `${who}: cannot read ${object}`, config);
}
