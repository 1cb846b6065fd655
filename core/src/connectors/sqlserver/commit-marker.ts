import { createHash } from 'node:crypto';
import type mssql from 'mssql';
import type { SqlServerConfig } from '../../connections/sqlserver/sqlserver.connection.js';
import { CaudalError, errorMessage } from '../../util/errors.js';
import { ownerIsDead, ownerOf, ownerTag, shortRunId } from '../../util/owner.js';
import { closePool, connectSqlServer, GOODBYE_MS, loadMssql } from './client.js';
import { settledWithin } from '../../util/settled-within.js';
import { tsqlTable } from './sql.js';

/**
 * What tells, after a COMMIT whose answer never came (the connection reset after the server
 * committed, or before it did), whether the load committed: SQL Server keeps no record of a
 * transaction's outcome that another session could ask for (PostgreSQL's txid_status), and its
 * transaction ids die with it. So the load's transaction leaves one of its own:
 * - an empty table in the target's schema, its commit marker: DDL is transactional in SQL Server,
 *   so after the transaction the marker exists exactly when it committed;
 * - an application lock of its own, owned by the transaction: a new session that gets it knows
 *   the transaction is over (a session the server has not seen go yet keeps it open, and a COMMIT
 *   that was sent may still be running).
 * The marker is dropped once the commit is known. Creating it needs CREATE TABLE in the database
 * and ALTER on the schema; a login without them loads as before, and a lost answer then leaves the
 * outcome unknown, said as such.
 */
export interface CommitMarker {
  schema: string;
  name: string;
  /** The application lock the transaction holds until it ends. */
  lock: string;
  /** False when the login may not create the table: the outcome of a lost answer cannot be told. */
  made: boolean;
}

/** Markers older than this are swept whoever left them (a run's transaction never lasts that long). */
const STALE_HOURS = 24 * 7;

/** How long the question after a lost answer waits for the old transaction to end. */
export const SETTLE_MS = 60_000;

/** `caudal_commit_<run>_<owner>_<node hash>`: unique per load, and its owner tells a dead run's leftover. */
export function commitMarkerName(ctx: { runId: string; nodeId: string }): string {
  const node = createHash('sha256').update(ctx.nodeId).digest('hex').slice(0, 8);
  return `caudal_commit_${shortRunId(ctx.runId)}_${ownerTag()}_${node}`;
}

/** The table that marks the commit, as T-SQL names it. */
export const markerTable = (m: Pick<CommitMarker, 'schema' | 'name'>) => tsqlTable({ schema: m.schema, name: m.name });

/**
 * Takes the marker's lock and creates the marker inside the load's transaction (when the login may:
 * a refused CREATE only leaves the load without one). Fails when the transaction did not survive it
 * (SET XACT_ABORT ON in SQL before, a DDL trigger that rolls back).
 */
export async function placeCommitMarker(request: () => mssql.Request, schema: string, name: string): Promise<CommitMarker> {
  const sql = await loadMssql();
  const marker = { schema, name, lock: `caudal-commit:${name}` };
  const r = await request()
    .input('lock', sql.NVarChar(255), marker.lock)
    .input('schema', sql.NVarChar(128), schema)
    .query<{ locked: number; made: boolean | number; state: number; depth: number }>(
      `DECLARE @locked int, @made bit = 0;
EXEC @locked = sp_getapplock @Resource = @lock, @LockMode = 'Exclusive', @LockOwner = 'Transaction', @LockTimeout = 0;
IF HAS_PERMS_BY_NAME(DB_NAME(), 'DATABASE', 'CREATE TABLE') = 1 AND HAS_PERMS_BY_NAME(QUOTENAME(@schema), 'SCHEMA', 'ALTER') = 1
BEGIN
  BEGIN TRY
    CREATE TABLE ${markerTable(marker)} ([committed] bit NULL);
    SET @made = 1;
  END TRY
  BEGIN CATCH
    SET @made = 0;
  END CATCH
END
SELECT @locked AS locked, @made AS made, XACT_STATE() AS state, @@TRANCOUNT AS depth`,
    );
  const row = r.recordset[0];
  if (row?.state !== 1) {
    throw new CaudalError('execution', `the load's transaction did not survive creating its commit marker ${markerTable(marker)} (XACT_STATE ${String(row?.state)}): nothing was written`, {
      hint: 'a DDL trigger that rolls back, or SET XACT_ABORT ON in SQL before with a CREATE TABLE refused, ends the transaction: fix that, or let the login create no tables (the load then goes without a marker)',
    });
  }
  // Without its lock the marker could be looked at before the transaction is over: no marker then.
  return { ...marker, made: Boolean(row.made) && row.locked >= 0 };
}

/**
 * After a commit whose outcome is known: drops the marker, and markers that dead runs left in the
 * same schema (their process gone from this host, or older than a week). Best effort, bounded:
 * a leftover is an empty table, swept by a later load into the schema.
 */
export async function dropCommitMarker(pool: mssql.ConnectionPool, marker: CommitMarker, ms = GOODBYE_MS): Promise<void> {
  if (!marker.made) return;
  const sql = await loadMssql();
  const work = async () => {
    await pool.request().batch(`DROP TABLE IF EXISTS ${markerTable(marker)}`);
    // Reads past the markers of loads still in their transaction (listed uncommitted; their owner is alive).
    const found = await pool
      .request()
      .input('schema', sql.NVarChar(128), marker.schema)
      .input('hours', sql.Int, STALE_HOURS)
      .query<{ name: string; stale: number }>(
        `SET TRANSACTION ISOLATION LEVEL READ UNCOMMITTED;
SELECT name, CASE WHEN create_date < DATEADD(hour, -@hours, GETDATE()) THEN 1 ELSE 0 END AS stale FROM sys.tables WHERE schema_id = SCHEMA_ID(@schema) AND name LIKE 'caudal[_]commit[_]%';
SET TRANSACTION ISOLATION LEVEL READ COMMITTED`,
      );
    const dead = found.recordset.filter((t) => t.name !== marker.name && (t.stale === 1 || isDeadOwners(t.name)));
    for (const t of dead) await pool.request().batch(`SET LOCK_TIMEOUT 2000; DROP TABLE IF EXISTS ${markerTable({ schema: marker.schema, name: t.name })}`);
  };
  await settledWithin(work().catch(() => undefined), ms);
}

/** A marker whose run's process is gone from this host (the owner part of its name, not a run id that looks like one). */
function isDeadOwners(name: string): boolean {
  const tag = /^caudal_commit_[A-Za-z0-9]+_(h[0-9a-f]{4}p\d+)_[0-9a-f]{8}$/.exec(name)?.[1];
  const owner = tag === undefined ? undefined : ownerOf(tag);
  return owner !== undefined && ownerIsDead(owner);
}

export type CommitOutcome = { committed: true } | { committed: false } | { unknown: string };

/**
 * Whether a load whose COMMIT answer was lost committed, asked from a new session once the old
 * transaction is over (its lock free): the marker exists exactly when it did. `unknown` says why
 * it cannot be told (no marker, the server unreachable, the transaction still open after SETTLE_MS).
 */
export async function commitOutcome(config: SqlServerConfig, marker: CommitMarker, settleMs = SETTLE_MS): Promise<CommitOutcome> {
  if (!marker.made) return { unknown: 'the login may not create tables, so the load left no marker telling whether it committed' };
  const sql = await loadMssql();
  let pool: mssql.ConnectionPool;
  try {
    pool = await connectSqlServer(config);
  } catch (e) {
    return { unknown: `the server could not be asked afterwards whether it committed (${errorMessage(e)})` };
  }
  try {
    const r = await pool
      .request()
      .input('lock', sql.NVarChar(255), marker.lock)
      .input('ms', sql.Int, settleMs)
      .input('marker', sql.NVarChar(600), markerTable(marker))
      .query<{ locked: number; id: number | null }>(
        `DECLARE @locked int;
EXEC @locked = sp_getapplock @Resource = @lock, @LockMode = 'Exclusive', @LockOwner = 'Session', @LockTimeout = @ms;
SELECT @locked AS locked, CASE WHEN @locked >= 0 THEN OBJECT_ID(@marker, 'U') END AS id;
IF @locked >= 0 EXEC sp_releaseapplock @Resource = @lock, @LockOwner = 'Session'`,
      );
    const row = r.recordset[0];
    if (!row || row.locked < 0) return { unknown: `its transaction was still open on the server ${Math.round(settleMs / 1000)} s later` };
    if (row.id === null || row.id === undefined) return { committed: false };
    await dropCommitMarker(pool, marker);
    return { committed: true };
  } catch (e) {
    return { unknown: `the server could not be asked afterwards whether it committed (${errorMessage(e)})` };
  } finally {
    await closePool(pool);
  }
}
