import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { Decompress } from 'fzstd';

/** Compressions whose text a head can be read of: gzip and zstd, the ones DuckDB reads. */
const GZIP = /\.(gz|gzip)$/i;
const ZSTD = /\.(zst|zstd)$/i;
const OTHER_COMPRESSED = /\.(bz2|xz|zip)$/i;
/** Compressed bytes given to fzstd at a time: a few bytes can stand for megabytes of text. */
const ZSTD_INPUT_STEP = 4096;

/**
 * The first `bytes` of a file's text: of a `.gz` or `.zst` file, of what it decompresses to (its
 * compressed bytes are no text: checks reading the header of a compressed CSV file named bytes such
 * as "\x1f\x8b…" as renamed columns). Empty for other compressions, and for a compressed file that
 * is damaged where the head ends: the checks that read heads then say nothing.
 */
export async function decompressedHead(file: string, bytes: number): Promise<Buffer> {
  if (OTHER_COMPRESSED.test(file)) return Buffer.alloc(0);
  if (GZIP.test(file)) return collect(file, bytes, 'gzip').catch(() => Buffer.alloc(0));
  if (ZSTD.test(file)) return collect(file, bytes, 'zstd').catch(() => Buffer.alloc(0));
  return fileHead(file, bytes);
}

/** The first `bytes` of a file (fewer when it is shorter), as they are on disk. */
export async function fileHead(file: string, bytes: number): Promise<Buffer> {
  const fh = await open(file);
  try {
    const buf = Buffer.allocUnsafe(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

async function collect(file: string, bytes: number, kind: 'gzip' | 'zstd'): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  let size = 0;
  const take = (chunk: Uint8Array): boolean => {
    parts.push(chunk.subarray(0, Math.max(0, bytes - size)));
    size = Math.min(bytes, size + chunk.length);
    return size >= bytes;
  };
  const raw = createReadStream(file, { highWaterMark: 1 << 16 });
  try {
    if (kind === 'gzip') {
      for await (const chunk of raw.pipe(createGunzip()) as AsyncIterable<Buffer>) if (take(chunk)) break;
    } else {
      let full = false;
      const zstd = new Decompress((block) => {
        if (!full) full = take(block);
      });
      for await (const chunk of raw as AsyncIterable<Buffer>) {
        for (let i = 0; i < chunk.length && !full; i += ZSTD_INPUT_STEP) zstd.push(chunk.subarray(i, i + ZSTD_INPUT_STEP));
        if (full) break;
      }
      if (!full) zstd.push(new Uint8Array(0), true);
    }
  } finally {
    raw.destroy();
  }
  return Buffer.concat(parts);
}
