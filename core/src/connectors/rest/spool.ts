import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';

/**
 * Records as newline-delimited JSON in a file DuckDB scans (read_json): one page at a time goes
 * from the HTTP answer to the file, so memory holds a page, never the whole result. Records that
 * are not objects (a list of ids) become `{"value": …}`. A page whose records could be cut from the
 * answer's bytes (`lines`, rest/record-lines.ts) is written as those bytes.
 */
export class NdjsonSpool {
  private readonly out: WriteStream;
  /** The file's first error (a full disk); kept, and thrown by the next write or close. */
  private failed?: Error;
  rows = 0;

  constructor(file: string, append = false) {
    this.out = createWriteStream(file, { flags: append ? 'a' : 'w' });
    // Without a listener a stream error (ENOSPC, or the ERR_STREAM_DESTROYED of a write still in
    // flight when a failed read destroys the spool) is an uncaught exception: it took the engine
    // worker down before the run could clean up, and the run was left as killed.
    this.out.on('error', (e) => (this.failed ??= e));
  }

  private check(): void {
    if (this.failed) throw new Error(`writing the records to ${String(this.out.path)} failed: ${this.failed.message}`);
  }

  async write(records: readonly unknown[]): Promise<void> {
    this.check();
    if (records.length === 0) return;
    let chunk = '';
    for (const r of records) chunk += JSON.stringify(r !== null && typeof r === 'object' && !Array.isArray(r) ? r : { value: r }) + '\n';
    this.rows += records.length;
    if (!this.out.write(chunk)) await once(this.out, 'drain');
  }

  /** A page: its lines when it has them (cut from the answer), else its parsed records. */
  async writePage(page: { records?: readonly unknown[]; count: number; lines?: () => Buffer | undefined }): Promise<void> {
    this.check();
    if (page.count === 0) return;
    const lines = page.lines?.();
    if (!lines && !page.records) throw new Error('a REST page has neither lines nor records');
    if (!lines) {
      // Written again from JSON.parse's records: an integer beyond 2^53 already lost digits there.
      const unsafe = unsafeInteger(page.records);
      if (unsafe !== undefined) {
        throw new Error(
          `a record holds an integer beyond 2^53 (read as ${unsafe}), which cannot be kept exact when the records are written again (a records path with filters or wildcards, records that are not objects, or an answer whose records list appears twice): use a plain records path to a list of objects, such as data.items, so the records reach DuckDB as sent`,
        );
      }
      return this.write(page.records!);
    }
    this.rows += page.count;
    if (!this.out.write(lines)) await once(this.out, 'drain');
  }

  async close(): Promise<void> {
    this.check();
    this.out.end();
    // Rejects with the stream's error, where waiting for 'finish' would wait forever.
    await finished(this.out);
  }

  /** After a failed read: the file is left for the run's temp folder cleanup; errors of writes in flight are dropped. */
  destroy(): void {
    this.out.destroy();
  }
}

// The cursor's ordering lived here; kept importable from here.
export { compareCursor } from './cursor.js';

/** The first integer in `value` that JSON.parse could not have read exactly, if any. */
export function unsafeInteger(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && !Number.isSafeInteger(value) ? value : undefined;
  if (value === null || typeof value !== 'object') return undefined;
  for (const v of Array.isArray(value) ? value : Object.values(value)) {
    const found = unsafeInteger(v);
    if (found !== undefined) return found;
  }
  return undefined;
}
