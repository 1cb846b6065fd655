import type { RunJournal } from './journal.js';

/**
 * A run killed while it published to a destination that can be neither undone nor prepared is
 * marked in its journal (`publishing`, protocol.ts), and `caudal doctor`, `caudal clean` and the
 * next run's recovery notice say what that left, instead of "undone" or "rolled back":
 * - a destination that publishes step by step (a RabbitMQ exchange: messages go out one by one)
 *   may hold part of the run's rows: partly published;
 * - one whose publish is a single transaction (a PostgreSQL, SQL Server or Kafka commit,
 *   `wholeOrNone` in the journal) holds all of them or none: in doubt, never partial.
 */
export interface KilledMidPublish {
  /** Destinations that may hold part of the run's rows. */
  partlyPublished?: string[];
  /** Destinations whose transaction was committing: all of the rows or none. */
  inDoubt?: string[];
}

/** What a journal says was being published when its run ended (only the non-empty fields). */
export function killedMidPublish(j: Pick<RunJournal, 'sinks'>): KilledMidPublish {
  const partly: string[] = [];
  const inDoubt: string[] = [];
  for (const e of j.sinks) {
    if (e.kind !== 'external' || e.publishing !== true || e.committed) continue;
    (e.wholeOrNone ? inDoubt : partly).push(e.label);
  }
  return { ...(partly.length > 0 ? { partlyPublished: partly } : {}), ...(inDoubt.length > 0 ? { inDoubt } : {}) };
}

/**
 * "killed while publishing to <destination>: some messages may have been published and cannot be
 * undone" and/or "killed while committing to <destination>: …all of its rows or none"; undefined
 * when the run was publishing to nothing irreversible.
 */
export function killedMidPublishNote(k: KilledMidPublish): string | undefined {
  const notes: string[] = [];
  const partly = k.partlyPublished ?? [];
  if (partly.length > 0) {
    const messages = partly.every((l) => /^(RabbitMQ|Kafka)\b/.test(l));
    notes.push(`killed while publishing to ${partly.join(' and ')}: some ${messages ? 'messages' : 'of its rows'} may have been published and cannot be undone`);
  }
  const inDoubt = k.inDoubt ?? [];
  if (inDoubt.length > 0) {
    const one = inDoubt.length === 1;
    notes.push(
      `killed while committing to ${inDoubt.join(' and ')}: ${one ? 'it holds' : 'each holds'} all of the run's rows or none of them, never part (look there to know which before running the pipeline again)`,
    );
  }
  return notes.length > 0 ? notes.join('; ') : undefined;
}
