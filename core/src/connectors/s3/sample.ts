import { open } from 'node:fs/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import { literal } from '../../compiler/sql.js';
import { cacheFile, store, storeBytes, touch } from './cache.js';
import { download, getBytes, type S3Object } from './objects.js';

export type ObjectFormat = 'csv' | 'json' | 'parquet';

/** Text samples: the head of an object, cut after its last complete line. */
const HEAD_BYTES = 8 * 1024 * 1024;
/** Parquet footers are usually far smaller; a larger one costs a second request. */
const TAIL_BYTES = 64 * 1024;
/** A first row group larger than this is not fetched for previews (the whole object is). */
const MAX_ROW_GROUP_BYTES = 256 * 1024 * 1024;

export interface Sample {
  /** A local file DuckDB can read as the object (sparse for Parquet). */
  file: string;
  /** Holds fewer rows than the object. */
  partial: boolean;
}

export interface SampleContext {
  client: S3Client;
  /** The store (s3StoreId): one cache entry per object whatever the spelling of the endpoint. */
  endpoint?: string;
  bucket: string;
  format: ObjectFormat;
  /** preview: rows to show; plan: only what binding needs (a Parquet footer). */
  purpose: 'plan' | 'preview';
  /** A read-only DuckDB query (parquet_metadata of the sample). */
  rows(sql: string): Promise<Record<string, unknown>[]>;
}

/**
 * What planning or a preview needs of an object, from the ETag-keyed cache or from S3 with range
 * reads: for Parquet the footer (and, for previews, the first row group) in a sparse file of the
 * object's size; for text the whole object when small, compressed or a JSON array, else its head.
 */
export async function sampleObject(ctx: SampleContext, obj: S3Object): Promise<Sample> {
  const { client, bucket } = ctx;
  const entry = (kind: string) => cacheFile({ endpoint: ctx.endpoint, bucket, key: obj.key, etag: obj.etag, kind });
  if (ctx.format === 'parquet') {
    const kind = ctx.purpose === 'preview' ? 'parquet-rows' : 'parquet-footer';
    const file = entry(kind);
    if (await touch(file)) return { file, partial: true };
    const footer = entry('parquet-footer');
    if (!(await touch(footer))) await store(footer, (tmp) => writeParquetFooter(ctx, obj, tmp));
    if (kind === 'parquet-footer') return { file: footer, partial: true };
    const meta = await ctx.rows(`SELECT max(coalesce(dictionary_page_offset, data_page_offset) + total_compressed_size) AS hi FROM parquet_metadata(${literal(footer)}) WHERE row_group_id = 0`);
    const hi = Number(meta[0]?.hi ?? 0);
    if (hi <= 0 || hi > MAX_ROW_GROUP_BYTES) {
      const full = entry('full');
      if (!(await touch(full))) await store(full, (tmp) => download(client, bucket, obj.key, tmp, { ifMatch: obj.etag, size: obj.size }));
      return { file: full, partial: false };
    }
    await store(file, async (tmp) => {
      await copyTail(footer, tmp, obj.size);
      const head = await getBytes(client, bucket, obj.key, `bytes=0-${hi - 1}`, obj.etag);
      const fh = await open(tmp, 'r+');
      try {
        await fh.write(head, 0, head.length, 0);
      } finally {
        await fh.close();
      }
    });
    return { file, partial: true };
  }
  const whole = obj.size <= HEAD_BYTES || /\.(gz|gzip|zst|zstd|bz2|xz|zip)$/i.test(obj.key);
  const file = entry(whole ? 'full' : 'head');
  if (await touch(file)) return { file, partial: !whole };
  if (whole) {
    await store(file, (tmp) => download(client, bucket, obj.key, tmp, { ifMatch: obj.etag, size: obj.size }));
    return { file, partial: false };
  }
  const head = await getBytes(client, bucket, obj.key, `bytes=0-${HEAD_BYTES - 1}`, obj.etag);
  // A JSON array cannot be cut: read it whole.
  const firstChar = head.subarray(0, 64).toString('utf8').trimStart()[0];
  if (ctx.format === 'json' && firstChar === '[') {
    const full = entry('full');
    if (!(await touch(full))) await store(full, (tmp) => download(client, bucket, obj.key, tmp, { ifMatch: obj.etag, size: obj.size }));
    return { file: full, partial: false };
  }
  const cut = head.lastIndexOf(0x0a);
  await storeBytes(file, cut >= 0 ? head.subarray(0, cut + 1) : head);
  return { file, partial: true };
}

/** A sparse file of the object's size holding only its footer (and magic bytes): enough for DuckDB to read the schema. */
async function writeParquetFooter(ctx: SampleContext, obj: S3Object, tmp: string): Promise<void> {
  // Explicit ranges rather than suffix ranges (`bytes=-N`), which some S3-compatible servers misread.
  const last = (n: number) => `bytes=${obj.size - n}-${obj.size - 1}`;
  let tail = await getBytes(ctx.client, ctx.bucket, obj.key, last(Math.min(obj.size, TAIL_BYTES)), obj.etag);
  const footerLength = tail.length >= 8 ? tail.readUInt32LE(tail.length - 8) : 0;
  if (footerLength + 8 > tail.length && footerLength + 8 <= obj.size) tail = await getBytes(ctx.client, ctx.bucket, obj.key, last(footerLength + 8), obj.etag);
  const fh = await open(tmp, 'w');
  try {
    await fh.truncate(obj.size);
    await fh.write(Buffer.from('PAR1'), 0, 4, 0);
    await fh.write(tail, 0, tail.length, obj.size - tail.length);
  } finally {
    await fh.close();
  }
}

/** A sparse copy of a footer sample (copying the file whole could fill its holes with zeros on disk). */
async function copyTail(from: string, to: string, size: number): Promise<void> {
  const src = await open(from, 'r');
  const dst = await open(to, 'w');
  try {
    const probe = Buffer.alloc(8);
    await src.read(probe, 0, 8, size - 8);
    const n = Math.min(size, Math.max(TAIL_BYTES, probe.readUInt32LE(0) + 8));
    const tail = Buffer.alloc(n);
    await src.read(tail, 0, n, size - n);
    await dst.truncate(size);
    await dst.write(Buffer.from('PAR1'), 0, 4, 0);
    await dst.write(tail, 0, n, size - n);
  } finally {
    await src.close();
    await dst.close();
  }
}
