import type { PlannedNode } from '../../compiler/plan.js';
import type { HookIo } from '../../nodes/define.js';
import { duckdbLockError } from '../../nodes/shared/duckdb-lock.js';
import { DUCKDB_STAGE_PREFIX } from '../../nodes/shared/staging-names.js';
import type { Db } from '../../compiler/db.js';
import { DuckdbParticipant, ExternalParticipant, FileParticipant, type Participant } from './participants.js';
import type { CommitJournal } from './protocol.js';
import { sweepDeadStageTables } from './recover.js';
import { stagingDiskError } from './staging-disk-error.js';

/**
 * Stages a run's sinks and collects their commit participants. Each sink is entered in the commit
 * journal before it writes anything, so that a run killed mid-write leaves a record of what to
 * remove. Sinks into the same DuckDB file share one participant (one transaction per file).
 */
export class SinkStager {
  readonly participants: Participant[] = [];
  private readonly duckdb = new Map<string, DuckdbParticipant>();

  constructor(
    private readonly db: Db,
    private readonly keeper: CommitJournal,
    private readonly log: (message: string, nodeId: string) => void,
  ) {}

  /** Stages one sink and returns the rows written. `count` runs a statement with progress reporting. */
  async stage(node: PlannedNode, io: HookIo, count: (sql: string) => Promise<number>): Promise<number> {
    const sink = node.sink!;
    const publish = sink.publish;
    let rows = 0;
    if (publish?.kind === 'file') {
      await this.enter(new FileParticipant(node.id, publish, sink.createdFolders ?? []));
    } else if (publish?.kind === 'duckdb') {
      let part = this.duckdb.get(publish.file);
      if (!part) {
        part = new DuckdbParticipant(this.db);
        this.duckdb.set(publish.file, part);
        part.add(node.id, publish, sink.createdFolders ?? [], sink.target);
        await this.enter(part);
        await this.db.run(publish.attach).catch((e: unknown) => {
          throw duckdbLockError(node.id, publish.file, e, 'write') ?? e;
        });
        const dropped = await sweepDeadStageTables(this.db, publish.alias, DUCKDB_STAGE_PREFIX);
        if (dropped.length > 0) this.log(`removed ${dropped.length} staging table(s) left in ${publish.file} by runs that were killed: ${dropped.join(', ')}`, node.id);
      } else {
        part.add(node.id, publish, sink.createdFolders ?? [], sink.target);
        await this.record();
      }
    }
    const stageAll = async () => {
      for (const sql of sink.stage) rows = await count(sql);
    };
    try {
      // Only this sink's statements: other sinks of the run keep their input's order.
      await (sink.unordered ? this.db.unordered(stageAll) : stageAll());
      await sink.verifyStaged?.(rows, io);
    } catch (e) {
      throw stagingDiskError(node.id, sink.target, publish, e) ?? e;
    }
    if (sink.external) {
      // stage() undoes its own partial work when it throws; once it returns, the participant does.
      const st = await sink.external.stage(io);
      await this.enter(new ExternalParticipant(node.id, sink.target, st));
      rows = st.rows;
    }
    return rows;
  }

  private async enter(p: Participant): Promise<void> {
    this.participants.push(p);
    await this.record();
  }

  private async record(): Promise<void> {
    this.keeper.journal.sinks = this.participants.map((p) => p.journal());
    await this.keeper.save();
  }
}
