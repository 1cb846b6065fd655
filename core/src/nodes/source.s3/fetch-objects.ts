import type { S3Client } from '@aws-sdk/client-s3';
import type { HookIo } from '../define.js';
import { RequestLimiter } from '../../connectors/http/limiter.js';
import { mirrorPath } from '../../connectors/s3/location.js';
import { download, type S3Object } from '../../connectors/s3/objects.js';
import { CaudalError } from '../../util/errors.js';

/**
 * Downloads every object into the mirror, `parallel` at a time; a changed object (new ETag) fails
 * the run, and so does a cancel. Each download has an abort signal of its own: the SDK and the
 * stream pipeline each listen on the signal they are given, so one signal shared by every
 * download gathered listeners past Node's warning threshold (MaxListenersExceededWarning).
 */
export async function fetchAll(
  io: Pick<HookIo, 'isCancelled' | 'log'>,
  client: S3Client,
  bucket: string,
  objects: S3Object[],
  mirror: string,
  parallel: number,
  explain: (e: unknown, key: string) => CaudalError,
): Promise<void> {
  const limiter = new RequestLimiter(parallel);
  const running = new Set<AbortController>();
  let aborted = false;
  const abortAll = () => {
    aborted = true;
    for (const c of running) c.abort();
  };
  const watch = setInterval(() => io.isCancelled() && abortAll(), 100);
  let done = 0;
  let bytes = 0;
  const t0 = Date.now();
  try {
    await Promise.all(
      objects.map((o) =>
        limiter.run(async () => {
          if (aborted) throw new CaudalError('cancelled', 'cancelled');
          const own = new AbortController();
          running.add(own);
          try {
            await download(client, bucket, o.key, mirrorPath(mirror, bucket, o.key), { ifMatch: o.etag, size: o.size, signal: own.signal });
          } catch (e) {
            throw aborted ? e : explain(e, o.key);
          } finally {
            running.delete(own);
          }
          done++;
          bytes += o.size;
        }),
      ),
    );
  } catch (e) {
    abortAll();
    throw e;
  } finally {
    clearInterval(watch);
  }
  const s = (Date.now() - t0) / 1000;
  io.log(`downloaded ${done} object${done === 1 ? '' : 's'}, ${(bytes / 1e6).toFixed(1)} MB in ${s.toFixed(1)} s (${(bytes / 1e6 / Math.max(s, 0.001)).toFixed(0)} MB/s)`);
}
