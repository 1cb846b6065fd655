import { setTimeout as sleep } from 'node:timers/promises';
import type { LogicalReplicationService } from 'pg-logical-replication';
import type { Message, MessageRelation } from 'pg-logical-replication/dist/output-plugins/pgoutput/pgoutput.types.js';
import { pgClientConfig, type PostgresConfig } from '../../connections/postgres/postgres.connection.js';
import { CaudalError, errorMessage } from '../../util/errors.js';
import { connect } from './client.js';
import type { ReplicationSpec } from './cdc-setup.js';
import { SPILL_AT, TransactionSpill, type SpilledTransaction } from './cdc-spill.js';
import { lsnText, lsnValue } from './lsn.js';
import { pgIdent, pgTable } from './sql.js';

export { dropReplication, ensureReplication } from './cdc-setup.js';

/**
 * Change data capture from PostgreSQL logical replication (the built-in pgoutput plugin): a
 * publication names the table, a replication slot keeps every change until Caudal acknowledges it.
 * Changes arrive as whole transactions; a batch takes complete transactions only, and the slot is
 * acknowledged (its confirmed_flush_lsn advanced) only after every sink of the run committed. A run
 * that fails or is killed leaves the slot where it was, so the changes come again: at-least-once,
 * exactly-once into sinks that upsert and delete by key. The slot is also moved past the WAL of other
 * tables, which the publication leaves out (see covered): a slot left at its table's last change kept
 * all of it, and every run decoded it again.
 *
 * A transaction whose changes cannot be delivered faithfully (a TRUNCATE, an UPDATE without the value
 * of an unchanged TOASTed column, a change of another table, or columns the run did not plan for)
 * stops the run when a batch reaches it: nothing at or after it is acknowledged.
 */
export interface CdcSpec extends ReplicationSpec {
  maxRows: number;
  maxWaitMs: number;
  /** The table's primary key (checkReplication): with REPLICA IDENTITY FULL, what tells a key change. */
  primaryKey?: string[];
  /** Where a transaction of more than SPILL_AT changes is kept while it arrives (in the run's temp folder). */
  spillDir: string;
}

export type ChangeOp = 'insert' | 'update' | 'delete';

/** A value of a decoded tuple as comparable text (NULL and a missing value alike). */
const textOf = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

export interface Change {
  op: ChangeOp;
  lsn: string;
  commitTime: string;
  /** Column values as PostgreSQL's text output (NULL as null); for deletes, the key (or old row). */
  values: Record<string, string | null>;
  /** The table's columns when the change was made (pgoutput's relation message). */
  columns: readonly string[];
}

/** A transaction that stops the capture where it stands. */
interface Stop {
  op: 'stop';
  lsn: string;
  message: string;
  hint: string;
}

interface ReadControl {
  watch: boolean;
  stopping(): boolean;
  isCancelled(): boolean;
  /**
   * --watch: keeps `position` before a waiting watch confirms the slot up to it (confirmQuiet). The
   * node's state moves with commits only, so the next run must learn from elsewhere that the slot
   * stands past the state by this copy's doing, not another reader's. Without it, a waiting watch
   * leaves the slot where the last batch put it.
   */
  recordQuiet?(position: string): Promise<void>;
}

const POLL_MS = 20;
/**
 * How often the session reports its (unchanged) position while it waits or a batch is written: the
 * server cuts a replication connection that says nothing for wal_sender_timeout (1 min by default).
 */
const STATUS_MS = 10_000;
/**
 * How often a waiting --watch checks that its table is still in its publication: a table dropped
 * (and perhaps created again) sends nothing more, so the watch would wait in silence for ever.
 */
const TABLE_CHECK_MS = 5_000;
/**
 * How often a --watch waiting on a quiet table confirms the slot past the other tables' WAL that
 * went by meanwhile (each time, recordQuiet writes a small file beside the state).
 */
export const QUIET_CONFIRM_MS = 10_000;

function quoted(names: readonly string[]): string {
  return `column${names.length === 1 ? '' : 's'} ${names.map((n) => `'${n}'`).join(', ')}`;
}

export class CdcSession {
  private readonly ready: Array<Change | Stop | SpilledTransaction> = [];
  private open: Change[] = [];
  /** The open transaction once it passed SPILL_AT changes (cdc-spill.ts). */
  private openSpill?: TransactionSpill;
  private spills = 0;
  private openStop?: Omit<Stop, 'op' | 'lsn'>;
  private commitTime = '';
  /** Between a transaction's begin and its commit (its changes are not in `ready` yet). */
  private inTransaction = false;
  /**
   * How far the WAL has been handled: every transaction of the table that commits at or before it
   * is in `ready`, taken, or skipped (a keepalive's position counts once the changes sent before it
   * are handled, see onHeartbeat; a transaction's changes are sent when it commits, after that
   * position).
   */
  private serverLsn = 0n;
  /** A keepalive's position that overtook changes still queued (see onHeartbeat). */
  private heardLsn = 0n;
  private taken?: string;
  /** How far the batches taken so far cover the WAL, what acknowledge() confirms (see covering). */
  private covered = 0n;
  private failure?: Error;
  private resume?: () => void;
  private statusTimer?: NodeJS.Timeout;
  private readonly columnsOf = new WeakMap<MessageRelation, readonly string[]>();

  private constructor(
    private readonly config: PostgresConfig,
    private readonly service: LogicalReplicationService,
    private readonly spec: CdcSpec,
    /** The slot's confirmed position: what every status update reports until a batch is acknowledged. */
    private confirmed: bigint,
    /** Transactions that end at or before it reached the destinations already (see open). */
    private readonly delivered: bigint,
  ) {}

  /**
   * `start` sees where the slot stands before anything is read from it, and may refuse it. It
   * returns how far the pipeline's state says changes were delivered: a run killed after its sinks
   * committed but before it acknowledged (its state saved, by itself or by recovery) left the slot
   * behind. Those transactions are skipped rather than delivered twice, and the slot is moved up to
   * there at once, since the destinations hold them durably.
   */
  static async open(config: PostgresConfig, spec: CdcSpec, start?: (confirmed: bigint) => Promise<bigint | undefined>): Promise<CdcSession> {
    const slotPosition = await confirmedPosition(config, spec.slot);
    const delivered = (await start?.(slotPosition)) ?? 0n;
    const confirmed = delivered > slotPosition ? delivered : slotPosition;
    const { LogicalReplicationService, PgoutputPlugin } = await import('pg-logical-replication');
    const service = new LogicalReplicationService(pgClientConfig(config), { acknowledge: { auto: false, timeoutSeconds: 0 }, flowControl: { enabled: true } });
    const session = new CdcSession(config, service, spec, confirmed, delivered);
    service.on('error', (e: Error) => (session.failure = e));
    const queue = deliveryQueue(service);
    service.on('heartbeat', (lsn: string, _time: number, replyNow: boolean) => {
      session.onHeartbeat(lsnValue(lsn), queue.idle());
      if (replyNow) void session.report();
    });
    // Also while the stream is paused (backpressure) and no keepalive is read.
    session.statusTimer = setInterval(() => void session.report(), STATUS_MS).unref();
    service.on('data', async (lsn: string, msg: Message) => {
      await session.onMessage(lsn, msg);
      if (queue.empty()) session.onHeartbeat(session.heardLsn, true);
    });
    const plugin = new PgoutputPlugin({ protoVersion: 1, publicationNames: [spec.publication] });
    keepText(plugin);
    void service.subscribe(plugin, spec.slot).catch((e: unknown) => {
      session.failure = e instanceof Error ? e : new Error(String(e));
    });
    return session;
  }

  private get table(): string {
    return `${this.spec.table.schema}.${this.spec.table.name}`;
  }

  /** How to start over once the slot holds changes that cannot be delivered. */
  private get startOver(): string {
    return `empty the target (a mirror would keep rows the source no longer has), drop the slot (SELECT pg_drop_replication_slot('${this.spec.slot}')) and run again: a new slot starts with a snapshot of the table`;
  }

  /** The first reason in a transaction to stop there; the rest of it is not kept. */
  private stop(message: string, hint: string): void {
    this.openStop ??= { message, hint };
  }

  private async change(op: ChangeOp, lsn: string, relation: MessageRelation, row: Record<string, unknown> | null): Promise<void> {
    if (this.openStop) return;
    if (pgTable(relation) !== pgTable(this.spec.table)) {
      this.stop(`publication '${this.spec.publication}' sent a change of ${relation.schema}.${relation.name}, not of ${this.table}`, 'the publication must cover the captured table only (ALTER PUBLICATION … SET TABLE)');
      return;
    }
    // Only an UPDATE's new row has unchanged values; it also reaches here as an insert when the
    // UPDATE moved the row's key (the old key does not carry them unless REPLICA IDENTITY FULL).
    const unchanged = op !== 'delete' ? Object.entries(row ?? {}).filter(([, v]) => v === undefined).map(([k]) => k) : [];
    if (unchanged.length > 0) {
      this.stop(
        `an UPDATE of ${this.table} left the large (TOASTed) ${quoted(unchanged)} unchanged, and PostgreSQL sends no value for such a column unless the table has REPLICA IDENTITY FULL; delivered as NULL, it would wipe the value in a mirror`,
        `run ALTER TABLE ${pgTable(this.spec.table)} REPLICA IDENTITY FULL, so that later updates carry every value. The changes already captured lack it: ${this.startOver}`,
      );
      return;
    }
    let columns = this.columnsOf.get(relation);
    if (!columns) this.columnsOf.set(relation, (columns = relation.columns.map((c) => c.name)));
    const values = Object.fromEntries(Object.entries(row ?? {}).map(([k, v]) => [k, v === null || v === undefined ? null : String(v)]));
    const c: Change = { op, lsn, commitTime: this.commitTime, values, columns };
    if (this.openSpill) return this.openSpill.write(c);
    this.open.push(c);
    if (this.open.length >= SPILL_AT) {
      this.openSpill = await TransactionSpill.create(this.spec.spillDir, ++this.spills);
      for (const held of this.open) await this.openSpill.write(held);
      this.open = [];
    }
  }

  /** Drops what the open transaction kept (it stops the capture, or the session ends). */
  private async dropOpen(): Promise<void> {
    this.open = [];
    const spill = this.openSpill;
    this.openSpill = undefined;
    await spill?.discard();
  }

  /**
   * The library hands keepalives over at once but queues changes (flow control): a keepalive can
   * report a position past changes not handled yet (the rest of a large transaction). A plain run
   * that took it for "caught up" ended without them. Its position counts once the queue is handled.
   */
  private onHeartbeat(lsn: bigint, caughtUp: boolean): void {
    if (!caughtUp) {
      if (lsn > this.heardLsn) this.heardLsn = lsn;
      return;
    }
    if (lsn > this.serverLsn) this.serverLsn = lsn;
  }

  private async onMessage(lsn: string, msg: Message): Promise<void> {
    switch (msg.tag) {
      case 'begin':
        await this.dropOpen();
        this.inTransaction = true;
        this.openStop = undefined;
        this.commitTime = new Date(Number(msg.commitTime) / 1000).toISOString();
        break;
      case 'insert':
        await this.change('insert', lsn, msg.relation, msg.new);
        break;
      case 'update': {
        // An UPDATE that changes the row's key is a delete of the old key and an insert of the new
        // row: delivered as an update of the new key, a mirror kept the old row too. PostgreSQL
        // sends the old key only when it changed (default or index identity), or the whole old row
        // (REPLICA IDENTITY FULL, where the primary key tells). With FULL the plugin also fills
        // unchanged TOASTed values from the old row.
        const old = msg.key ?? msg.old;
        const keyColumns = msg.key ? msg.relation.keyColumns : (this.spec.primaryKey ?? []);
        const moved = old !== null && keyColumns.length > 0 && keyColumns.some((k) => textOf(old[k]) !== textOf(msg.new[k]));
        if (moved) {
          await this.change('delete', lsn, msg.relation, old);
          await this.change('insert', lsn, msg.relation, msg.new);
        } else await this.change('update', lsn, msg.relation, msg.new);
        break;
      }
      case 'delete':
        await this.change('delete', lsn, msg.relation, msg.key ?? msg.old);
        break;
      case 'truncate':
        this.stop(
          `${this.table} was truncated: a TRUNCATE sends no deletes, so a mirror of the table cannot follow it`,
          `to follow the table again: ${this.startOver}`,
        );
        break;
      case 'commit': {
        const end = msg.commitEndLsn ?? lsn;
        if (lsnValue(end) <= this.delivered) await this.dropOpen();
        else if (this.openStop) {
          this.ready.push({ op: 'stop', lsn: end, ...this.openStop });
          await this.dropOpen();
        } else if (this.openSpill) {
          this.ready.push(await this.openSpill.finish(end));
          this.openSpill = undefined;
        } else {
          for (const c of this.open) c.lsn = end;
          this.ready.push(...this.open);
        }
        this.open = [];
        this.openStop = undefined;
        this.inTransaction = false;
        const v = lsnValue(end);
        if (v > this.serverLsn) this.serverLsn = v;
        break;
      }
    }
    // Backpressure: hold the stream while a large batch waits to be taken.
    if (this.ready.length >= this.spec.maxRows * 2) await new Promise<void>((r) => (this.resume = r));
  }

  /**
   * Complete transactions only; a plain run reads up to the WAL position when it started.
   * `planned` are the columns the run's plan reads: a change made when the table had a column the
   * plan lacks (added since, renamed, dropped) stops the run rather than losing that value.
   */
  async read(config: PostgresConfig, control: ReadControl, planned: readonly string[]): Promise<{ changes: Array<Change | SpilledTransaction>; rows: number; waitedMs: number }> {
    const t0 = Date.now();
    if (control.watch) {
      let lastTableCheck = Date.now();
      let lastQuietConfirm = Date.now();
      while (this.ready.length === 0) {
        this.check(control);
        if (control.stopping()) throw new CaudalError('cancelled', 'stopped while waiting for changes');
        if (Date.now() - lastTableCheck > TABLE_CHECK_MS) {
          lastTableCheck = Date.now();
          await this.checkTablePublished(config);
        }
        if (Date.now() - lastQuietConfirm > QUIET_CONFIRM_MS) {
          lastQuietConfirm = Date.now();
          await this.confirmQuiet(control);
        }
        await sleep(POLL_MS);
      }
      const until = Date.now() + this.spec.maxWaitMs;
      while (this.ready.length < this.spec.maxRows && Date.now() < until && !this.stopped()) {
        this.check(control);
        await sleep(POLL_MS);
      }
    } else {
      const target = await currentLsn(config);
      let lastPing = 0;
      while (this.ready.length < this.spec.maxRows && this.serverLsn < target && !this.stopped()) {
        this.check(control);
        // Ask for a keepalive, which reports the server's position even when no change is for us
        // (a status update below the slot's position changes nothing on the server).
        if (Date.now() - lastPing > 200) {
          lastPing = Date.now();
          await this.report(true);
        }
        await sleep(POLL_MS);
      }
    }
    // Whole transactions, up to maxRows (a transaction larger than that is taken whole).
    const known = new Set(planned);
    let end = 0;
    let rows = 0;
    while (end < this.ready.length && (rows < this.spec.maxRows || this.ready[end]!.lsn === this.ready[end - 1]?.lsn)) {
      const e = this.ready[end]!;
      if (e.op === 'stop') throw this.stopError(e.message, e.hint, e.lsn);
      const unknown = e.columns.filter((c) => !known.has(c));
      if (unknown.length > 0) {
        throw this.stopError(
          `changes of ${this.table} were made when it had ${quoted(unknown)}, which this run did not plan for (the table's columns changed since)`,
          `if columns were added, run again: the next run plans with them. Changes made before a column was renamed or dropped cannot be matched to the table's columns now: ${this.startOver}`,
          e.lsn,
        );
      }
      rows += e.op === 'spilled' ? e.count : 1;
      end++;
    }
    const changes = this.ready.splice(0, end) as Array<Change | SpilledTransaction>;
    this.taken = changes.at(-1)?.lsn ?? this.taken;
    this.covered = this.covering();
    this.resume?.();
    this.resume = undefined;
    return { changes, rows, waitedMs: Date.now() - t0 };
  }

  /**
   * How far what was taken covers the WAL: the last change taken, and once nothing of the table is
   * left behind it (nothing in `ready`, no transaction arriving), also everything the server has sent.
   * The publication leaves other tables' changes out and PostgreSQL 15 sends no empty transaction,
   * so on a quiet table the last change taken stayed where it was while the server's WAL went on.
   * Never past the commit of a transaction of the table not taken. One still running on the server
   * may have written changes before that position: the server sends a transaction whole when it
   * commits after the confirmed position, and the slot's restart_lsn keeps the WAL of the
   * transactions still running (as with PostgreSQL's own subscribers, which confirm keepalives).
   */
  private covering(): bigint {
    const taken = this.taken ? lsnValue(this.taken) : 0n;
    const quiet = this.ready.length === 0 && !this.inTransaction ? this.serverLsn : 0n;
    return [this.covered, taken, quiet].reduce((a, b) => (b > a ? b : a));
  }

  /**
   * A waiting --watch confirms the slot past the other tables' WAL that went by, as acknowledge()
   * does after a batch: else the slot kept all of it until the table's next change, however long.
   * Only once every batch taken was acknowledged and nothing of the table waits; the position is
   * taken before the node records it, so a change that arrives meanwhile lies after it.
   */
  private async confirmQuiet(control: ReadControl): Promise<void> {
    if (!control.recordQuiet || this.covered > this.confirmed) return;
    const to = this.covering();
    if (to <= this.confirmed) return;
    // Not recorded (the state's folder not writable): the slot stays, and the next commit says why.
    if (!(await control.recordQuiet(lsnText(to)).then(() => true, () => false))) return;
    this.covered = to;
    this.confirmed = to;
    await this.report();
  }

  /** Fails when the table left the publication (dropped, or renamed away); a failed query proves nothing. */
  private async checkTablePublished(config: PostgresConfig): Promise<void> {
    const { schema, name } = this.spec.table;
    let present: boolean;
    try {
      const client = await connect(config);
      try {
        const { rows } = await client.query('SELECT 1 FROM pg_publication_tables WHERE pubname = $1 AND schemaname = $2 AND tablename = $3', [this.spec.publication, schema, name]);
        present = rows.length > 0;
      } finally {
        await client.end().catch(() => undefined);
      }
    } catch {
      return;
    }
    if (!present && this.ready.length === 0) {
      // What the data did, not what the pipeline says: a run error (exit 1), not an invalid pipeline.
      throw new CaudalError('execution', `change capture stopped (slot '${this.spec.slot}'): ${this.table} is no longer in publication '${this.spec.publication}': it was dropped (and perhaps created again) or renamed while --watch waited, and changes made to it since are not captured`, {
        hint: `to capture the table again: empty the target, drop the slot and the publication (SELECT pg_drop_replication_slot('${this.spec.slot}'); DROP PUBLICATION ${pgIdent(this.spec.publication)}) and run again: the run creates both and starts with a snapshot of the table`,
      });
    }
  }

  private stopped(): boolean {
    return this.ready.some((e) => e.op === 'stop');
  }

  private stopError(message: string, hint: string, lsn: string): CaudalError {
    // A stop for what the source's changes are (exit 1, as a run that failed on its data), not an invalid pipeline (2).
    return new CaudalError('execution', `change capture stopped at ${lsn} (slot '${this.spec.slot}'; nothing from there on is acknowledged): ${message}`, { hint });
  }

  private check(control: ReadControl): void {
    if (control.isCancelled()) throw new CaudalError('cancelled', 'the run was cancelled');
    if (this.failure) throw this.failureError(this.failure);
  }

  private failureError(e: Error): CaudalError {
    const message = errorMessage(e);
    // pgoutput looks the publication up as of each change it decodes: once the publication was
    // dropped, the slot cannot go past that point, even after a run made the publication again.
    if (/publication ".*" does not exist/.test(message)) {
      return new CaudalError('execution', `change capture stopped: ${message}: publication '${this.spec.publication}' was dropped (and perhaps created again) after the slot's position, and the changes made since cannot be read from this slot`, {
        hint: `to capture the table again: ${this.startOver}`,
      });
    }
    return new CaudalError('io', `change capture stopped: ${message}`);
  }

  /** The commit position of the last change taken (in any batch of this session), which acknowledge() confirms. */
  get lastTaken(): string | undefined {
    return this.taken;
  }

  /**
   * Where this session stands once its batches are acknowledged: how far they cover the WAL (the last
   * change taken, or past it what the server sent, see covering), else where the slot stood when it
   * opened (a slot created by this run: where its snapshot begins) or how far changes were
   * delivered, whichever is later. What the node's state keeps as acknowledged: the next run skips
   * transactions up to it, and there are none of the table's that were not taken.
   */
  get position(): string {
    return lsnText(this.covered > this.confirmed ? this.covered : this.confirmed);
  }

  /** Advances the slot past the last batch, and the WAL it covers (after every sink committed). */
  async acknowledge(): Promise<void> {
    if (this.covered > this.confirmed) this.confirmed = this.covered;
    await this.report();
  }

  /**
   * A status update that reports the confirmed position, never more: a position past what was
   * acknowledged would move the slot, one below it (0/0) moves it back on servers before 17.
   * PostgreSQL's own subscribers report a commit's end LSN as flushed; the library adds 1 to what it
   * is given (the physical "last byte + 1"), which made the slot skip a transaction whose commit
   * record starts right where the last acknowledged one ended.
   */
  private async report(ping = false): Promise<void> {
    await this.service.acknowledge(lsnText(this.confirmed - 1n), ping).catch(() => undefined);
  }

  async close(): Promise<void> {
    clearInterval(this.statusTimer);
    this.resume?.();
    await this.service.stop().catch(() => undefined);
    await this.dropOpen().catch(() => undefined);
    await slotReleased(this.config, this.spec.slot).catch(() => undefined);
  }
}

/**
 * Keeps PostgreSQL's text output for every column (DuckDB then converts it exactly with the column's
 * type) instead of node-postgres's JavaScript values (a timestamp would lose its microseconds). The
 * plugin takes each column's parser from node-postgres's global registry when it reads a relation
 * message; it has no option for this, so its parser's column reader is wrapped. Pinned version
 * (package.json); test/postgres-cdc.test.ts checks timestamps with microseconds.
 */
/**
 * Whether the library's queue of changes is handled (its flow control has no option to ask): the
 * pinned version's internals, checked here so that an upgrade that changes them fails loudly.
 */
function deliveryQueue(service: object): { idle(): boolean; empty(): boolean } {
  const internals = service as { _messageQueue?: unknown[]; _processing?: boolean };
  if (!Array.isArray(internals._messageQueue) || typeof internals._processing !== 'boolean') throw new Error('pg-logical-replication changed: its service has no _messageQueue or _processing');
  return { idle: () => internals._messageQueue!.length === 0 && !internals._processing, empty: () => internals._messageQueue!.length === 0 };
}

function keepText(plugin: object): void {
  const parser = (plugin as { parser?: { readRelationColumn?: (reader: unknown) => Record<string, unknown> } }).parser;
  const read = parser?.readRelationColumn?.bind(parser);
  if (!parser || !read) throw new Error('pg-logical-replication changed: its pgoutput parser has no readRelationColumn');
  parser.readRelationColumn = (reader) => ({ ...read(reader), parser: (v: unknown) => v });
}

/** How long close() waits for the server to let go of the slot. */
const RELEASE_WAIT_MS = 5_000;

/**
 * The server's walsender lets go of the slot a moment after the connection closed: a run that
 * ended while the slot was still active made the next run (a schedule, a restarted --watch) fail
 * with "replication slot … is active", and an administrator's pg_drop_replication_slot too.
 */
async function slotReleased(config: PostgresConfig, slot: string): Promise<void> {
  const client = await connect(config);
  try {
    const until = Date.now() + RELEASE_WAIT_MS;
    while (Date.now() < until) {
      const { rows } = await client.query<{ pid: number | null }>('SELECT active_pid AS pid FROM pg_replication_slots WHERE slot_name = $1', [slot]);
      if (rows[0]?.pid == null) return;
      await sleep(POLL_MS);
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function confirmedPosition(config: PostgresConfig, slot: string): Promise<bigint> {
  const client = await connect(config);
  try {
    const { rows } = await client.query<{ lsn: string | null }>('SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1', [slot]);
    const lsn = rows[0]?.lsn;
    if (!lsn) throw new CaudalError('io', `change capture stopped: replication slot '${slot}' does not exist (dropped while the run started?)`, { hint: 'run again: a new slot starts with a snapshot of the table' });
    return lsnValue(lsn);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Where the WAL ends now: every change committed before this moment lies before it. The insert
 * position, not pg_current_wal_lsn() (the write position): with synchronous_commit = off a COMMIT
 * returns before its record is written, and a plain run that read up to the write position ended
 * before transactions its user had seen committed.
 *
 * The server decodes only flushed WAL, and its WAL writer flushes records after the last commit (an
 * open transaction's, a page pruned by a SELECT) only when something commits: on an idle server the
 * run would wait for them. An empty transaction of its own, committed with synchronous_commit =
 * local (a transaction id and a commit record, no table touched, no standby waited for), flushes
 * everything before it.
 */
async function currentLsn(config: PostgresConfig): Promise<bigint> {
  const client = await connect(config);
  try {
    const { rows } = await client.query<{ lsn: string; page: number; segment: string }>(
      `SELECT pg_current_wal_insert_lsn()::text AS lsn, current_setting('wal_block_size')::int AS page,
              (SELECT setting FROM pg_settings WHERE name = 'wal_segment_size') AS segment`,
    );
    try {
      await client.query('BEGIN READ WRITE');
      await client.query('SET LOCAL synchronous_commit = local');
      await client.query('SELECT txid_current()');
      await client.query('COMMIT');
    } catch {
      // Not flushed now: the WAL writer or the server's next commit does it, later.
      await client.query('ROLLBACK').catch(() => undefined);
    }
    return walEnd(lsnValue(rows[0]!.lsn), BigInt(rows[0]!.page), BigInt(rows[0]!.segment));
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** MAXALIGNed sizes of a WAL page's header: the first page of a segment has the long one. */
const SHORT_PAGE_HEADER = 24n;
const LONG_PAGE_HEADER = 40n;

/**
 * The insert position as the end of the last record, which is what the server's keepalives report:
 * when that record filled its page exactly, the insert position already points past the next page's
 * header, where no record may come for a long time (an idle server), and the run would wait for it.
 */
export function walEnd(insert: bigint, pageSize: bigint, segmentSize: bigint): bigint {
  if (insert % segmentSize === LONG_PAGE_HEADER) return insert - LONG_PAGE_HEADER;
  if (insert % pageSize === SHORT_PAGE_HEADER) return insert - SHORT_PAGE_HEADER;
  return insert;
}
