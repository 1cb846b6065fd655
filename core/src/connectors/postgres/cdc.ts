import { setTimeout as sleep } from 'node:timers/promises';
import type { LogicalReplicationService } from 'pg-logical-replication';
import type { Message } from 'pg-logical-replication/dist/output-plugins/pgoutput/pgoutput.types.js';
import { pgClientConfig, type PostgresConfig } from '../../connections/postgres/postgres.connection.js';
import { CaudalError, errorMessage } from '../../util/errors.js';
import { connect } from './client.js';
import { pgIdent, pgTable } from './sql.js';

/**
 * Change data capture from PostgreSQL logical replication (the built-in pgoutput plugin): a
 * publication names the table, a replication slot keeps every change until Caudal acknowledges it.
 * Changes arrive as whole transactions; a batch takes complete transactions only, and the slot is
 * acknowledged (its confirmed_flush_lsn advanced) only after every sink of the run committed. A run
 * that fails or is killed leaves the slot where it was, so the changes come again: at-least-once,
 * exactly-once into sinks that upsert and delete by key.
 */
export interface CdcSpec {
  table: { schema: string; name: string };
  slot: string;
  publication: string;
  /** Create the publication and the slot when they are missing. */
  create: boolean;
  maxRows: number;
  maxWaitMs: number;
}

export type ChangeOp = 'insert' | 'update' | 'delete';

export interface Change {
  op: ChangeOp;
  lsn: string;
  commitTime: string;
  /** Column values as PostgreSQL's text output (NULL as null); for deletes, the key (or old row). */
  values: Record<string, string | null>;
}

interface ReadControl {
  watch: boolean;
  stopping(): boolean;
  isCancelled(): boolean;
}

const POLL_MS = 20;

/** Compares PostgreSQL LSNs ("16/B374D848"). */
export function lsnValue(lsn: string): bigint {
  const [hi, lo] = lsn.split('/');
  return (BigInt(`0x${hi ?? '0'}`) << 32n) + BigInt(`0x${lo ?? '0'}`);
}

/** Ensures the publication and slot exist (or says what is missing); true when the slot was new. */
export async function ensureReplication(config: PostgresConfig, spec: CdcSpec, nodeId: string): Promise<boolean> {
  const client = await connect(config);
  try {
    const { rows: pub } = await client.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [spec.publication]);
    if (pub.length === 0) {
      if (!spec.create) throw missing(nodeId, `publication '${spec.publication}'`);
      await client.query(`CREATE PUBLICATION ${pgIdent(spec.publication)} FOR TABLE ${pgTable(spec.table)}`);
    }
    const { rows: slot } = await client.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [spec.slot]);
    if (slot.length > 0) return false;
    if (!spec.create) throw missing(nodeId, `replication slot '${spec.slot}'`);
    await client.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [spec.slot]);
    return true;
  } catch (e) {
    if (e instanceof CaudalError) throw e;
    const msg = errorMessage(e);
    throw new CaudalError('io', `node '${nodeId}': cannot set up change capture on ${spec.table.schema}.${spec.table.name}: ${msg}`, {
      nodeId,
      hint: /wal_level/.test(msg)
        ? 'the server needs wal_level = logical (postgresql.conf, then a restart)'
        : /permission|must be/.test(msg)
          ? 'the user needs the REPLICATION attribute and ownership of the table (or create the publication and slot as an administrator)'
          : undefined,
    });
  } finally {
    await client.end().catch(() => undefined);
  }
}

function missing(nodeId: string, what: string): CaudalError {
  return new CaudalError('validation', `node '${nodeId}': ${what} does not exist`, { nodeId, hint: 'create it, or set create to true to let Caudal create it' });
}

/** Drops the slot (and publication) — `caudal state reset` of a CDC source, and tests. */
export async function dropReplication(config: PostgresConfig, spec: Pick<CdcSpec, 'slot' | 'publication'>): Promise<void> {
  const client = await connect(config);
  try {
    await client.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1', [spec.slot]);
    await client.query(`DROP PUBLICATION IF EXISTS ${pgIdent(spec.publication)}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export class CdcSession {
  private readonly ready: Change[] = [];
  private open: Change[] = [];
  private commitTime = '';
  private serverLsn = 0n;
  private taken?: string;
  private failure?: Error;
  private resume?: () => void;

  private constructor(
    private readonly service: LogicalReplicationService,
    private readonly spec: CdcSpec,
  ) {}

  static async open(config: PostgresConfig, spec: CdcSpec): Promise<CdcSession> {
    const { LogicalReplicationService, PgoutputPlugin } = await import('pg-logical-replication');
    const service = new LogicalReplicationService(pgClientConfig(config), { acknowledge: { auto: false, timeoutSeconds: 0 }, flowControl: { enabled: true } });
    const session = new CdcSession(service, spec);
    service.on('error', (e: Error) => (session.failure = e));
    service.on('heartbeat', (lsn: string) => {
      const v = lsnValue(lsn);
      if (v > session.serverLsn) session.serverLsn = v;
    });
    service.on('data', (lsn: string, msg: Message) => session.onMessage(lsn, msg));
    const plugin = new PgoutputPlugin({ protoVersion: 1, publicationNames: [spec.publication] });
    keepText(plugin);
    void service.subscribe(plugin, spec.slot).catch((e: unknown) => {
      session.failure = e instanceof Error ? e : new Error(String(e));
    });
    return session;
  }

  private async onMessage(lsn: string, msg: Message): Promise<void> {
    const text = (row: Record<string, unknown> | null) => Object.fromEntries(Object.entries(row ?? {}).map(([k, v]) => [k, v === null || v === undefined ? null : String(v)]));
    switch (msg.tag) {
      case 'begin':
        this.open = [];
        this.commitTime = new Date(Number(msg.commitTime) / 1000).toISOString();
        break;
      case 'insert':
        this.open.push({ op: 'insert', lsn, commitTime: this.commitTime, values: text(msg.new) });
        break;
      case 'update':
        this.open.push({ op: 'update', lsn, commitTime: this.commitTime, values: text(msg.new) });
        break;
      case 'delete':
        this.open.push({ op: 'delete', lsn, commitTime: this.commitTime, values: text(msg.key ?? msg.old) });
        break;
      case 'commit': {
        const end = msg.commitEndLsn ?? lsn;
        for (const c of this.open) c.lsn = end;
        this.ready.push(...this.open);
        this.open = [];
        const v = lsnValue(end);
        if (v > this.serverLsn) this.serverLsn = v;
        break;
      }
    }
    // Backpressure: hold the stream while a large batch waits to be taken.
    if (this.ready.length >= this.spec.maxRows * 2) await new Promise<void>((r) => (this.resume = r));
  }

  /** Complete transactions only; a plain run reads up to the WAL position when it started. */
  async read(config: PostgresConfig, control: ReadControl): Promise<{ changes: Change[]; waitedMs: number }> {
    const t0 = Date.now();
    if (control.watch) {
      while (this.ready.length === 0) {
        this.check(control);
        if (control.stopping()) throw new CaudalError('cancelled', 'stopped while waiting for changes');
        await sleep(POLL_MS);
      }
      const until = Date.now() + this.spec.maxWaitMs;
      while (this.ready.length < this.spec.maxRows && Date.now() < until) {
        this.check(control);
        await sleep(POLL_MS);
      }
    } else {
      const target = await currentLsn(config);
      let lastPing = 0;
      while (this.ready.length < this.spec.maxRows && this.serverLsn < target) {
        this.check(control);
        // Ask for a keepalive, which reports the server's position even when no change is for us
        // (a status update below the slot's position changes nothing on the server).
        if (Date.now() - lastPing > 200) {
          lastPing = Date.now();
          await this.service.acknowledge('0/0', true).catch(() => undefined);
        }
        await sleep(POLL_MS);
      }
    }
    // Whole transactions, up to maxRows (a transaction larger than that is taken whole).
    let n = 0;
    let end = 0;
    while (end < this.ready.length && (n < this.spec.maxRows || this.ready[end]!.lsn === this.ready[end - 1]?.lsn)) {
      end++;
      n++;
    }
    const changes = this.ready.splice(0, end);
    this.taken = changes.at(-1)?.lsn ?? this.taken;
    this.resume?.();
    this.resume = undefined;
    return { changes, waitedMs: Date.now() - t0 };
  }

  private check(control: ReadControl): void {
    if (control.isCancelled()) throw new CaudalError('cancelled', 'the run was cancelled');
    if (this.failure) throw new CaudalError('io', `change capture stopped: ${errorMessage(this.failure)}`);
  }

  /** Advances the slot past the last batch (after every sink committed). */
  async acknowledge(): Promise<void> {
    if (this.taken) await this.service.acknowledge(this.taken);
  }

  async close(): Promise<void> {
    this.resume?.();
    await this.service.stop().catch(() => undefined);
  }
}

/**
 * Keeps PostgreSQL's text output for every column (DuckDB then converts it exactly with the column's
 * type) instead of node-postgres's JavaScript values (a timestamp would lose its microseconds). The
 * plugin takes each column's parser from node-postgres's global registry when it reads a relation
 * message; it has no option for this, so its parser's column reader is wrapped. Pinned version
 * (package.json); test/postgres-cdc.test.ts checks timestamps with microseconds.
 */
function keepText(plugin: object): void {
  const parser = (plugin as { parser?: { readRelationColumn?: (reader: unknown) => Record<string, unknown> } }).parser;
  const read = parser?.readRelationColumn?.bind(parser);
  if (!parser || !read) throw new Error('pg-logical-replication changed: its pgoutput parser has no readRelationColumn');
  parser.readRelationColumn = (reader) => ({ ...read(reader), parser: (v: unknown) => v });
}

async function currentLsn(config: PostgresConfig): Promise<bigint> {
  const client = await connect(config);
  try {
    const { rows } = await client.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
    return lsnValue(rows[0]!.lsn);
  } finally {
    await client.end().catch(() => undefined);
  }
}
