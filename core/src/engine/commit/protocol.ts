import { CaudalError, errorMessage } from '../../util/errors.js';
import { type JournalEntry, removeJournal, type RunJournal, writeJournal } from './journal.js';
import { failpoint as killAt } from '../../util/failpoint.js';
import type { Participant } from './participants.js';
import { runtimeDirError } from './disk-errors.js';
import { journalsDir } from './runtime-dir.js';

/**
 * The commit protocol every run goes through once all its sinks have staged (DESIGN.md §6.14):
 *
 * 1. prepare every destination to its last reversible step (files staged, DuckDB transactions open
 *    with the swap done, PostgreSQL deferred constraints checked and, when the run has several
 *    destinations and the server allows it, a two-phase PREPARE). Any failure: abort all, nothing
 *    changed.
 * 2. publish the reversible ones (file renames, the old file kept aside). A failure: undo them,
 *    abort the rest, nothing changed.
 * 3. publish the irreversible ones, the likeliest to fail first and the durably prepared ones last,
 *    recording the decision before the first durable one or right after the first that is not. If
 *    the first fails, undo step 2 and abort the rest: nothing changed. Past that point the run rolls
 *    forward (a crash is recovered the same way, from the journal): everything that can still
 *    commit does, and the error names what could not.
 * 4. finalize: drop what was kept for undo, then save the journaled states of incremental sources
 *    (`afterCommit`) before the journal goes: a crash anywhere after the decision is rolled
 *    forward by recovery, states included. A run with only reversible destinations records its
 *    decision once they are all published, before any old copy is dropped.
 *
 * The windows that remain: with more than one destination that cannot be prepared durably (a
 * PostgreSQL server with max_prepared_transactions = 0, DuckDB, Kafka), a failure of a later one's
 * COMMIT (disk full, a lost server) leaves the earlier ones committed; and a crash between the first
 * such destination's commit and the journal write that follows it is recovered backwards.
 * docs/user-guide.md lists it per sink.
 */
export class CommitJournal {
  /** Handed over to recovery (a destination could not be put back): it outlives the run. */
  private handedOver = false;

  constructor(
    readonly journal: RunJournal,
    private readonly env?: NodeJS.ProcessEnv,
  ) {}

  async save(): Promise<void> {
    await writeJournal(this.journal, this.env).catch((e: unknown) => {
      throw runtimeDirError("write the run's commit journal", journalsDir(this.env), e, this.env);
    });
  }

  async done(): Promise<void> {
    if (!this.handedOver) await removeJournal(this.journal.runId, this.env);
  }

  /**
   * After a decided commit that could not be confirmed everywhere (a COMMIT PREPARED whose answer
   * was lost and whose server could not be asked again): the journal stays as it is, decided, and
   * marked as given up by this run, so that the next run or `caudal clean` completes the commit and
   * saves the states.
   */
  async handOverForward(entries: RunJournal['sinks'], log: CommitLog): Promise<boolean> {
    Object.assign(this.journal, { sinks: entries, abandoned: true, tempDir: undefined });
    try {
      await this.save();
      this.handedOver = true;
      return true;
    } catch (e) {
      log.warn(`could not record what is left to complete (${errorMessage(e)})`);
      return false;
    }
  }

  /**
   * After an undo that could not put every destination back: the journal keeps only those, marked
   * for rollback and as given up by this run, so that the next run (of any pipeline) or `caudal clean`
   * finishes the undo from what was kept aside (`caudal doctor` lists it), without waiting for this
   * process to end (a studio or a watch lives on).
   */
  async handOver(entries: RunJournal['sinks'], log: CommitLog): Promise<void> {
    Object.assign(this.journal, { phase: 'committing', decision: undefined, states: undefined, tempDir: undefined, sinks: entries, abandoned: true });
    try {
      await this.save();
      this.handedOver = true;
      log.warn(`what could not be put back is recorded for recovery: the next run of any pipeline, or \`caudal clean\`, finishes the undo once the cause is fixed`);
    } catch (e) {
      log.warn(`could not record what is left to undo (${errorMessage(e)}): follow the error's hint to put it back by hand`);
    }
  }
}

/** The protocol's crash-test points (CAUDAL_FAILPOINT, see util/failpoint.ts). */
export type Failpoint = 'after-stage' | 'after-prepare' | 'after-reversible' | 'after-unrecorded-commit' | 'after-decision' | 'after-first-commit' | 'after-first-finalize' | 'before-acknowledge';
export function failpoint(name: Failpoint): void {
  killAt(name);
}

export interface CommitLog {
  info(message: string): void;
  warn(message: string): void;
}

export async function commitAll(parts: Participant[], keeper: CommitJournal, log: CommitLog, afterCommit?: () => Promise<void>): Promise<void> {
  /** Irreversible destinations that die with the process, whose publish has begun (journaled as `publishing`). */
  const publishing = new Set<Participant>();
  const record = async () => {
    keeper.journal.sinks = parts.map((p) => markPublishing(p.journal(), publishing.has(p)));
    await keeper.save();
  };
  // 1. Prepare. Two-phase only pays when there is something to keep in step. What a prepare may
  // leave behind if the process dies in it (a PostgreSQL prepared transaction) is journaled first.
  const twoPhase = parts.length > 1;
  try {
    let intents = false;
    for (const p of parts) intents = (p.intend?.({ twoPhase }) ?? false) || intents;
    if (intents) await record();
    for (const p of parts) await p.prepare({ twoPhase });
  } catch (e) {
    await abortAll(parts, log);
    // A prepare whose answer was lost may have left work (a prepared transaction) it could not end.
    throw await handOverUnrestored(parts, keeper, log, e);
  }
  keeper.journal.phase = 'committing';
  try {
    await record();
  } catch (e) {
    // Nothing is published yet: without the journal a crash could not be recovered, so the run
    // stops here and discards what it staged (staged files, open transactions, prepared ones).
    await abortAll(parts, log);
    throw nothingChanged(e);
  }
  failpoint('after-prepare');

  // 2. Reversible publishes.
  const reversible = parts.filter((p) => p.reversible);
  const published: Participant[] = [];
  try {
    for (const p of reversible) {
      await p.publish();
      published.push(p);
    }
  } catch (e) {
    await undoAll(published, log);
    await abortAll(parts.filter((p) => !published.includes(p)), log);
    throw await handOverUnrestored(parts, keeper, log, e);
  }
  failpoint('after-reversible');

  // 3. Irreversible publishes, likeliest to fail first.
  const irreversible = parts.filter((p) => !p.reversible).sort((a, b) => a.lateFailureRank - b.lateFailureRank);
  const committed: string[] = [];
  const failed: Array<{ label: string; error: unknown }> = [];
  /** Durably prepared after the decision, but its commit was not confirmed (an answer lost). */
  const unconfirmed: Array<{ label: string; error: unknown }> = [];
  // The decision is recorded once the commit can be completed by recovery: before the first
  // durable destination (recovery commits a prepared transaction) or, when a destination that dies
  // with the process comes first (a Kafka or DuckDB transaction), right after it committed. Recorded
  // before such a one, a crash before its commit was rolled forward: the prepared loads committed,
  // its own load lost, and a rerun appended the rows again.
  const decide = async () => {
    keeper.journal.decision = 'commit';
    await record();
    failpoint('after-decision');
  };
  const undoBeforeAnyCommit = async (from: number, e: unknown): Promise<never> => {
    keeper.journal.decision = undefined;
    // Journaled before undoing: a crash in the undo must be recovered backwards, not forwards.
    await record().catch((w) => log.warn(`could not record that the commit is undone: ${errorMessage(w)}`));
    await undoAll(published, log);
    await abortAll(irreversible.slice(from), log);
    throw await handOverUnrestored(parts, keeper, log, e);
  };
  const decisionFailed = (e: unknown) =>
    new CaudalError('execution', `could not record the commit decision (${errorMessage(e)}): nothing was changed`, {
      hint: 'check that the state folder (CAUDAL_RUNTIME_DIR) is writable and has space, then run again',
    });
  if (irreversible.length === 0) {
    // Every destination is published: from here recovery completes the commit (and saves the
    // states). Without the decision, a crash while finalizing would be recovered backwards where
    // the old copy is still kept and not where it is already dropped: destinations of two runs.
    await decide().catch((e) => undoBeforeAnyCommit(0, decisionFailed(e)));
  }
  for (const [i, p] of irreversible.entries()) {
    if (keeper.journal.decision === undefined && p.durable) {
      await decide().catch((e) => undoBeforeAnyCommit(i, decisionFailed(e)));
    }
    // A destination that dies with the process and publishes step by step (RabbitMQ's messages) is
    // journaled as publishing before it starts: killed half way, part of it may be published, and
    // `caudal doctor`, `caudal clean` and the next run's recovery must say so, not "undone".
    if (!p.durable && publishesAcrossKill(p)) {
      publishing.add(p);
      try {
        await record();
      } catch (e) {
        // Nothing irreversible happened yet: without the record a kill would be misreported, so the
        // run stops here, undone as a whole. Past that point it goes on committing.
        if (committed.length === 0 && keeper.journal.decision === undefined) {
          publishing.delete(p);
          await undoBeforeAnyCommit(
            i,
            new CaudalError('execution', `could not record in the commit journal that ${p.label} is being published (${errorMessage(e)}): nothing was changed`, {
              hint: 'check that the state folder (CAUDAL_RUNTIME_DIR) is writable and has space, then run again',
            }),
          );
        }
        log.warn(`could not record that ${p.label} is being published: ${errorMessage(e)}`);
      }
    }
    try {
      await p.publish();
    } catch (e) {
      if (p.durable && keeper.journal.decision === 'commit') {
        // Prepared durably and decided: it may have committed (its answer lost), and if not, recovery
        // can still commit it. Undoing the others would split the run: they go on, and this one is
        // left to recovery, which rolls the run forward.
        unconfirmed.push({ label: p.label, error: e });
        continue;
      }
      // Nothing irreversible happened yet: the run is undone as a whole.
      if (committed.length === 0) await undoBeforeAnyCommit(i, e);
      failed.push({ label: p.label, error: e });
      for (const w of await p.abort()) log.warn(w);
      continue;
    }
    committed.push(p.label);
    publishing.delete(p);
    // A destination that dies with the process committed; the decision is not recorded yet.
    if (keeper.journal.decision === undefined) failpoint('after-unrecorded-commit');
    try {
      if (keeper.journal.decision === undefined) await decide();
      else await record();
    } catch (e) {
      // This process goes on committing; only a crash from here on would need the journal.
      log.warn(`could not record that ${p.label} committed: ${errorMessage(e)}`);
    }
    failpoint('after-first-commit');
  }

  // 4. Finalize.
  for (const [i, p] of parts.entries()) {
    for (const w of await p.finalize()) log.warn(w);
    if (i === 0) failpoint('after-first-finalize');
  }
  if (unconfirmed.length > 0) {
    await keeper.handOverForward(parts.map((p) => p.journal()), log);
    const names = unconfirmed.map((u) => `${u.label} (${errorMessage(u.error)})`).join('; ');
    throw new CaudalError(
      'execution',
      `the run could not confirm that ${names} committed; ${[...failed.map((f) => `${f.label} failed (${errorMessage(f.error)})`), 'every other destination committed'].join(', ')}. The commit was decided, so it is completed, not undone: the run's journal keeps it for recovery`,
      { hint: 'once the server answers again, the next run of any pipeline or `caudal clean <pipeline.json>` completes the commit (and saves the incremental states); `caudal doctor` lists it until then' },
    );
  }
  if (failed.length > 0) {
    // The error names what committed and what did not; this process handled it, so the journal goes
    // (execute.ts removes it): recovery has nothing left to finish.
    const changed = [...published.map((p) => p.label), ...committed];
    throw new CaudalError(
      'execution',
      `the run failed while committing: ${failed.map((f) => `${f.label} (${errorMessage(f.error)})`).join('; ')} could not be committed and ${failed.length === 1 ? 'is' : 'are'} unchanged, but ${changed.join(', ')} ${changed.length === 1 ? 'was' : 'were'} already committed`,
      { hint: 'this is the one failure the commit protocol cannot undo (see "Commit guarantees" in docs/user-guide.md); run the pipeline again once the cause is fixed' },
    );
  }
  try {
    await afterCommit?.();
  } catch (e) {
    // Every destination has the rows; only the states are left. Handed over as a crash after the
    // decision would be, so that the next run of any pipeline, in this process too (a studio, a
    // watch), saves them once their folder is writable, and until then this pipeline does not run
    // (it would read the same rows again).
    const recorded = await keeper.handOverForward(keeper.journal.sinks, log);
    const c = e instanceof CaudalError ? e : undefined;
    throw new CaudalError(c?.kind ?? 'io', errorMessage(e), {
      ...(c?.nodeId ? { nodeId: c.nodeId } : {}),
      hint: recorded
        ? "the run's journal keeps the new states: make the state folder writable, and the next run (or `caudal clean`) saves them before anything reads; until then this pipeline does not run, since it would read the same rows again"
        : "the new states are lost: make the state folder writable, then set them with `caudal state set` before the next run, or it reads the same rows again",
      cause: e,
    });
  }
  await keeper.done();
}

/**
 * Whether a kill during this participant's publish can leave part of it published: an external
 * load without durable recovery (its connection dies with the process). A DuckDB file's commit is
 * one transaction, and recovery tells whether it landed (recover.ts, duckdbCommitLanded).
 */
function publishesAcrossKill(p: Participant): boolean {
  return p.journal().kind === 'external';
}

/** A journal entry marked as publishing (its irreversible publish begun, not finished). */
function markPublishing(entry: JournalEntry, publishing: boolean): JournalEntry {
  return publishing && entry.kind === 'external' && !entry.committed ? { ...entry, publishing: true } : entry;
}

/** A failure before anything was published, saying that the destinations are as they were. */
function nothingChanged(e: unknown): CaudalError {
  const c = e instanceof CaudalError ? e : undefined;
  return new CaudalError(c?.kind ?? 'execution', `${errorMessage(e)}: nothing was changed`, { hint: c?.hint, cause: e });
}

/** Discards every participant's staged work (nothing published). Warnings, never throws. */
export async function abortAll(parts: Participant[], log: CommitLog): Promise<void> {
  for (const p of [...parts].reverse()) for (const w of await p.abort()) log.warn(`cleanup after failure: ${w}`);
}

/**
 * After an undo: destinations that could not be put back are left to recovery (CommitJournal.handOver),
 * and the run's error says so, whatever failed first. Returns the error to throw.
 */
async function handOverUnrestored(parts: Participant[], keeper: CommitJournal, log: CommitLog, cause: unknown): Promise<unknown> {
  const left = parts.filter((p) => p.unrestored?.() === true);
  if (left.length === 0) return cause;
  await keeper.handOver(left.map((p) => p.journal()), log);
  const original = cause instanceof CaudalError ? cause : undefined;
  const names = left.map((p) => p.label).join(', ');
  return new CaudalError(original?.kind ?? 'execution', `${errorMessage(cause)}; ${names} could not be put back as ${left.length === 1 ? 'it was' : 'they were'} (see the warnings)`, {
    nodeId: original?.nodeId,
    column: original?.column,
    // What is left to recover matters more than the cause's own advice, which follows it.
    hint: `once the cause is fixed, the next run of any pipeline or \`caudal clean\` finishes the undo from the run's journal (\`caudal doctor\` lists it)${original?.hint ? `; about the cause: ${original.hint}` : ''}`,
    cause,
  });
}

async function undoAll(published: Participant[], log: CommitLog): Promise<void> {
  for (const p of [...published].reverse()) {
    try {
      await p.undo();
    } catch (e) {
      log.warn(`could not restore ${p.label}: ${errorMessage(e)}`);
    }
    for (const w of await p.abort()) log.warn(`cleanup after failure: ${w}`);
  }
}
