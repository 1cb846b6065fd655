import type { RunJournal } from './journal.js';

/**
 * A run killed while it published to a destination that cannot be undone nor prepared (a RabbitMQ
 * exchange: messages go out one by one) may have left part of its rows there. Its journal says so
 * (`publishing`, protocol.ts), and `caudal doctor`, `caudal clean` and the next run's recovery
 * notice say it too, instead of "undone" or "rolled back".
 */

/** The destinations a journal names as being published when its run ended. */
export function partlyPublished(j: Pick<RunJournal, 'sinks'>): string[] {
  return j.sinks.flatMap((e) => (e.kind === 'external' && e.publishing === true && !e.committed ? [e.label] : []));
}

/** "killed while publishing to <destination>: some messages may have been published and cannot be undone". */
export function partlyPublishedNote(labels: string[]): string {
  const messages = labels.every((l) => /^(RabbitMQ|Kafka)\b/.test(l));
  return `killed while publishing to ${labels.join(' and ')}: some ${messages ? 'messages' : 'of its rows'} may have been published and cannot be undone`;
}
