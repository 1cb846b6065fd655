import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import { s3Sdk } from './sdk.js';
import { ownerTag } from '../../util/owner.js';

export interface S3Object {
  key: string;
  size: number;
  etag: string;
}

/**
 * An answer of the server that cannot be what it claims (a listing that never ends or ends without
 * saying where to go on, a body shorter than the object, another version than the one asked for).
 * A plain Error with a name, so `explainS3Error` puts it in the node's words like the SDK's own.
 */
function badAnswer(name: 'InvalidListing' | 'IncompleteBody' | 'ObjectChanged', message: string): Error {
  return Object.assign(new Error(message), { name });
}

/** ETags compared as S3 means them: without quotes or a proxy's weak marker. */
const bareEtag = (etag: string | undefined) => (etag ?? '').replace(/^W\//, '').replaceAll('"', '');

/**
 * Every object under a prefix, in key order (LIST pages of 1000). A server that says a page is
 * truncated must say where the next one starts, and never send the same place twice: otherwise
 * the read would silently lack objects, or list forever.
 */
export async function listObjects(client: S3Client, bucket: string, prefix: string, keep: (key: string) => boolean = () => true): Promise<S3Object[]> {
  const out: S3Object[] = [];
  const tokens = new Set<string>();
  let token: string | undefined;
  let pages = 0;
  do {
    const page = await client.send(new (s3Sdk().ListObjectsV2Command)({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    pages++;
    for (const o of page.Contents ?? []) if (o.Key !== undefined && keep(o.Key)) out.push({ key: o.Key, size: o.Size ?? 0, etag: bareEtag(o.ETag) });
    if (!page.IsTruncated) break;
    const where = `the listing of s3://${bucket}/${prefix}`;
    if (!page.NextContinuationToken) throw badAnswer('InvalidListing', `${where} says page ${pages} is truncated but gives no continuation token: the objects after it cannot be listed`);
    if (tokens.has(page.NextContinuationToken)) {
      throw badAnswer('InvalidListing', `${where} handed back the continuation token '${page.NextContinuationToken.slice(0, 80)}' again (page ${pages}): it would never end`);
    }
    token = page.NextContinuationToken;
    tokens.add(token);
  } while (token);
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** The version the server sent is the one asked for (`ifMatch`), even from a server that ignores If-Match. */
function checkVersion(bucket: string, key: string, ifMatch: string | undefined, sent: string | undefined): void {
  if (ifMatch === undefined || sent === undefined || bareEtag(sent) === bareEtag(ifMatch)) return;
  throw badAnswer('ObjectChanged', `s3://${bucket}/${key} changed since it was listed (ETag ${bareEtag(sent)}, listed ${bareEtag(ifMatch)}); run again to read the new version`);
}

/** Bytes of an object (all, or `range` as HTTP `bytes=first-last` text) as a Buffer. */
export async function getBytes(client: S3Client, bucket: string, key: string, range?: string, ifMatch?: string): Promise<Buffer> {
  const res = await client.send(new (s3Sdk().GetObjectCommand)({ Bucket: bucket, Key: key, Range: range, IfMatch: ifMatch }));
  checkVersion(bucket, key, ifMatch, res.ETag);
  const bytes = Buffer.from(await res.Body!.transformToByteArray());
  // The range the server says it sends (Content-Range), else the one asked for (a suffix range
  // `bytes=-n` has no first byte), else the whole answer's length.
  const sent = /^bytes (\d+)-(\d+)\//.exec(res.ContentRange ?? '') ?? (range ? /^bytes=(\d+)-(\d+)$/.exec(range) : null);
  const expected = sent ? Number(sent[2]) - Number(sent[1]) + 1 : res.ContentLength;
  if (expected !== undefined && bytes.length !== expected) {
    throw badAnswer('IncompleteBody', `s3://${bucket}/${key}: the server sent ${bytes.length} bytes of ${expected}${range ? ` (${range})` : ''}`);
  }
  return bytes;
}

/**
 * The name a download writes under before it is complete: beside its file, hidden, and short
 * whatever the file's name (a name of 255 bytes, as a file system allows, has no room for a
 * suffix). It carries its writer, as util/atomic-write.ts's names do, so a cache prune removes
 * one that a killed process left.
 */
export function downloadTempName(file: string): string {
  const of = createHash('sha256').update(path.basename(file)).digest('hex').slice(0, 16);
  return path.join(path.dirname(file), `.dl-${of}.${ownerTag()}-${randomUUID().slice(0, 8)}.tmp`);
}

/**
 * Streams an object into `file` (a temp name first, renamed at the end: a reader never sees half
 * a file). `ifMatch` makes S3 refuse an object that changed since it was listed (and the answer's
 * ETag is checked, for servers that ignore it); `size`, the listed size, is what must arrive: a
 * body cut short by a proxy, chunked so no Content-Length gives it away, is an error, not fewer rows.
 */
export async function download(client: S3Client, bucket: string, key: string, file: string, opts: { ifMatch?: string; size?: number; signal?: AbortSignal } = {}): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = downloadTempName(file);
  try {
    const res = await client.send(new (s3Sdk().GetObjectCommand)({ Bucket: bucket, Key: key, IfMatch: opts.ifMatch }), { abortSignal: opts.signal });
    checkVersion(bucket, key, opts.ifMatch, res.ETag);
    let received = 0;
    const count = new Transform({
      transform(chunk: Buffer, _enc, done) {
        received += chunk.length;
        done(null, chunk);
      },
    });
    await pipeline(res.Body as Readable, count, createWriteStream(tmp), { signal: opts.signal });
    const expected = opts.size ?? res.ContentLength;
    if (expected !== undefined && received !== expected) throw badAnswer('IncompleteBody', `s3://${bucket}/${key}: the server sent ${received} bytes of ${expected}`);
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
