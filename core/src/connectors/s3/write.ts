import { setMaxListeners } from 'node:events';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { s3Sdk, s3Storage } from './sdk.js';
import type { S3Config } from '../../connections/s3/s3.connection.js';
import type { ExternalRecovery, ExternalStage, HookIo } from '../../nodes/define.js';
import { CaudalError } from '../../util/errors.js';
import { ownerIsDead, ownerOf, ownerTag, shortRunId } from '../../util/owner.js';
import { RequestLimiter } from '../http/limiter.js';
import { explainS3Error, s3Client, s3RecoveryTarget } from './client.js';
import { listObjects } from './objects.js';

/** S3 copies one object in one request up to 5 GB. */
const MAX_COPY_BYTES = 5 * 1024 ** 3;

export interface S3WriteSpec {
  bucket: string;
  /** A key (one object) or, with `folder`, a prefix ending in `/` (a partitioned folder). */
  target: string;
  folder: boolean;
  /** if_exists = overwrite. */
  replace: boolean;
  /** Where runs stage: `<stagingRoot><run>-<owner>-<node>/new/…` and `…/old/…`. */
  stagingRoot: string;
  partSizeMb: number;
  uploadConcurrency: number;
}

export interface S3WriteContext {
  nodeId: string;
  connection: string;
  runId: string;
  /** Checks the local files before they upload (SinkPlan.verifyStaged). */
  verify?: (rows: number) => Promise<void>;
}

/** The staging folder of one sink of one run: its name carries the run and the owner process. */
export function stagingBase(spec: Pick<S3WriteSpec, 'stagingRoot'>, ctx: Pick<S3WriteContext, 'runId' | 'nodeId'>): string {
  const node = ctx.nodeId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 60);
  return `${spec.stagingRoot}${shortRunId(ctx.runId)}-${ownerTag()}-${node}/`;
}

const targetKey = (spec: Pick<S3WriteSpec, 'target' | 'folder'>, rel: string) => (spec.folder ? `${spec.target}${rel}` : spec.target);

/** The local files a COPY produced: one file, or every file under a partitioned folder (relative, `/`-separated). */
async function localFiles(local: string, folder: boolean): Promise<Array<{ rel: string; file: string; size: number }>> {
  if (!folder) return [{ rel: '', file: local, size: (await stat(local)).size }];
  const out: Array<{ rel: string; file: string; size: number }> = [];
  const walk = async (dir: string, prefix: string) => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) await walk(p, `${prefix}${e.name}/`);
      else if (e.isFile()) out.push({ rel: `${prefix}${e.name}`, file: p, size: (await stat(p)).size });
    }
  };
  await walk(local, '');
  return out.sort((a, b) => (a.rel < b.rel ? -1 : 1));
}

/** The objects at the target now (relative names): the one key, or everything under the prefix. */
export async function existingTargets(client: S3Client, spec: Pick<S3WriteSpec, 'bucket' | 'target' | 'folder'>): Promise<Array<{ rel: string; size: number }>> {
  if (spec.folder) return (await listObjects(client, spec.bucket, spec.target)).map((o) => ({ rel: o.key.slice(spec.target.length), size: o.size }));
  try {
    const h = await client.send(new (s3Sdk().HeadObjectCommand)({ Bucket: spec.bucket, Key: spec.target }));
    return [{ rel: '', size: h.ContentLength ?? 0 }];
  } catch (e) {
    if ((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return [];
    throw e;
  }
}

async function copy(client: S3Client, bucket: string, from: string, to: string): Promise<void> {
  // URL-encoded as S3 asks, keeping `=` and other reserved characters of hive keys as they are.
  const source = encodeURI(`${bucket}/${from}`).replaceAll('?', '%3F').replaceAll('#', '%23');
  await client.send(new (s3Sdk().CopyObjectCommand)({ Bucket: bucket, Key: to, CopySource: source }));
}

async function exists(client: S3Client, bucket: string, key: string): Promise<boolean> {
  try {
    await client.send(new (s3Sdk().HeadObjectCommand)({ Bucket: bucket, Key: key }));
    return true;
  } catch (e) {
    if ((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
    throw e;
  }
}

async function deleteKeys(client: S3Client, bucket: string, keys: string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 1000) {
    const batch = keys.slice(i, i + 1000);
    if (batch.length === 0) continue;
    const r = await client.send(new (s3Sdk().DeleteObjectsCommand)({ Bucket: bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }));
    if (r.Errors && r.Errors.length > 0) throw new Error(`could not delete ${r.Errors.map((e) => `${e.Key} (${e.Code})`).join(', ')}`);
  }
}

async function deletePrefix(client: S3Client, bucket: string, prefix: string): Promise<void> {
  await deleteKeys(client, bucket, (await listObjects(client, bucket, prefix)).map((o) => o.key));
}

/**
 * Uploads what a COPY wrote locally (`local`: a file, or a folder of partitions) under the sink's
 * staging prefix, then returns its part in the run's commit:
 *   prepare   every staged object is there with its size; the target is as if_exists allows
 *   commit    the objects it replaces are copied aside (…/old/), the new ones copied into place,
 *             replaced ones that the new output lacks deleted
 *   undo      (until the run is over) the old objects copied back, new ones deleted
 *   finalize  the staging prefix (new and old copies) deleted
 *   rollback  the staging prefix deleted; the target was never touched
 * A killed run is finished by `recoverS3Write` from the journal's reference, or, when it died while
 * uploading, its staging prefix and incomplete multipart uploads are removed by the next run of the
 * sink (`sweepDeadStaging`).
 */
export async function writeS3(config: S3Config, spec: S3WriteSpec, local: string, copySql: string, io: HookIo, ctx: S3WriteContext): Promise<ExternalStage> {
  const client = s3Client(config);
  const base = stagingBase(spec, ctx);
  const who = `node '${ctx.nodeId}'`;
  const shown = `s3://${spec.bucket}/${spec.target}`;
  const fail = (e: unknown, what: string) => explainS3Error(e, `${who}: ${what}`, config);
  const staged = (rel: string) => `${base}new/${spec.folder ? rel : 'object'}`;
  const aside = (rel: string) => `${base}old/${spec.folder ? rel : 'object'}`;
  const abort = new AbortController();
  // One listener per upload in flight (uploadConcurrency of them), removed as each ends.
  setMaxListeners(0, abort.signal);
  const watch = setInterval(() => io.isCancelled() && abort.abort(), 100);
  /** Every upload started, settled or not: a failed or cancelled stage waits for them all before it cleans up. */
  const started: Array<Promise<unknown>> = [];
  const upload = (key: string, body: Readable) => {
    // lib-storage listens with its signal's `onabort`, one handler per signal: uploads sharing the
    // stage's controller left all but the last deaf to a cancel (held until their answers came,
    // or the 300 s idle timeout). Each gets a controller of its own, aborted with the stage's.
    const own = new AbortController();
    const stop = () => own.abort();
    if (abort.signal.aborted) stop();
    else abort.signal.addEventListener('abort', stop, { once: true });
    const done = new (s3Storage().Upload)({ client, params: { Bucket: spec.bucket, Key: key, Body: body }, partSize: Math.max(5, spec.partSizeMb) * 1024 * 1024, queueSize: 4, leavePartsOnError: false, abortController: own })
      .done()
      .finally(() => abort.signal.removeEventListener('abort', stop));
    started.push(done.catch(() => undefined));
    return done;
  };
  let files: Array<{ rel: string; file: string; size: number }>;
  let rows: number;
  try {
    const t0 = Date.now();
    // DuckDB writes the file(s) locally with all its threads, then they upload. (Streaming one
    // object through a named pipe while DuckDB wrote it was measured slower on 2 cores, 0.55 against
    // 0.87 of the raw SDK's rate: bench/s3.)
    rows = await io.db.count(copySql);
    await ctx.verify?.(rows);
    files = await localFiles(local, spec.folder);
    const limiter = new RequestLimiter(spec.uploadConcurrency);
    await Promise.all(
      files.map((f) =>
        limiter.run(async () => {
          if (abort.signal.aborted) throw new CaudalError('cancelled', `${who}: the upload was cancelled`);
          await upload(staged(f.rel), createReadStream(f.file));
        }),
      ),
    );
    const bytes = files.reduce((a, f) => a + f.size, 0);
    io.log(`uploaded ${files.length} object${files.length === 1 ? '' : 's'}, ${(bytes / 1e6).toFixed(1)} MB to s3://${spec.bucket}/${base} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  } catch (e) {
    clearInterval(watch);
    abort.abort();
    // The signal only asks lib-storage to stop: its AbortMultipartUpload follows later, and a run
    // that moved on (a SIGTERM's exit) left the upload open, its parts stored and billed. So the
    // uploads are waited for, and any multipart upload still open under the staging folder (one
    // whose create answered after the signal) is aborted here.
    await Promise.allSettled(started);
    await abortOpenUploads(client, spec.bucket, base).catch(() => undefined);
    await deletePrefix(client, spec.bucket, base).catch(() => undefined);
    client.destroy();
    if (io.isCancelled()) throw new CaudalError('cancelled', `${who}: the upload was cancelled; ${shown} is unchanged`);
    throw fail(e, `cannot write s3://${spec.bucket}/${base}`);
  }
  clearInterval(watch);

  const written = files.map((f) => f.rel);
  let existed: string[] = [];
  let published = false;
  /** The target could not be put back: the copies under …/old/ must outlive the rollback. */
  let keptAside = false;
  /**
   * Puts the target back as it was before commit. When that fails too (the server refuses or loses
   * the copies), the target is part new and part old, and the old objects exist only under the
   * staging prefix: the error says so and where, and rollback keeps them.
   */
  const putBack = async (cause?: CaudalError) => {
    try {
      await restore(client, { ...spec, staging: base }, existed, written);
      published = false;
    } catch (r) {
      keptAside = true;
      published = false;
      const why = fail(r, 'restore').message.replace(`${who}: restore: `, '');
      throw new CaudalError(
        'io',
        `${cause ? `${cause.message}; ` : ''}${who}: ${shown} is partly replaced and the objects it had could not be put back (${why}): they are kept under s3://${spec.bucket}/${base}old/`,
        {
          nodeId: ctx.nodeId,
          hint: `once the cause is fixed, the next run of any pipeline or \`caudal clean\` puts them back (the run's journal keeps what to do); by hand: copy the objects under s3://${spec.bucket}/${base}old/ back into ${shown}, remove the ${written.filter((w) => !existed.includes(w)).length} this run added, then delete s3://${spec.bucket}/${base}`,
          cause: r,
        },
      );
    }
  };
  return {
    rows,
    async prepare() {
      try {
        for (const f of files) {
          const h = await client.send(new (s3Sdk().HeadObjectCommand)({ Bucket: spec.bucket, Key: staged(f.rel) })).catch((e: unknown) => {
            if (!isStatus(e, 404)) throw e;
            // S3 answers a HEAD of a missing key with no body: its "UnknownError" said nothing.
            throw new CaudalError('io', `${who}: the staged object s3://${spec.bucket}/${staged(f.rel)} is gone: something removed the run's staging while it ran; ${shown} is unchanged`, {
              nodeId: ctx.nodeId,
              hint: 'run again; if it happens again, look for a lifecycle rule on the bucket, or another machine or container with this host name running caudal clean or a run against the same bucket (temporary names carry the host name and a process id, so a process of another pid namespace under the same host name looks dead)',
            });
          });
          if ((h.ContentLength ?? -1) !== f.size) throw new CaudalError('io', `${who}: the staged object s3://${spec.bucket}/${staged(f.rel)} has ${h.ContentLength} bytes, not ${f.size}`);
          if (f.size > MAX_COPY_BYTES) throw new CaudalError('io', `${who}: ${f.rel || spec.target} is ${(f.size / 1024 ** 3).toFixed(1)} GB; objects over 5 GB cannot be copied into place in one request`, { hint: 'partition the output (partition_by) or write smaller files' });
        }
        const now = await existingTargets(client, spec);
        if (now.length > 0 && !spec.replace) {
          throw new CaudalError('execution', `${who}: ${shown} ${spec.folder ? 'has objects' : 'exists'} now (it appeared while the run was running), and the sink's if_exists is "fail"`, { nodeId: ctx.nodeId, hint: 'set if_exists to "overwrite", or remove it, then run again' });
        }
        for (const o of now) if (o.size > MAX_COPY_BYTES) throw new CaudalError('io', `${who}: the object ${targetKey(spec, o.rel)} it would replace is over 5 GB and cannot be kept aside for undo`);
        existed = now.map((o) => o.rel);
      } catch (e) {
        throw fail(e, `cannot prepare ${shown}`);
      }
      return { twoPhase: false, recovery: { connection: ctx.connection, ref: { bucket: spec.bucket, staging: base, target: spec.target, folder: spec.folder, existed, written }, target: s3RecoveryTarget(config) } };
    },
    async commit() {
      try {
        for (const rel of existed) await copy(client, spec.bucket, targetKey(spec, rel), aside(rel));
        published = true;
        for (const rel of written) await copy(client, spec.bucket, staged(rel), targetKey(spec, rel));
        const gone = existed.filter((r) => !written.includes(r));
        await deleteKeys(client, spec.bucket, gone.map((r) => targetKey(spec, r)));
      } catch (e) {
        // The protocol undoes only stages that published; a half-done copy undoes itself.
        if (published) await putBack(fail(e, `cannot publish ${shown}`));
        throw fail(e, `cannot publish ${shown}`);
      }
    },
    async undo() {
      if (!published) return;
      await putBack();
    },
    unrestored: () => keptAside,
    async finalize() {
      try {
        await deletePrefix(client, spec.bucket, base);
        return [];
      } catch (e) {
        return [`could not remove the staging prefix s3://${spec.bucket}/${base}: ${fail(e, 'cleanup').message}`];
      } finally {
        client.destroy();
      }
    },
    async rollback() {
      try {
        // The replaced objects stay where the error of putBack said they are: they may be the only copy left.
        await deletePrefix(client, spec.bucket, keptAside ? `${base}new/` : base);
      } finally {
        client.destroy();
      }
    },
  };
}

/** Puts the target back as it was: kept-aside objects copied back, objects the run added deleted. */
async function restore(client: S3Client, r: { bucket: string; staging: string; target: string; folder: boolean }, existed: string[], written: string[]): Promise<void> {
  const aside = (rel: string) => `${r.staging}old/${r.folder ? rel : 'object'}`;
  for (const rel of existed) if (await exists(client, r.bucket, aside(rel))) await copy(client, r.bucket, aside(rel), targetKey(r, rel));
  await deleteKeys(client, r.bucket, written.filter((w) => !existed.includes(w)).map((w) => targetKey(r, w)));
}

/**
 * Recovery of a write whose run died after its prepare (connector.recover): `rollback` restores the
 * objects kept aside and deletes the ones the run added; `commit` (the run had decided) copies the
 * staged objects into place again (idempotent) and deletes the replaced ones it lacks. Both end by
 * deleting the staging prefix.
 */
export async function recoverS3Write(config: S3Config, recovery: ExternalRecovery, action: 'commit' | 'rollback'): Promise<void> {
  const ref = recovery.ref;
  const r = { bucket: String(ref.bucket), staging: String(ref.staging), target: String(ref.target), folder: ref.folder === true };
  const existed = Array.isArray(ref.existed) ? ref.existed : [];
  const written = Array.isArray(ref.written) ? ref.written : [];
  const client = s3Client(config);
  try {
    if (action === 'rollback') await restore(client, r, existed, written);
    else {
      for (const rel of written) {
        const from = `${r.staging}new/${r.folder ? rel : 'object'}`;
        if (await exists(client, r.bucket, from)) await copy(client, r.bucket, from, targetKey(r, rel));
      }
      await deleteKeys(client, r.bucket, existed.filter((x) => !written.includes(x)).map((x) => targetKey(r, x)));
    }
    await deletePrefix(client, r.bucket, r.staging);
  } catch (e) {
    throw explainS3Error(e, `recovering s3://${r.bucket}/${r.target}`, config);
  } finally {
    client.destroy();
  }
}

/**
 * Removes what runs killed while uploading left under the staging root (before any journal reference
 * existed), when their owner process is gone: their staged objects, unless something was kept aside
 * under the prefix (that is the journal's recovery to undo), and their incomplete multipart uploads.
 * Returns the prefixes removed and the keys of the uploads aborted.
 */
export async function sweepDeadStaging(client: S3Client, bucket: string, stagingRoot: string, opts: { dryRun?: boolean } = {}): Promise<string[]> {
  const folderOf = (key: string) => key.slice(stagingRoot.length).split('/')[0]!;
  const dead = (folder: string) => {
    const owner = ownerOf(folder);
    return owner !== undefined && ownerIsDead(owner);
  };
  // One listing of the staging root, grouped by run folder (delimiter listings are not portable across S3 servers).
  const byRun = new Map<string, string[]>();
  for (const o of await listObjects(client, bucket, stagingRoot)) {
    const folder = folderOf(o.key);
    byRun.set(folder, [...(byRun.get(folder) ?? []), o.key]);
  }
  const removed: string[] = [];
  for (const [folder, keys] of byRun) {
    if (!dead(folder)) continue;
    if (keys.some((k) => k.startsWith(`${stagingRoot}${folder}/old/`))) continue;
    if (!opts.dryRun) await deleteKeys(client, bucket, keys);
    removed.push(`${stagingRoot}${folder}/`);
  }
  // A killed upload's parts are invisible to object listings and stay stored (and billed) until the
  // upload is aborted. No recovery ever completes one (it copies finished objects only), so a dead
  // run's are aborted even where its prefix is left to the journal.
  for (const u of await listUploads(client, bucket, stagingRoot)) {
    if (!dead(folderOf(u.key))) continue;
    if (opts.dryRun) {
      removed.push(`${u.key} (incomplete multipart upload)`);
      continue;
    }
    try {
      await client.send(new (s3Sdk().AbortMultipartUploadCommand)({ Bucket: bucket, Key: u.key, UploadId: u.uploadId }));
    } catch (e) {
      if (!isStatus(e, 404)) throw e; // NoSuchUpload: it ended meanwhile
    }
    removed.push(`${u.key} (incomplete multipart upload)`);
  }
  return removed;
}

/** Aborts the multipart uploads in progress under a prefix (one run's staging folder). */
async function abortOpenUploads(client: S3Client, bucket: string, prefix: string): Promise<void> {
  for (const u of await listUploads(client, bucket, prefix)) {
    try {
      await client.send(new (s3Sdk().AbortMultipartUploadCommand)({ Bucket: bucket, Key: u.key, UploadId: u.uploadId }));
    } catch (e) {
      if (!isStatus(e, 404)) throw e; // NoSuchUpload: it ended meanwhile
    }
  }
}

const isStatus = (e: unknown, status: number) => (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === status;

/**
 * The multipart uploads in progress under a prefix. Empty where they cannot be listed: s3rver and
 * some S3-compatible stores answer NotImplemented, and a policy without s3:ListBucketMultipartUploads
 * AccessDenied (runs that wrote before must not stop over a cleanup). There a bucket lifecycle rule
 * (AbortIncompleteMultipartUpload) is what removes a killed run's parts.
 */
async function listUploads(client: S3Client, bucket: string, prefix: string): Promise<Array<{ key: string; uploadId: string }>> {
  const out: Array<{ key: string; uploadId: string }> = [];
  let KeyMarker: string | undefined;
  let UploadIdMarker: string | undefined;
  for (;;) {
    let page;
    try {
      page = await client.send(new (s3Sdk().ListMultipartUploadsCommand)({ Bucket: bucket, Prefix: prefix, KeyMarker, UploadIdMarker }));
    } catch (e) {
      if ((e as { name?: string }).name === 'NotImplemented' || isStatus(e, 501) || isStatus(e, 403)) return out;
      throw e;
    }
    for (const u of page.Uploads ?? []) if (u.Key && u.UploadId) out.push({ key: u.Key, uploadId: u.UploadId });
    // A server that says "truncated" without saying where to go on would be listed forever.
    if (!page.IsTruncated || (page.NextKeyMarker === KeyMarker && page.NextUploadIdMarker === UploadIdMarker)) return out;
    KeyMarker = page.NextKeyMarker;
    UploadIdMarker = page.NextUploadIdMarker;
  }
}
