/**
 * The live figures of a continuous run (`run.start` with `watch`), folded from its batch events.
 * Pure (the time comes in as an argument), so it is tested on its own. Counts include committed
 * batches only, as the engine's own summary does: a failed batch's rows were not acknowledged and
 * will be read again. A batch that failed after its sinks committed (its source could not
 * acknowledge it) counts as failed and as committed: its rows are in the destinations.
 */
import type { HostRunEvent } from '../model/types.js';

export interface SinkCount {
  target: string;
  rows: number;
}

export interface BatchFailure {
  batch: number;
  message: string;
  hint?: string;
  nodeId?: string;
}

export interface LiveCounters {
  /** The latest batch started (0 before the first). */
  batch: number;
  /** A batch is reading or committing now. */
  inBatch: boolean;
  committed: number;
  failed: number;
  /** Rows read from the streaming sources by committed batches. */
  rowsRead: number;
  /** Per streaming source, committed batches only. */
  readByNode: Record<string, number>;
  /** Per sink node: its destination and the rows committed batches wrote to it. */
  writtenBySink: Record<string, SinkCount>;
  lastLatencyMs?: number;
  /** Messages still waiting at the sources after the last batch, when the sources report it. */
  lag?: number;
  /** Epoch ms of the last committed batch. */
  lastCommitAt?: number;
  /** The latest failed batches, newest last (at most MAX_FAILURES). */
  failures: BatchFailure[];
  /** Rows the batch in progress has read so far, per source (moved to readByNode when it commits). */
  pendingRead: Record<string, number>;
}

const MAX_FAILURES = 20;

export function emptyCounters(): LiveCounters {
  return { batch: 0, inBatch: false, committed: 0, failed: 0, rowsRead: 0, readByNode: {}, writtenBySink: {}, failures: [], pendingRead: {} };
}

/** The counters after one event; events that do not concern batches return the same object. */
export function countBatchEvent(c: LiveCounters, e: HostRunEvent, now: number): LiveCounters {
  switch (e.type) {
    case 'batch_started':
      return { ...c, batch: Math.max(c.batch, e.batch), inBatch: true, pendingRead: {} };
    case 'stream_read':
      return { ...c, pendingRead: { ...c.pendingRead, [e.nodeId]: (c.pendingRead[e.nodeId] ?? 0) + e.rows }, ...(e.lag !== undefined ? { lag: e.lag } : {}) };
    case 'batch_finished': {
      const s = e.summary;
      const base = { ...c, batch: Math.max(c.batch, s.batch), inBatch: false, pendingRead: {}, lastLatencyMs: s.latencyMs, ...(s.lag !== undefined ? { lag: s.lag } : {}) };
      const withCommitted = (from: LiveCounters): LiveCounters => {
        const readByNode = { ...from.readByNode };
        for (const [id, rows] of Object.entries(c.pendingRead)) readByNode[id] = (readByNode[id] ?? 0) + rows;
        const writtenBySink = { ...from.writtenBySink };
        for (const o of s.outputs) writtenBySink[o.nodeId] = { target: o.target, rows: (writtenBySink[o.nodeId]?.rows ?? 0) + o.rows };
        return { ...from, committed: from.committed + 1, rowsRead: from.rowsRead + s.rowsIn, readByNode, writtenBySink, lastCommitAt: now };
      };
      if (s.status === 'failed') {
        const failure: BatchFailure = { batch: s.batch, message: s.error?.message ?? 'the batch failed', ...(s.error?.hint ? { hint: s.error.hint } : {}), ...(s.error?.nodeId ? { nodeId: s.error.nodeId } : {}) };
        const failed = { ...base, failed: c.failed + 1, failures: [...c.failures, failure].slice(-MAX_FAILURES) };
        return s.reachedDestinations ? withCommitted(failed) : failed;
      }
      // A stopped or cancelled batch committed nothing.
      if (s.status !== 'succeeded') return base;
      return withCommitted(base);
    }
    case 'run_finished':
      return c.inBatch ? { ...c, inBatch: false, pendingRead: {} } : c;
    default:
      return c;
  }
}

/** Rows written by all sinks so far. */
export function rowsWritten(c: LiveCounters): number {
  return Object.values(c.writtenBySink).reduce((n, s) => n + s.rows, 0);
}
