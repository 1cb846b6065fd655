import { link, lstat, rename, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { failpoint } from '../../util/failpoint.js';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ExternalRecovery, ExternalStage, Publish } from '../../nodes/define.js';
import { CaudalError, errorMessage } from '../../util/errors.js';
import type { Db } from '../../compiler/db.js';
import { duckdbLoadError } from '../../nodes/sink.duckdb/load-errors.js';
import type { JournalEntry } from './journal.js';
import { diskFailure, troubleRemedy } from './disk-errors.js';

type FilePublish = Extract<Publish, { kind: 'file' }>;
type DuckdbPublish = Extract<Publish, { kind: 'duckdb' }>;

/**
 * One destination's part in a run's commit (protocol.ts). Every sink kind goes through these steps:
 *   prepare   the last reversible step: everything that can fail is done or checked
 *   publish   make it visible
 *   undo      (reversible participants only) put back what publish replaced
 *   finalize  drop what was kept for undo; failures here are warnings, the data is published
 *   abort     (not published) remove everything staged; never throws, returns warnings
 */
export interface Participant {
  /** How messages name the destination(s). */
  label: string;
  /** Publishing can be undone afterwards (file renames with the old file kept aside). */
  reversible: boolean;
  /** Among irreversible participants, lower publishes first: the likeliest to fail late goes first. */
  lateFailureRank: number;
  /**
   * Prepared so that recovery can still commit or roll it back after the process dies (a PostgreSQL
   * two-phase PREPARE). A destination that is not (a Kafka or DuckDB transaction) dies with the
   * process unless it has committed.
   */
  durable: boolean;
  /** Before prepare: note what a prepare killed half-way would leave (journaled); true if anything. */
  intend?(opts: { twoPhase: boolean }): boolean;
  prepare(opts: { twoPhase: boolean }): Promise<void>;
  publish(): Promise<void>;
  undo(): Promise<void>;
  finalize(): Promise<string[]>;
  abort(): Promise<string[]>;
  /**
   * After a failed publish or undo: what it changed could not be put back (a rename or copy back
   * failed), so the journal must keep its entry for recovery to finish the undo later.
   */
  unrestored?(): boolean;
  /** What recovery needs if the process dies now. */
  journal(): JournalEntry;
}

async function exists(p: string): Promise<boolean> {
  return (await lstat(p).catch(() => undefined)) !== undefined;
}

/** Removes folders the run created, deepest first, while they are empty. */
export async function removeEmptyFolders(folders: string[]): Promise<void> {
  for (const dir of [...folders].sort((a, b) => b.length - a.length)) {
    await rmdir(dir).catch(() => undefined);
  }
}

const warnOf = (what: string, e: unknown) => `${what}: ${errorMessage(e)}`;

/** A file or folder written to a hidden temp name next to its target, renamed into place. */
export class FileParticipant implements Participant {
  readonly reversible = true;
  readonly lateFailureRank = 0;
  readonly durable = true;
  private existed = false;
  /** The staged output is a folder (partitions), not one file: what the target and its aside copy must be. */
  private folder = false;
  private published = false;
  /** The previous version is still aside (or the new one still in place) after a failed put-back. */
  private putBackFailed = false;

  constructor(
    private readonly nodeId: string,
    private readonly p: FilePublish,
    private readonly createdFolders: string[],
  ) {}

  get label(): string {
    return this.p.target;
  }

  async prepare(): Promise<void> {
    const found = await lstat(this.p.target).catch(() => undefined);
    this.existed = found !== undefined;
    // Checked at planning too; this catches one that appeared since (a rename would replace it).
    if (found && !found.isFile() && !found.isDirectory()) {
      throw new CaudalError('execution', `sink '${this.nodeId}': ${this.p.target} is not a regular file (a link, pipe, device or socket appeared there while the run was running)`, {
        nodeId: this.nodeId,
        hint: 'write to a regular file; a sink replaces its target by renaming a new file over it',
      });
    }
    // A file replaces a file and a folder of partitions a folder: a folder that appeared where a
    // single file goes would be moved aside and removed, with whatever someone put in it.
    const staged = await lstat(this.p.temp).catch(() => undefined);
    this.folder = staged?.isDirectory() === true;
    if (found && staged) this.refuseOtherKind(found.isDirectory(), 'running');
    if (this.existed && !this.p.replace) {
      throw new CaudalError('execution', `sink '${this.nodeId}': ${this.p.target} appeared while the run was running, and the sink's if_exists is "fail"`, {
        nodeId: this.nodeId,
        hint: 'set if_exists to "overwrite" or remove the file, then run again',
      });
    }
    if (!staged) throw new CaudalError('execution', `sink '${this.nodeId}': the staged output ${this.p.temp} is missing`, { nodeId: this.nodeId });
  }

  /** The target is (or was moved aside as) a folder where the sink writes one file, or the other way round: refused, nothing replaced. */
  private refuseOtherKind(isFolder: boolean, when: 'running' | 'committing'): void {
    if (isFolder === this.folder) return;
    const [is, writes] = isFolder ? ['a folder', 'one file'] : ['a file', 'a folder of partitions'];
    throw new CaudalError('execution', `sink '${this.nodeId}': ${this.p.target} is ${is} now (it appeared while the run was ${when}), and the sink writes ${writes} there`, {
      nodeId: this.nodeId,
      hint: `move it away (nothing was changed), or point the sink at another path, then run again`,
    });
  }

  /**
   * Publish acts on what prepare saw at the target: something that appeared, went or changed kind
   * since (while other destinations prepared or published) would be replaced without being kept
   * aside, or kept aside as what it is not and then removed. The commit fails instead, and rolls back.
   */
  private async unchangedSincePrepare(): Promise<void> {
    const now = await lstat(this.p.target).catch(() => undefined);
    if (now && (!now.isFile() && !now.isDirectory())) {
      throw new CaudalError('execution', `sink '${this.nodeId}': ${this.p.target} is not a regular file (a link, pipe, device or socket appeared there while the run was committing)`, {
        nodeId: this.nodeId,
        hint: 'write to a regular file; a sink replaces its target by renaming a new file over it',
      });
    }
    if (now) this.refuseOtherKind(now.isDirectory(), 'committing');
    if ((now !== undefined) !== this.existed) {
      throw new CaudalError('execution', `sink '${this.nodeId}': ${this.p.target} ${now ? 'appeared' : 'was removed'} while the run was committing, so it cannot be replaced as planned (nothing was replaced)`, {
        nodeId: this.nodeId,
        hint: 'another program is writing that path: let it finish (or point the sink at another path), then run again',
      });
    }
  }

  async publish(): Promise<void> {
    await this.unchangedSincePrepare();
    // Never rename over a kept-aside copy: it may be the only copy of another publish's old file.
    if (this.existed && (await exists(this.p.aside))) {
      throw new CaudalError('execution', `sink '${this.nodeId}': ${this.p.aside} already exists, so the previous ${this.p.target} cannot be kept aside`, {
        nodeId: this.nodeId,
        hint: 'another sink or run is replacing the same file; run `caudal clean`, then run again',
      });
    }
    // A single file is kept aside as a second name of the same file, so the rename below replaces
    // the target in one step: readers, and a run killed in between, never find it missing. A folder
    // (or a file system without hard links) is moved aside instead.
    let linked = false;
    if (this.existed) linked = await link(this.p.target, this.p.aside).then(() => true, () => false);
    if (this.existed && !linked) {
      await rename(this.p.target, this.p.aside).catch((e: unknown) => {
        throw this.notMovedAside(e);
      });
      // What was moved is what was checked just before, unless it was swapped in between: then it goes back.
      const moved = await lstat(this.p.aside).catch(() => undefined);
      if (moved && moved.isDirectory() !== this.folder) {
        await rename(this.p.aside, this.p.target).catch((back: unknown) => {
          this.putBackFailed = true;
          throw this.keptAsideError(`${this.p.target} turned into ${moved.isDirectory() ? 'a folder' : 'a file'} while the run was committing; putting it back failed (${errorMessage(back)})`, back);
        });
        this.refuseOtherKind(moved.isDirectory(), 'committing');
      }
    }
    failpoint('after-aside');
    try {
      await rename(this.p.temp, this.p.target);
    } catch (e) {
      const moved = `could not move the new output into place at ${this.p.target}: ${errorMessage(e)}`;
      if (linked) {
        // The target is still the previous version: only its second name goes.
        await rm(this.p.aside, { force: true }).catch(() => undefined);
      } else if (this.existed) {
        await rename(this.p.aside, this.p.target).catch((back: unknown) => {
          this.putBackFailed = true;
          throw this.keptAsideError(`${moved}; putting the previous version back failed too (${errorMessage(back)})`, back);
        });
      }
      throw new CaudalError('io', `sink '${this.nodeId}': ${moved}`, { nodeId: this.nodeId, cause: e });
    }
    this.published = true;
  }

  async undo(): Promise<void> {
    if (!this.published) return;
    try {
      // A folder target (partitioned output) cannot be renamed over: remove the new one first. Only
      // what the sink wrote is removed whole: a folder where it wrote one file is someone else's.
      if (this.folder && (await lstat(this.p.target).catch(() => undefined))?.isDirectory()) await rm(this.p.target, { recursive: true, force: true });
      if (this.existed) await rename(this.p.aside, this.p.target);
      else await rm(this.p.target, { recursive: this.folder, force: true });
    } catch (e) {
      this.putBackFailed = true;
      throw this.existed ? this.keptAsideError(`could not put the previous version back (${errorMessage(e)})`, e) : e;
    }
    this.published = false;
    await removeEmptyFolders(this.createdFolders);
  }

  unrestored(): boolean {
    return this.putBackFailed;
  }

  /** The previous version could not be moved aside (nor linked): nothing was replaced. */
  private notMovedAside(e: unknown): CaudalError {
    const folder = path.dirname(this.p.target);
    const trouble = diskFailure(e)?.trouble;
    // An immutable or append-only file (chattr +i, +a) refuses renames even to root, in a writable folder.
    const remedy =
      trouble === 'denied'
        ? `make ${folder} writable, and the file renamable: an immutable or append-only file refuses it (lsattr shows the flag, chattr -i or -a removes it)`
        : trouble
          ? troubleRemedy(trouble, folder)
          : `check that ${this.p.target} can be renamed`;
    return new CaudalError('io', `sink '${this.nodeId}': cannot replace ${this.p.target}: moving the previous version aside failed (${errorMessage(e)})`, {
      nodeId: this.nodeId,
      hint: `the sink replaces a file by renaming it; ${remedy}, then run again (the file is as it was)`,
      cause: e,
    });
  }

  private keptAsideError(what: string, cause: unknown): CaudalError {
    return new CaudalError('io', `sink '${this.nodeId}': ${what}: it is kept at ${this.p.aside}`, {
      nodeId: this.nodeId,
      hint: `once the cause is fixed, the next run of any pipeline or \`caudal clean\` puts it back at ${this.p.target}`,
      cause,
    });
  }

  async finalize(): Promise<string[]> {
    if (!this.existed) return [];
    try {
      // Removed whole only when it is what the sink replaced: a folder kept aside where one file was
      // replaced holds what someone else put there, and stays.
      const kept = await lstat(this.p.aside).catch(() => undefined);
      if (kept && kept.isDirectory() !== this.folder) return [`the previous version kept at ${this.p.aside} is ${kept.isDirectory() ? 'a folder' : 'a file'}, not the ${this.folder ? 'folder' : 'file'} the sink replaced: it is left there for you to look at`];
      await rm(this.p.aside, { recursive: this.folder, force: true });
      return [];
    } catch (e) {
      return [warnOf(`could not remove the previous version kept at ${this.p.aside}`, e)];
    }
  }

  async abort(): Promise<string[]> {
    const warnings: string[] = [];
    await rm(this.p.temp, { recursive: true, force: true }).catch((e: unknown) => warnings.push(warnOf(`could not remove ${this.p.temp}`, e)));
    await removeEmptyFolders(this.createdFolders);
    return warnings;
  }

  journal(): JournalEntry {
    return { kind: 'file', nodeId: this.nodeId, target: this.p.target, temp: this.p.temp, aside: this.p.aside, replace: this.p.replace, existed: this.existed, createdFolders: this.createdFolders, stagingDirs: [] };
  }
}

/**
 * Every sink into one DuckDB database file: DuckDB writes one attached database per transaction,
 * so they publish together in one transaction, opened at prepare on a connection of its own and
 * committed at publish.
 */
export class DuckdbParticipant implements Participant {
  readonly reversible = false;
  readonly lateFailureRank = 1;
  readonly durable = false;
  private session?: DuckDBConnection;
  private committed = false;
  private readonly sinks: Array<{ nodeId: string; publish: DuckdbPublish; createdFolders: string[]; target: string }> = [];

  constructor(private readonly db: Db) {}

  /** `target` names the sink's table as messages do (SinkPlan.target). */
  add(nodeId: string, publish: DuckdbPublish, createdFolders: string[], target: string): void {
    this.sinks.push({ nodeId, publish, createdFolders, target });
  }

  private get first(): DuckdbPublish {
    return this.sinks[0]!.publish;
  }

  get label(): string {
    return this.first.file;
  }

  // DuckDB's reason alone (a CHECK constraint, a duplicate key) names neither the sink nor the file.
  async prepare(): Promise<void> {
    this.session = await this.db.session();
    await this.session.run('BEGIN TRANSACTION');
    for (const s of this.sinks) {
      for (const sql of s.publish.apply) {
        await this.session.run(sql).catch((e: unknown) => {
          throw duckdbLoadError([s.nodeId], s.target, e);
        });
      }
    }
  }

  async publish(): Promise<void> {
    await this.session!.run('COMMIT').catch((e: unknown) => {
      throw duckdbLoadError(
        this.sinks.map((s) => s.nodeId),
        this.sinks.map((s) => s.target).join(', '),
        e,
      );
    });
    this.committed = true;
  }

  async undo(): Promise<void> {
    throw new Error('a committed DuckDB transaction cannot be undone');
  }

  async finalize(): Promise<string[]> {
    this.closeSession();
    try {
      await this.db.run(this.first.detach);
      return [];
    } catch (e) {
      return [warnOf(`could not release ${this.first.file}`, e)];
    }
  }

  async abort(): Promise<string[]> {
    const warnings: string[] = [];
    if (this.session && !this.committed) await this.session.run('ROLLBACK').catch(() => undefined);
    this.closeSession();
    for (const s of this.sinks) {
      for (const step of s.publish.discard) {
        try {
          if (typeof step === 'string') await this.db.run(step);
          else {
            const [row] = await this.db.rows(step.when);
            if (row && Object.values(row)[0] === true) await this.db.run(step.sql);
          }
        } catch (e) {
          // The file may never have been attached (the run failed before this sink staged).
          if (!/not found|does not exist|Catalog Error/i.test(errorMessage(e))) warnings.push(warnOf(`cleanup of ${s.publish.file}`, e));
        }
      }
    }
    await this.db.run(this.first.detach).catch(() => undefined);
    if (this.first.createdFile) {
      for (const f of [this.first.file, `${this.first.file}.wal`]) await rm(f, { force: true }).catch((e: unknown) => warnings.push(warnOf(`could not remove ${f}`, e)));
    }
    for (const s of this.sinks) await removeEmptyFolders(s.createdFolders);
    return warnings;
  }

  private closeSession(): void {
    try {
      this.session?.closeSync();
    } catch {
      // already closed
    }
    this.session = undefined;
  }

  journal(): JournalEntry {
    const stageTables = this.sinks.flatMap((s) => s.publish.stageTables);
    return {
      kind: 'duckdb',
      nodeIds: this.sinks.map((s) => s.nodeId),
      file: this.first.file,
      alias: this.first.alias,
      apply: this.sinks.flatMap((s) => s.publish.apply),
      stageTables,
      createdFile: this.first.createdFile,
      createdFolders: this.sinks.flatMap((s) => s.createdFolders),
      committed: this.committed,
    };
  }
}

/**
 * An external system's load (PostgreSQL, an object store…), staged by the sink. It publishes with
 * the files when the stage can undo its commit, else with the databases.
 */
export class ExternalParticipant implements Participant {
  private twoPhase = false;
  private recovery?: ExternalRecovery;
  private committed = false;
  private undoFailed = false;

  constructor(
    private readonly nodeId: string,
    readonly label: string,
    private readonly stage: ExternalStage,
  ) {}

  get reversible(): boolean {
    return this.stage.undo !== undefined;
  }

  /** A prepared two-phase transaction is certain to commit: it goes last. */
  get lateFailureRank(): number {
    return this.twoPhase ? 2 : 0;
  }

  get durable(): boolean {
    return this.twoPhase;
  }

  intend(opts: { twoPhase: boolean }): boolean {
    this.recovery = this.stage.recoveryIntent?.(opts);
    return this.recovery !== undefined;
  }

  async prepare(opts: { twoPhase: boolean }): Promise<void> {
    const r = await this.stage.prepare(opts);
    this.twoPhase = r.twoPhase;
    this.recovery = r.recovery;
  }

  async publish(): Promise<void> {
    await this.stage.commit();
    this.committed = true;
  }

  async undo(): Promise<void> {
    if (!this.stage.undo) throw new Error('a committed external load cannot be undone');
    try {
      await this.stage.undo();
    } catch (e) {
      this.undoFailed = true;
      throw e;
    }
    this.committed = false;
  }

  unrestored(): boolean {
    // Only a stage with its own recovery can finish the undo later.
    return this.recovery !== undefined && (this.undoFailed || (this.stage.unrestored?.() ?? false));
  }

  async finalize(): Promise<string[]> {
    try {
      return (await this.stage.finalize?.()) ?? [];
    } catch (e) {
      return [warnOf(`finishing ${this.label}`, e)];
    }
  }

  async abort(): Promise<string[]> {
    try {
      await this.stage.rollback();
      return [];
    } catch (e) {
      return [warnOf(`rollback of ${this.label}`, e)];
    }
  }

  journal(): JournalEntry {
    return { kind: 'external', nodeId: this.nodeId, label: this.label, recovery: this.recovery, committed: this.committed, ...(this.stage.wholeOrNone ? { wholeOrNone: true } : {}) };
  }
}
