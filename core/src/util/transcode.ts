import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';

export interface TranscodeResult {
  bytesRead: number;
  truncated: boolean;
}

/**
 * Rewrites a single-byte encoded file as UTF-8 so DuckDB can read it. Latin-1 maps each byte to
 * the same code point; Windows-1252 differs in 0x80-0x9F (€, curly quotes, …). With `maxBytes`
 * only the head is converted, cut at the last newline so no half row is left.
 */
export async function transcodeFile(
  from: string,
  to: string,
  encoding: 'latin-1' | 'windows-1252',
  opts: { maxBytes?: number; isCancelled?: () => boolean } = {},
): Promise<TranscodeResult> {
  await mkdir(path.dirname(to), { recursive: true });
  const decoder = encoding === 'windows-1252' ? new TextDecoder('windows-1252') : undefined;
  let bytesRead = 0;
  let truncated = false;
  const limit = opts.maxBytes ?? Infinity;
  const convert = new Transform({
    transform(chunk: Buffer, _enc, done) {
      if (truncated) return done();
      if (opts.isCancelled?.()) return done(new Error('cancelled'));
      let buf = chunk;
      if (bytesRead + buf.length > limit) {
        buf = buf.subarray(0, Math.max(0, limit - bytesRead));
        const nl = buf.lastIndexOf(0x0a);
        buf = buf.subarray(0, nl + 1);
        truncated = true;
      }
      bytesRead += buf.length;
      done(null, decoder ? decoder.decode(buf, { stream: true }) : buf.toString('latin1'));
    },
  });
  const input = createReadStream(from, opts.maxBytes ? { end: opts.maxBytes + 65536 } : {});
  await pipeline(input, convert, createWriteStream(to, { encoding: 'utf8' }));
  return { bytesRead, truncated };
}
