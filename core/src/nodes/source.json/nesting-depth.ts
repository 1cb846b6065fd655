import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { Decompress } from 'fzstd';
import { CaudalError } from '../../util/errors.js';
import type { SetupStep } from '../define.js';
import { stringLiteral } from '../../compiler/sql.js';
import { depthScanner, JSON_NESTING_LIMIT } from '../../util/json-depth.js';

/**
 * DuckDB 1.5's JSON reader recurses once per level of nesting: a record nested some thousands of
 * levels deep (`{"a":{"a":...}}`, `[[[[...]]]]`) takes minutes to detect and then overflows the
 * native stack, which ends the whole process (studio, CLI) with a segmentation fault instead of an
 * error. Nothing real nests that deep, so the heads (8 MB, as the sampled-value checks read) of the
 * files DuckDB's detection samples are scanned while planning, and every file in full before a
 * run's DuckDB reads it: a file nested deeper than LIMIT levels is refused, naming the line.
 */
export const NESTING_LIMIT = JSON_NESTING_LIMIT;
const SCAN_BYTES = 8 * 1024 * 1024;

/**
 * The 1-based line where the file first nests deeper than `limit` levels, read in chunks (its first
 * `maxBytes` of text). A compressed file is scanned as its text (its compressed bytes would hold
 * braces at random): gzip with Node's zlib, zstd with fzstd (Node has no zstd before version 22).
 */
export async function fileTooDeep(file: string, limit: number, opts: { maxBytes?: number; isCancelled?: () => boolean } = {}): Promise<number | undefined> {
  const scanner = depthScanner(limit);
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  let read = 0;
  let found: number | undefined;
  // The text's next chunk: true once the scan is over (too deep, or maxBytes read).
  const scan = (chunk: Uint8Array): boolean => {
    const part = opts.maxBytes === undefined ? chunk : chunk.subarray(0, Math.max(0, opts.maxBytes - read));
    found = scanner.feed(part)?.line;
    read += part.length;
    return found !== undefined || (opts.maxBytes !== undefined && read >= opts.maxBytes);
  };
  try {
    if (/\.(zst|zstd)$/i.test(file)) return await scanZstd(raw, scan, opts.isCancelled);
    const text = /\.(gz|gzip)$/i.test(file) ? raw.pipe(createGunzip()) : raw;
    for await (const chunk of text as AsyncIterable<Buffer>) {
      if (opts.isCancelled?.()) return undefined;
      if (scan(chunk)) return found;
    }
  } finally {
    raw.destroy();
  }
  return undefined;

  /**
   * fzstd decompresses all it is given at once, and a few compressed bytes can stand for many
   * megabytes of text (`[[[[…` compresses to almost nothing): it is given 4 KB at a time, and its
   * output is scanned block by block (128 KB at most) as it comes, so a zstd bomb is never held.
   */
  async function scanZstd(compressed: AsyncIterable<Buffer>, feed: (chunk: Uint8Array) => boolean, isCancelled?: () => boolean): Promise<number | undefined> {
    let over = false;
    const zstd = new Decompress((block) => {
      if (!over) over = feed(block);
    });
    for await (const chunk of compressed) {
      for (let i = 0; i < chunk.length && !over; i += ZSTD_INPUT_STEP) {
        if (isCancelled?.()) return undefined;
        zstd.push(chunk.subarray(i, i + ZSTD_INPUT_STEP));
      }
      if (over) return found;
    }
    zstd.push(new Uint8Array(0), true);
    return found;
  }
}

const ZSTD_INPUT_STEP = 4096;

/** The error for a file nested deeper than NESTING_LIMIT at `line`. */
function tooDeep(nodeId: string, file: string, line: number): CaudalError {
  const message = `node '${nodeId}': ${file} nests objects or lists more than ${NESTING_LIMIT} levels deep at line ${line}: DuckDB's JSON reader would crash on it (stack overflow) rather than fail`;
  const hint = 'have the file written with less nesting, or hold the deep part as a JSON string';
  return new CaudalError('validation', message, { nodeId, hint, problems: [{ code: 'bind_error', path: 'params.path', message, hint }] });
}

/**
 * A run-time step: every local file the pattern names, scanned in full before DuckDB reads any
 * (listed when it runs: source.s3 downloads its objects in an earlier step). Not for URLs.
 */
export function nestingCheck(nodeId: string, pattern: string): SetupStep | undefined {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(pattern)) return undefined;
  return {
    kind: 'hook',
    description: 'check how deep the JSON files nest',
    async run(io) {
      const files = (await io.db.rows(`SELECT file FROM glob(${stringLiteral(pattern)}) ORDER BY file`)).map((r) => String(r.file));
      for (const file of files) {
        // A file that cannot be read (a broken gzip) is left to DuckDB's reader, whose error says so.
        const line = await fileTooDeep(file, NESTING_LIMIT, { isCancelled: io.isCancelled }).catch(() => undefined);
        if (line !== undefined) throw tooDeep(nodeId, file, line);
      }
      return 0;
    },
    async dry() {},
  };
}

/** DuckDB's JSON detection samples up to this many files of a pattern (its maximum_sample_files). */
export const SAMPLED_FILES = 32;

/** While planning: the heads of the files DuckDB's detection samples, scanned before it reads them. */
export async function refuseDeepNesting(nodeId: string, files: string[]): Promise<void> {
  for (const file of files.slice(0, SAMPLED_FILES)) {
    const line = await fileTooDeep(file, NESTING_LIMIT, { maxBytes: SCAN_BYTES }).catch(() => undefined);
    if (line !== undefined) throw tooDeep(nodeId, file, line);
  }
}
