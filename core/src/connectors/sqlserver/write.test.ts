import { EventEmitter } from 'node:events';
import realSql from 'mssql';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { Db } from '../../compiler/db.js';
import type * as Client from './client.js';
import { sqlserverFields } from '../../connections/sqlserver/sqlserver.connection.js';
import type { ExternalStage, HookIo } from '../../nodes/define.js';
import { ownerTag } from '../../util/owner.js';
import { abandonTransaction } from './client.js';
import { type SqlServerWriteSpec, writeSqlServer } from './write.js';

/**
 * The load's transaction when things go wrong: a failure while a bulk batch is on the wire, a
 * ROLLBACK the server never answers, a COMMIT whose answer is lost. No SQL Server can run here: the
 * server is a fake that keeps what a transaction created apart until it commits, its sessions, and
 * its application locks, behind the driver's own Transaction class (which refuses a ROLLBACK while a
 * request runs, and lends the connection out until it ends); requests are fakes answering the
 * statements the load sends.
 */

type Callback = (err?: Error | null) => void;
const lost = (what = 'read ECONNRESET') => Object.assign(new Error(`Connection lost - ${what}`), { code: 'ESOCKET' });

class Session extends EventEmitter {
  closed = false;
  /** Objects created by the open transaction; they exist for others once it commits. */
  pending = new Set<string>();
  locks = new Set<string>();
  pendingCallback?: Callback;
  constructor(readonly server: FakeServer) {
    super();
  }
  beginTransaction(cb: Callback) {
    setImmediate(cb);
  }
  commitTransaction(cb: Callback) {
    this.server.commit(this, cb);
  }
  rollbackTransaction(cb: Callback) {
    if (this.server.rollbackAnswers) {
      this.end();
      setImmediate(cb);
    } else this.pendingCallback = cb;
  }
  /** The transaction ends: what it created goes, its locks are freed. */
  end() {
    this.pending.clear();
    for (const l of this.locks) this.server.locks.delete(l);
    this.locks.clear();
  }
  close() {
    if (this.closed) return;
    this.closed = true;
    this.server.closedSessions++;
    // The server rolls back the transaction of a session that ends.
    this.end();
    const cb = this.pendingCallback;
    this.pendingCallback = undefined;
    if (cb) setImmediate(cb, Object.assign(new Error('Connection closed before request completed.'), { code: 'ECLOSE' }));
  }
}

class FakeServer {
  committed = new Set<string>();
  locks = new Map<string, Session>();
  sessions: Session[] = [];
  closedSessions = 0;
  statements: string[] = [];
  canCreateTables = true;
  rollbackAnswers = true;
  reachable = true;
  /** ok, or the connection is lost after the server committed, or before it did. */
  commitGoes: 'ok' | 'lost-after-commit' | 'lost-before-commit' = 'ok';
  bulkMs = 0;
  rolledBack = 0;
  /** Markers in the schema, as sys.tables lists them after the commit. */
  leftovers: Array<{ name: string; stale: boolean }> = [];

  commit(s: Session, cb: Callback) {
    if (this.commitGoes === 'lost-before-commit') {
      s.close();
      setImmediate(cb, lost());
      return;
    }
    for (const o of s.pending) this.committed.add(o);
    s.pending.clear();
    s.end();
    if (this.commitGoes === 'lost-after-commit') {
      s.close();
      setImmediate(cb, lost());
      return;
    }
    setImmediate(cb);
  }

  async execute(s: Session, text: string, inputs: Record<string, unknown>): Promise<Array<Record<string, unknown>>> {
    if (s.closed) throw Object.assign(new Error('Requests can only be made in the LoggedIn state, not the Final state'), { code: 'EINVALIDSTATE' });
    this.statements.push(text);
    await new Promise((r) => setImmediate(r));
    if (text.includes("@LockOwner = 'Transaction'") && !text.includes('HAS_PERMS_BY_NAME')) {
      this.take(s, String(inputs.res));
      return [{ r: 0 }];
    }
    if (text.includes('HAS_PERMS_BY_NAME')) {
      const locked = this.take(s, String(inputs.lock));
      const marker = /CREATE TABLE (\S+) /.exec(text)![1]!;
      if (this.canCreateTables) s.pending.add(marker);
      return [{ locked, made: this.canCreateTables, state: 1, depth: 1 }];
    }
    if (text.includes("@LockOwner = 'Session'")) {
      // Asked from a new session: the lock is free once the old transaction is over.
      const holder = this.locks.get(String(inputs.lock));
      if (holder && holder !== s) return [{ locked: -1, id: null }];
      return [{ locked: 0, id: this.committed.has(String(inputs.marker)) ? 42 : null }];
    }
    if (text.includes("OBJECT_ID(@t, 'U') AS id")) {
      return [
        { id: 7, name: 'id', type: 'int', precision: 10, scale: 0 },
        { id: 7, name: 'amount', type: 'decimal', precision: 10, scale: 2 },
      ];
    }
    if (text.includes('XACT_STATE()')) return [{ state: 1, depth: 1 }];
    const drop = /DROP TABLE IF EXISTS (\S+)/.exec(text);
    if (drop) this.committed.delete(drop[1]!);
    if (text.includes('FROM sys.tables')) return this.leftovers.map((l) => ({ name: l.name, stale: l.stale ? 1 : 0 }));
    return [];
  }

  take(s: Session, resource: string): number {
    const holder = this.locks.get(resource);
    if (holder && holder !== s) return -1;
    this.locks.set(resource, s);
    s.locks.add(resource);
    return 0;
  }
}

/** One connection, lent to a transaction until it ends: closing waits for it, as the driver's pool (tarn) does. */
class FakePool {
  connected = true;
  config = {};
  conn: Session;
  lent = false;
  closed = false;
  private waiting: Array<() => void> = [];
  constructor(readonly server: FakeServer) {
    this.conn = new Session(server);
    server.sessions.push(this.conn);
  }
  acquire(_requester: unknown, cb: (err: Error | null, conn?: Session, config?: object) => void) {
    this.lent = true;
    setImmediate(cb, null, this.conn, {});
  }
  release(conn: Session) {
    if (conn !== this.conn) return;
    this.lent = false;
    for (const w of this.waiting.splice(0)) w();
  }
  request() {
    return new FakeRequest(this);
  }
  on() {
    return this;
  }
  async close() {
    if (this.lent) await new Promise<void>((r) => this.waiting.push(r));
    this.conn.close();
    this.closed = true;
  }
}

class FakeRequest {
  inputs: Record<string, unknown> = {};
  constructor(readonly parent: realSql.Transaction | FakePool) {}
  input(name: string, _type: unknown, value: unknown) {
    this.inputs[name] = value;
    return this;
  }
  private async run(text: string, bulk = false) {
    const parent = this.parent;
    if (parent instanceof FakePool) {
      const rows = await parent.server.execute(parent.conn, text, this.inputs);
      return { recordset: rows, recordsets: [rows], rowsAffected: [rows.length] };
    }
    // On a transaction: the driver's acquire, which refuses a second request at a time.
    const conn = await new Promise<Session>((resolve, reject) => (parent as unknown as { acquire(r: unknown, cb: (e: Error | null, c: Session) => void): void }).acquire(this, (e, c) => (e ? reject(e) : resolve(c))));
    try {
      if (bulk) await new Promise((r) => setTimeout(r, conn.server.bulkMs));
      const rows = await conn.server.execute(conn, text, this.inputs);
      return { recordset: rows, recordsets: [rows], rowsAffected: [rows.length] };
    } finally {
      (parent as unknown as { release(c: Session): void }).release(conn);
    }
  }
  query(text: string) {
    return this.run(text);
  }
  batch(text: string) {
    return this.run(text);
  }
  bulk() {
    return this.run('BULK', true);
  }
  cancel() {}
}

const harness = vi.hoisted(() => ({ server: undefined as unknown, pools: [] as unknown[] }));
vi.mock('./client.js', async (importOriginal) => {
  const real = await importOriginal<typeof Client>();
  const mssql = (await import('mssql')).default;
  return {
    ...real,
    loadMssql: async () => ({ ...mssql, Request: FakeRequestProxy }),
    connectSqlServer: async () => {
      const server = harness.server as FakeServer;
      if (!server.reachable) throw Object.assign(new Error('Failed to connect to db:1433 - connect ECONNREFUSED'), { code: 'ESOCKET' });
      const pool = new FakePool(server);
      harness.pools.push(pool);
      return pool;
    },
  };
});
// The mock factory is hoisted above the classes: it reaches them through this.
function FakeRequestProxy(parent: realSql.Transaction | FakePool) {
  return new FakeRequest(parent);
}

let db: Db;
let server: FakeServer;
const warnings: string[] = [];
const io = (): HookIo => ({ db, isCancelled: () => false, log: () => undefined, warn: (m) => warnings.push(m), progress: () => undefined });
const config = sqlserverFields.parse({ host: 'db', database: 'erp', user: 'etl', password: 's3cret!' });
const spec: SqlServerWriteSpec = { table: { schema: 'sales', name: 'orders' }, mode: 'append', createTable: true, upsertMethod: 'merge', batchRows: 100_000 };
const ctx = { nodeId: 'load', connection: 'erp', runId: '20240101T000000-abcd1234' };
const columns = [
  { name: 'id', type: 'INTEGER' },
  { name: 'amount', type: 'DECIMAL(10,3)' },
];
const load = (relation: string) => writeSqlServer(config, spec, { relation, columns, tempDir: '/tmp' }, io(), ctx);

/** The promise's outcome, or a failure saying it was still running after `ms` (the run would hang). */
function within<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([p, new Promise<T>((_r, reject) => setTimeout(() => reject(new Error(`still running after ${ms} ms: the run would hang`)), ms))]);
}

beforeAll(async () => {
  db = await Db.open({ threads: 1 });
  await db.run(`CREATE TABLE good AS SELECT i::INTEGER AS id, 1.25::DECIMAL(10,3) AS amount FROM range(1000) r(i)`);
  // A value the table's decimal(10,2) would round, far enough in for batches to be on the wire by then.
  await db.run(`CREATE TABLE rounded AS SELECT i::INTEGER AS id, CASE WHEN i = 300000 THEN 12.345 ELSE 1.25 END::DECIMAL(10,3) AS amount FROM range(400000) r(i)`);
});
afterAll(() => db.close());
beforeEach(() => {
  server = new FakeServer();
  harness.server = server;
  harness.pools = [];
  warnings.length = 0;
});

describe('a failing load ends its transaction and lets go of the table', () => {
  it('a value DuckDB refuses while a bulk batch is on the wire fails the load naming the column, rolls back and closes, instead of hanging with the table locked', async () => {
    server.bulkMs = 200;
    const failure = await within(load('rounded'), 5000).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(failure?.message).toMatch(/^node 'load': (Invalid Input Error: )?column "amount" holds 12\.345/);
    // Rolled back: nothing the transaction made exists, and its locks are free.
    expect(server.committed.size).toBe(0);
    expect(server.locks.size).toBe(0);
    expect((harness.pools[0] as FakePool).closed).toBe(true);
  });

  it('DuckDB failing while a bulk batch is on the wire: the batch ends, the ROLLBACK goes through and the pool closes (the driver refused a ROLLBACK while the batch ran, and closing waited for ever)', async () => {
    server.bulkMs = 200;
    // DuckDB's stream as the driver gives it, throwing on its second chunk (the first one is a batch).
    const chunk = Array.from({ length: 2048 }, (_, i) => [i, '1.25']);
    async function* stream() {
      yield chunk;
      await new Promise((r) => setTimeout(r, 10));
      throw new Error('Invalid Input Error: column "amount" holds 12.345');
    }
    const failing = { ...io(), db: { stream } as unknown as Db };
    const write = writeSqlServer(config, { ...spec, batchRows: 2048 }, { relation: 'rounded', columns, tempDir: '/tmp' }, failing, ctx);
    await expect(within(write, 5000)).rejects.toThrow('column "amount" holds 12.345');
    expect(server.locks.size).toBe(0);
    expect((harness.pools[0] as FakePool).closed).toBe(true);
  });

  it('a ROLLBACK the server never answers does not hold the run: the connection is closed instead (the server rolls back a session that ends)', async () => {
    server.rollbackAnswers = false;
    const tx = new realSql.Transaction(new FakePool(server) as unknown as realSql.ConnectionPool);
    const pool = (tx as unknown as { parent: FakePool }).parent;
    await tx.begin();
    await new FakeRequest(tx).batch('INSERT INTO [sales].[orders] SELECT 1');
    await within(abandonTransaction(tx, pool as unknown as realSql.ConnectionPool, 100), 2000);
    expect(pool.conn.closed).toBe(true);
    expect(pool.closed).toBe(true);
  });

  it('a ROLLBACK the driver refuses because a request still runs closes the connection at once, and the pool closes', async () => {
    const tx = new realSql.Transaction(new FakePool(server) as unknown as realSql.ConnectionPool);
    const pool = (tx as unknown as { parent: FakePool }).parent;
    await tx.begin();
    // A request that holds the transaction's connection and never ends.
    await new Promise<void>((resolve) => (tx as unknown as { acquire(r: unknown, cb: () => void): void }).acquire({}, resolve));
    await within(abandonTransaction(tx, pool as unknown as realSql.ConnectionPool, 1000), 500);
    expect(pool.conn.closed).toBe(true);
    expect(pool.closed).toBe(true);
  });
});

describe('a lost answer to COMMIT is not a lost commit', () => {
  const staged = async (): Promise<ExternalStage> => {
    const stage = await load('good');
    await stage.prepare({ twoPhase: false });
    return stage;
  };
  const markers = () => [...server.committed].filter((o) => o.includes('caudal_commit_'));

  it('a commit that went through leaves no marker behind', async () => {
    const stage = await staged();
    await stage.commit();
    expect(markers()).toEqual([]);
    expect(server.statements.some((s) => /CREATE TABLE \[sales\]\.\[caudal_commit_abcd1234_h[0-9a-f]{4}p\d+_[0-9a-f]{8}\]/.test(s))).toBe(true);
  });

  it('after a commit, markers that killed runs left in the schema go (their process gone from this host, or a week old); those of live runs stay', async () => {
    const host = ownerTag().slice(1, 5);
    const other = host === 'beef' ? 'cafe' : 'beef';
    server.leftovers = [
      { name: `caudal_commit_deadrun1_h${host}p999999999_0123abcd`, stale: false },
      { name: `caudal_commit_oldrun12_h${other}p42_0123abcd`, stale: true },
      { name: `caudal_commit_liverun1_${ownerTag()}_0123abcd`, stale: false },
      { name: `caudal_commit_otherhst_h${other}p42_0123abcd`, stale: false },
    ];
    const stage = await staged();
    await stage.commit();
    const dropped = server.statements.filter((t) => t.includes('DROP TABLE IF EXISTS [sales].[caudal_commit_')).map((t) => /\[(caudal_commit_[^\]]+)\]/.exec(t)![1]);
    // The first one dropped is the load's own marker.
    expect(dropped.slice(1)).toEqual([`caudal_commit_deadrun1_h${host}p999999999_0123abcd`, `caudal_commit_oldrun12_h${other}p42_0123abcd`]);
  });

  it('the connection lost after the server committed: the load is a success (a warning says so), so the other destinations are not undone and a rerun does not load the rows again', async () => {
    const stage = await staged();
    server.commitGoes = 'lost-after-commit';
    await expect(stage.commit()).resolves.toBeUndefined();
    expect(warnings.join('\n')).toMatch(/the answer to COMMIT never came \(Connection lost - read ECONNRESET\), but the load's commit marker shows that table \[sales\]\.\[orders\] committed/);
    // Asked from a new session, which dropped the marker once it had answered.
    expect(harness.pools.length).toBe(2);
    expect(markers()).toEqual([]);
  });

  it('the connection lost before the server committed: the load fails saying the table is unchanged', async () => {
    const stage = await staged();
    server.commitGoes = 'lost-before-commit';
    await expect(stage.commit()).rejects.toThrow("node 'load' (connection 'erp'): the answer to COMMIT never came (Connection lost - read ECONNRESET); the server did not commit, so table [sales].[orders] is unchanged");
  });

  it('the server unreachable afterwards: the outcome is unknown, said as such, with the marker table that tells', async () => {
    const stage = await staged();
    server.commitGoes = 'lost-after-commit';
    server.reachable = false;
    const failure = (await stage.commit().then(
      () => undefined,
      (e: unknown) => e,
    )) as { message: string; hint?: string };
    expect(failure.message).toMatch(/^node 'load' \(connection 'erp'\): the answer to COMMIT never came \(Connection lost - read ECONNRESET\) and the server could not be asked afterwards whether it committed .*: table \[sales\]\.\[orders\] may or may not have the new rows$/);
    expect(failure.hint).toMatch(/^check before running again: the load committed exactly when table \[sales\]\.\[caudal_commit_abcd1234_h[0-9a-f]{4}p\d+_[0-9a-f]{8}\] exists in the database/);
    expect(failure.message).not.toContain('s3cret!');
  });

  it('a login that may not create tables loads without a marker, and a lost answer then leaves the outcome unknown, with what to grant', async () => {
    server.canCreateTables = false;
    const stage = await staged();
    server.commitGoes = 'lost-after-commit';
    const failure = (await stage.commit().then(
      () => undefined,
      (e: unknown) => e,
    )) as { message: string; hint?: string };
    expect(failure.message).toMatch(/may not create tables, so the load left no marker telling whether it committed: table \[sales\]\.\[orders\] may or may not have the new rows/);
    expect(failure.hint).toMatch(/CREATE TABLE in the database and ALTER on schema \[sales\]/);
  });

  it('a COMMIT the server refused (its own error) fails the load without asking again', async () => {
    const stage = await staged();
    server.commit = (s, cb) => {
      s.end();
      setImmediate(cb, Object.assign(new Error('The transaction log for database is full'), { number: 9002 }));
    };
    await expect(stage.commit()).rejects.toThrow(/SQL Server said: The transaction log for database is full/);
    expect(harness.pools.length).toBe(1);
  });
});
