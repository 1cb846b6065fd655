import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { s3Sdk } from './sdk.js';
import { ownerTag } from '../../util/owner.js';

export interface S3Object {
  key: string;
  size: number;
  etag: string;
}

/** Every object under a prefix, in key order (LIST pages of 1000). */
export async function listObjects(client: S3Client, bucket: string, prefix: string, keep: (key: string) => boolean = () => true): Promise<S3Object[]> {
  const out: S3Object[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new (s3Sdk().ListObjectsV2Command)({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of page.Contents ?? []) if (o.Key !== undefined && keep(o.Key)) out.push({ key: o.Key, size: o.Size ?? 0, etag: (o.ETag ?? '').replaceAll('"', '') });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Bytes of an object (all, or `range` as HTTP `bytes=` text) as a Buffer. */
export async function getBytes(client: S3Client, bucket: string, key: string, range?: string, ifMatch?: string): Promise<Buffer> {
  const res = await client.send(new (s3Sdk().GetObjectCommand)({ Bucket: bucket, Key: key, Range: range, IfMatch: ifMatch }));
  return Buffer.from(await res.Body!.transformToByteArray());
}

/**
 * Streams an object into `file` (a temp name first, renamed at the end: a reader never sees half
 * a file). `ifMatch` makes S3 refuse an object that changed since it was listed.
 */
export async function download(client: S3Client, bucket: string, key: string, file: string, opts: { ifMatch?: string; signal?: AbortSignal } = {}): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.caudal-${ownerTag()}.part`;
  try {
    const res = await client.send(new (s3Sdk().GetObjectCommand)({ Bucket: bucket, Key: key, IfMatch: opts.ifMatch }), { abortSignal: opts.signal });
    await pipeline(res.Body as Readable, createWriteStream(tmp), { signal: opts.signal });
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
