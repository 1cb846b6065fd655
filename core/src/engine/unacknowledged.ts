import { CaudalError, errorMessage } from '../util/errors.js';
import type { OutputSummary } from './protocol.js';

/** A streaming source that could not acknowledge what it read, after every sink of the run committed. */
export interface UnacknowledgedRead {
  nodeId: string;
  nodeType: string;
  /** Messages it read in this run (or batch), when it reported them. */
  messages?: number;
  cause: unknown;
}

/**
 * The error of a run, or of a `--watch` batch, whose sinks committed but whose streaming source
 * could not acknowledge what it read (a Kafka offset commit refused after a rebalance, or the broker
 * gone; a RabbitMQ channel closed before the acks reached the broker). Unlike every other failure,
 * the destinations DO have the rows, and the source hands the same messages to the next run: the
 * error says both, and what that means for a sink that appends without a key.
 */
export function unacknowledgedError(failed: UnacknowledgedRead[], outputs: OutputSummary[], batch?: number): CaudalError {
  const first = failed[0]!;
  const rows = outputs.map((o) => `${o.rows} row${o.rows === 1 ? '' : 's'} → ${o.nodeId}`).join(', ');
  const what = batch === undefined ? 'the run wrote its rows to every destination' : `batch ${batch} was written to every destination`;
  const causes = failed.map((f) => `node '${f.nodeId}' (${f.nodeType}) could not acknowledge what it read: ${errorMessage(f.cause)}`).join('; ');
  const messages = failed.reduce<number | undefined>((n, f) => (n === undefined || f.messages === undefined ? undefined : n + f.messages), 0);
  const these = messages === undefined ? 'these messages' : `these ${messages} message${messages === 1 ? '' : 's'}`;
  const next = batch === undefined ? 'the next run' : 'the watch stops here, and its next start';
  const message =
    `${what}${rows ? ` (${rows})` : ''}, but ${causes}. The destinations keep the rows; ${next} reads ${these} again, ` +
    'so a sink without an idempotent key (one that appends instead of upserting by key) receives them twice';
  const causeHint = failed.map((f) => (f.cause instanceof CaudalError ? f.cause.hint : undefined)).find((h) => h !== undefined);
  const hint = `${causeHint ? `${causeHint}; ` : ''}sinks that upsert by key (or replace per key) are not affected by the replay`;
  return new CaudalError('io', message, { nodeId: first.nodeId, hint, cause: first.cause });
}
