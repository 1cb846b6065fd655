import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { PostgresConfig } from '../../connections/postgres/postgres.connection.js';
import type { Column, ExternalRecovery, ExternalStage, HookIo } from '../../nodes/define.js';
import type { Problem } from '../../util/errors.js';
import { CaudalError, errorMessage } from '../../util/errors.js';
import { didYouMean } from '../../util/suggest.js';
import type { WriteContext, WriteSource, WriteSpec } from '../connector.js';
import type { Backend } from './cancel.js';
import { backendOf, cancelOnServer } from './cancel.js';
import { closeWithin, commitStatementWithin, connect, endTransactionWithin } from './client.js';
import { refusedColumn } from '../assign.js';
import { tableLockKey } from '../table-lock.js';
import { copyIntoTable } from './copy-in.js';
import { catalogConflict, explainPgError } from './errors.js';
import { pgIdent, pgTable } from './sql.js';
import { failpoint } from '../../util/failpoint.js';
import { pgTargetType, pgTypeFor } from './types.js';

type Ctx = Pick<WriteContext, 'nodeId' | 'connection'>;

/**
 * Loads a relation into a PostgreSQL table inside one transaction that stays open until the run
 * commits every sink: the target changes all at once, or (failure, cancel, a killed connection)
 * not at all, because PostgreSQL rolls back an unfinished transaction.
 *
 * - append: COPY into the target.
 * - truncate_insert: TRUNCATE, then COPY (readers wait for the lock until the run commits).
 * - replace: COPY into a new table with the data's columns, then drop the old and rename.
 * - upsert: COPY into a temp staging table, then INSERT … ON CONFLICT (keys) DO UPDATE when a
 *   unique index covers the keys, else UPDATE … FROM + INSERT … WHERE NOT EXISTS.
 */
export async function writePostgres(config: PostgresConfig, spec: WriteSpec, source: WriteSource, io: HookIo, ctx: WriteContext): Promise<ExternalStage> {
  const client = await connect(config, (m) => io.log(m)).catch((e: unknown) => {
    throw explainPgError(e, { ...ctx, spec, password: config.password });
  });
  // The load's server session, by pid and start time: a cancel, the lock watch and the settling of
  // a lost commit's session must touch it and no other (behind a pooler the driver's connect key
  // names no backend, and could be another session's pid).
  const backend = await backendOf(client).catch(() => undefined);
  // Cancel stops the statement on the server (a long COPY or merge would otherwise run to its end
  // before the server noticed a closed session); the transaction then rolls back, target untouched.
  // Then the client is ended: a statement whose server stopped answering would never return.
  const serverSide = cancelOnServer(io, config, backend, () => void client.end().catch(() => undefined));
  const lockWatch = watchLockWaits(config, backend, spec, io);
  let existing: Map<string, string> | undefined;
  try {
    await client.query('BEGIN');
    // The transaction stays open, idle, until the run commits (after its other sinks): a server's
    // idle_in_transaction_session_timeout must not end it, and the load with it, meanwhile.
    await client.query('SET LOCAL idle_in_transaction_session_timeout = 0');
    // The transaction's id (with its epoch): if the run dies once it decided to commit, recovery
    // asks the server whether this transaction committed when its prepared one is gone
    // (txid_status), rather than taking "not found" for "committed".
    const { rows: xidRows } = await client.query<{ xid: string }>('SELECT txid_current()::text AS xid');
    const xid = xidRows[0]!.xid;
    await lockTable(client, config, spec, io, ctx);
    if (spec.preSql) await userStatement(client, spec.preSql, 'pre_sql', config, spec, ctx);
    const target = pgTable(spec.table);
    await lockTarget(client, spec);
    existing = await tableColumns(client, spec);
    let rows: number;
    if (spec.mode === 'replace') {
      rows = await replace(client, spec, source, existing !== undefined, io);
    } else {
      if (existing === undefined) {
        if (!spec.createTable) {
          throw new CaudalError('validation', `node '${ctx.nodeId}': table "${spec.table.schema}"."${spec.table.name}" does not exist in connection '${ctx.connection}'`, {
            nodeId: ctx.nodeId,
            hint: 'create it first, or set create_table to true',
          });
        }
        await createTable(client, spec.table, source.columns, spec.mode === 'upsert' ? spec.keys : undefined);
      } else {
        checkColumns(ctx, spec, source.columns, existing);
        checkAssignments(ctx, source.columns, existing);
        await checkIdentityColumns(client, ctx, spec, source.columns);
      }
      if (spec.mode === 'truncate_insert') await client.query(`TRUNCATE ${target}`);
      rows = spec.mode === 'upsert' ? await upsert(client, spec, source, io, ctx, existing) : await copyIntoTable(client, target, source, io, existing);
    }
    if (spec.postSql) await userStatement(client, spec.postSql, 'post_sql', config, spec, ctx);
    if (io.isCancelled()) throw new CaudalError('cancelled', 'the load was cancelled');
    await serverSide.stop();
    await lockWatch.stop();
    return preparedLoad(client, rows, config, spec, ctx, xid, backend);
  } catch (e) {
    // A cancel the load noticed itself (its own checks, DuckDB's side of the pipe) is sent to the
    // server too, and waited for: ROLLBACK would otherwise queue behind a statement still running.
    await serverSide.stop();
    await lockWatch.stop();
    // Nothing is committed yet: rolling back (or losing the connection) leaves the target as it was.
    // Bounded: a server that stopped answering must not keep a failed or cancelled run waiting.
    await endTransactionWithin(client, 'ROLLBACK');
    await closeWithin(client);
    if (io.isCancelled()) throw new CaudalError('cancelled', 'the load was cancelled; the target is unchanged');
    throw explainPgError(e, { ...ctx, spec, password: config.password, load: { input: source.columns, table: spec.mode === 'replace' ? undefined : existing } });
  }
}

/**
 * The sink's own SQL before or after the rows (in the load's transaction). A statement the server
 * refuses is reported as that statement's failure (node, which statement, the server's words),
 * never as a problem with the node's table or columns: the run failed, the pipeline is not invalid.
 */
async function userStatement(client: pg.Client, sql: string, field: 'pre_sql' | 'post_sql', config: PostgresConfig, spec: WriteSpec, ctx: Ctx): Promise<void> {
  try {
    await client.query(sql);
  } catch (e) {
    throw explainPgError(e, { ...ctx, spec, password: config.password, statement: field });
  }
}

/**
 * The load's part in the run's commit protocol. prepare() checks deferred constraints now
 * (`SET CONSTRAINTS ALL IMMEDIATE`), so a violation stops the run before any destination is
 * published; with `twoPhase` and a server that allows it (max_prepared_transactions > 0) it also
 * makes the transaction a prepared one (`PREPARE TRANSACTION`), durable on the server and certain
 * to commit. Without two-phase support, COMMIT can still fail late (e.g. the server is lost) : the
 * window documented in the user guide. `backend` is the load's session: ended from a new session
 * before its transaction's outcome is looked up after a lost answer.
 */
function preparedLoad(client: pg.Client, rows: number, config: PostgresConfig, spec: WriteSpec, ctx: WriteContext, xid: string, backend: Backend | undefined): ExternalStage {
  let state: 'open' | 'prepared' | 'done' = 'open';
  // A prepared transaction that may be left after a failed rollback: recovery must finish it.
  let unfinished = false;
  const gid = preparedId(ctx);
  // Journaled: which server the transaction is on, so only a connection to it recovers it.
  const recovery: ExternalRecovery = { connection: ctx.connection, ref: { gid, xid }, target: postgresRecoveryTarget(config) };
  const explain = (e: unknown) => explainPgError(e, { ...ctx, spec, password: config.password });
  const end = () => closeWithin(client);
  return {
    rows,
    // COMMIT (or COMMIT PREPARED): the server keeps all of the load or none of it.
    wholeOrNone: true,
    // finishPrepared does nothing when the transaction was never prepared.
    recoveryIntent: ({ twoPhase }) => (twoPhase ? recovery : undefined),
    async prepare({ twoPhase }) {
      let prepareSent = false;
      try {
        await client.query('SET CONSTRAINTS ALL IMMEDIATE');
        if (twoPhase && (await preparedTransactionsAllowed(client))) {
          prepareSent = true;
          await commitStatementWithin(client, `PREPARE TRANSACTION ${client.escapeLiteral(gid)}`, config.commit_timeout_s * 1000);
          failpoint('after-pg-prepare');
          state = 'prepared';
          return { twoPhase: true, recovery };
        }
        return { twoPhase: false };
      } catch (e) {
        await endTransactionWithin(client, 'ROLLBACK');
        state = 'done';
        await end();
        // The server may have prepared it and the answer been lost (a cut connection): a prepared
        // transaction outlives its session and would hold the table's locks until someone ends it.
        const failure = explain(e);
        if (prepareSent) {
          await rollBackPrepared(config, recovery, backend, ctx).catch((f: unknown) => {
            unfinished = true;
            throw new CaudalError('execution', `${failure.message}; ${errorMessage(f)}`, { nodeId: ctx.nodeId, hint: (f as CaudalError).hint });
          });
        }
        throw failure;
      }
    },
    async commit() {
      if (state === 'done') return;
      const prepared = state === 'prepared';
      state = 'done';
      try {
        await commitStatementWithin(client, prepared ? `COMMIT PREPARED ${client.escapeLiteral(gid)}` : 'COMMIT', config.commit_timeout_s * 1000);
      } catch (e) {
        // A prepared transaction outlives its session: finish it from a new one.
        if (!prepared) {
          if (serverAnswered(e)) throw explain(e);
          return await commitOutcomeAfterLostAnswer(config, xid, backend, ctx, explain(e));
        }
        const finished = await finishPrepared(config, recovery, 'commit').catch((f: unknown) => {
          throw new CaudalError('execution', `node '${ctx.nodeId}': the answer to COMMIT PREPARED never came (${errorMessage(e)}) and the server could not be asked again (${errorMessage(f)}): table "${spec.table.schema}"."${spec.table.name}" may or may not have the new rows`, {
            nodeId: ctx.nodeId,
            hint: `once the server answers, see there: SELECT * FROM pg_prepared_xacts WHERE gid = '${gid}' (still prepared: COMMIT PREPARED or ROLLBACK PREPARED it) and SELECT txid_status(${xid}) (committed or aborted)`,
          });
        });
        if (finished?.lost) throw new CaudalError('execution', `node '${ctx.nodeId}': ${finished.lost}`, { nodeId: ctx.nodeId });
      } finally {
        await end();
      }
    },
    async rollback() {
      if (state === 'done') return;
      const prepared = state === 'prepared';
      state = 'done';
      try {
        const ended = await endTransactionWithin(client, prepared ? `ROLLBACK PREPARED ${client.escapeLiteral(gid)}` : 'ROLLBACK');
        // Unprepared, the server rolls back a transaction whose session is gone. A prepared one stays
        // (holding its locks) until ended from a new session; when that fails too, the error names it
        // and how to end it, and unrestored() tells the protocol to hand it over to recovery.
        if (!ended && prepared) {
          await rollBackPrepared(config, recovery, backend, ctx).catch((f: unknown) => {
            unfinished = true;
            throw new CaudalError('execution', `node '${ctx.nodeId}': ${errorMessage(f)}`, { nodeId: ctx.nodeId, hint: (f as CaudalError).hint });
          });
        }
      } finally {
        await end();
      }
    },
    unrestored: () => unfinished,
  };
}

/** The server answered with an error (a SQLSTATE), rather than the connection failing: the outcome is known. */
function serverAnswered(e: unknown): boolean {
  return typeof (e as { severity?: unknown })?.severity === 'string';
}

/**
 * Ends the load's old session from a new one and waits until it is gone, so the transaction it ran
 * is settled: its COMMIT or PREPARE done or never to be (a backend still busy with one would
 * otherwise finish it after we looked). A session of another role may not be ended: then we wait.
 */
async function settleOldSession(client: pg.Client, backend: Backend | undefined): Promise<void> {
  if (!backend) return;
  // Only that very session (pid and start time), of this user: the pid may since name another session.
  const ours = `pid = $1 AND backend_start::text = $2 AND pid <> pg_backend_pid() AND usename = current_user AND application_name = 'caudal'`;
  const args = [backend.pid, backend.started];
  await client.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE ${ours}`, args).catch(() => undefined);
  for (let i = 0; i < 100; i++) {
    const { rowCount } = await client.query(`SELECT 1 FROM pg_stat_activity WHERE ${ours}`, args);
    if (!rowCount) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A COMMIT whose answer never came (the connection was cut): the server may have committed. Asked
 * from a new session once the old one is gone, the transaction's status says which; a committed
 * load is a success (reporting it failed would make a rerun load the rows twice). When the server
 * cannot be asked, the error says that the outcome is unknown.
 */
async function commitOutcomeAfterLostAnswer(config: PostgresConfig, xid: string, backend: Backend | undefined, ctx: WriteContext, failure: CaudalError): Promise<void> {
  let status: string | null | undefined;
  try {
    const other = await connect(config);
    try {
      await settleOldSession(other, backend);
      status = (await other.query<{ status: string | null }>('SELECT txid_status($1::bigint) AS status', [xid])).rows[0]?.status;
    } finally {
      await other.end().catch(() => undefined);
    }
  } catch (e) {
    throw new CaudalError('execution', `${failure.message}; the server could not be asked afterwards whether its COMMIT went through (${errorMessage(e)}), so the table may or may not have the new rows`, {
      nodeId: ctx.nodeId,
      hint: `check the table before running again: its transaction was ${xid} (SELECT txid_status(${xid}) on the server says committed or aborted)`,
    });
  }
  if (status === 'committed') return;
  throw failure;
}

/**
 * ROLLBACK PREPARED from a new session, once the load's old session is gone (it may still be busy
 * preparing). Fails with the prepared transaction's id and how to end it by hand.
 */
async function rollBackPrepared(config: PostgresConfig, recovery: ExternalRecovery, backend: Backend | undefined, ctx: WriteContext): Promise<void> {
  const gid = String(recovery.ref.gid);
  try {
    const other = await connect(config);
    try {
      await settleOldSession(other, backend);
    } finally {
      await other.end().catch(() => undefined);
    }
    await finishPrepared(config, recovery, 'rollback');
  } catch (e) {
    throw new CaudalError('execution', `the prepared transaction ${gid} on ${config.user}@${config.host}:${config.port}/${config.database} may still be there, holding its locks on the table: it could not be rolled back (${errorMessage(e)})`, {
      nodeId: ctx.nodeId,
      hint: `once the server answers, end it there: ROLLBACK PREPARED '${gid}'`,
    });
  }
}

/** `caudal:<run>:<node>`, within PostgreSQL's 200-byte limit for prepared-transaction ids. */
export function preparedId(ctx: Pick<WriteContext, 'runId' | 'nodeId'>): string {
  return `caudal:${ctx.runId}:${ctx.nodeId}`.slice(0, 199);
}

/** What identifies the server and database a load is on, for the journal (never the password). */
export function postgresRecoveryTarget(config: PostgresConfig): Record<string, string | number> {
  return { host: config.host, port: config.port, database: config.database, user: config.user };
}

/**
 * Recovery of a dead run's prepared load: COMMIT PREPARED or ROLLBACK PREPARED, if it still exists
 * in this database. A Spark run's load (`caudal run --engine spark`) also names its staging table
 * (`stageTable`: schema and name), a real table Spark's writer filled: dropped once the
 * transaction, which holds it locked, has ended (its publishing transaction drops it too, so after
 * a commit it is gone).
 *
 * A prepared transaction that is not there is not proof that it committed: when the commit was
 * decided and the run had not journaled it as done (`committed`), the server is asked. The
 * transaction's id (`xid`, journaled with the load) says committed or aborted (txid_status); a
 * Spark load's staging table, which only its committed transaction drops, says the same. Committed:
 * done. Aborted (someone ran ROLLBACK PREPARED): `{ lost }`, the rows were not loaded. Anything
 * else (no answer, another server): an error, and the journal entry stays pending.
 */
export async function finishPrepared(config: PostgresConfig, recovery: ExternalRecovery, action: 'commit' | 'rollback', opts: { committed?: boolean } = {}): Promise<void | { lost?: string }> {
  const gid = String(recovery.ref.gid);
  const stageTable = Array.isArray(recovery.ref.stageTable) && recovery.ref.stageTable.length === 2 ? recovery.ref.stageTable : undefined;
  const client = await connect(config);
  let outcome: { lost?: string } | undefined;
  try {
    const { rows } = await client.query('SELECT 1 FROM pg_prepared_xacts WHERE gid = $1 AND database = current_database()', [gid]);
    if (rows.length > 0) await client.query(`${action === 'commit' ? 'COMMIT' : 'ROLLBACK'} PREPARED ${client.escapeLiteral(gid)}`);
    else if (action === 'commit' && !opts.committed) outcome = await commitOutcome(client, config, recovery, gid, stageTable);
    if (stageTable) await client.query(`DROP TABLE IF EXISTS ${client.escapeIdentifier(stageTable[0]!)}.${client.escapeIdentifier(stageTable[1]!)}`);
  } catch (e) {
    if (e instanceof CaudalError) throw e;
    throw explainPgError(e, { nodeId: '', connection: recovery.connection, password: config.password });
  } finally {
    await client.end().catch(() => undefined);
  }
  return outcome;
}

/** Whether a decided commit whose prepared transaction is gone did commit (see finishPrepared). */
async function commitOutcome(client: pg.Client, config: PostgresConfig, recovery: ExternalRecovery, gid: string, stageTable: string[] | undefined): Promise<{ lost?: string } | undefined> {
  const where = `${config.user}@${config.host}:${config.port}/${config.database}`;
  const lost = { lost: `its prepared transaction ${gid} was rolled back (not by Caudal): its rows were not loaded` };
  const xid = recovery.ref.xid;
  if (typeof xid === 'string' && /^\d+$/.test(xid)) {
    const { rows } = await client.query<{ status: string | null }>('SELECT txid_status($1::bigint) AS status', [xid]).catch(() => ({ rows: [{ status: null }] }));
    const status = rows[0]?.status;
    if (status === 'committed') return undefined;
    if (status === 'aborted') return lost;
    throw new CaudalError(
      'execution',
      `the prepared transaction ${gid} is not in ${where}, and the server ${status ? `reports its transaction ${xid} as ${status}` : `does not know its transaction ${xid}`}: it cannot be told whether it committed, so nothing is taken as done`,
      { hint: 'make sure the connection points at the server the run loaded into; the journal is kept' },
    );
  }
  if (stageTable) {
    // A Spark load's publishing transaction drops its staging table: gone means committed.
    const { rows } = await client.query<{ oid: number | null }>('SELECT to_regclass($1)::oid::int AS oid', [`${client.escapeIdentifier(stageTable[0]!)}.${client.escapeIdentifier(stageTable[1]!)}`]);
    return rows[0]?.oid === null || rows[0]?.oid === undefined ? undefined : lost;
  }
  throw new CaudalError(
    'execution',
    `the prepared transaction ${gid} is not in ${where} and the journal does not say it committed: it cannot be told whether it did, so nothing is taken as done`,
    { hint: 'make sure the connection points at the server the run loaded into; the journal is kept' },
  );
}

async function preparedTransactionsAllowed(client: pg.Client): Promise<boolean> {
  const { rows } = await client.query<{ n: number }>(`SELECT current_setting('max_prepared_transactions')::int AS n`);
  return (rows[0]?.n ?? 0) > 0;
}

/**
 * One load per table at a time, across runs and machines: a transaction-level advisory lock keyed by
 * the table. Another run loading it makes this one fail at once with a clear message, or wait for it
 * with `--wait`. (Two sinks of one run never get here: validation refuses them.)
 */
async function lockTable(client: pg.Client, config: PostgresConfig, spec: WriteSpec, io: HookIo, ctx: Ctx): Promise<void> {
  const key = tableLockKey(config.database, spec.table);
  if (io.waitForLocks) {
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [key]);
    return;
  }
  const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS ok', [key]);
  if (!rows[0]?.ok) {
    throw new CaudalError('busy', `node '${ctx.nodeId}': table "${spec.table.schema}"."${spec.table.name}" (connection '${ctx.connection}') is being loaded by another Caudal run`, {
      nodeId: ctx.nodeId,
      hint: 'run again when it has finished, or pass --wait to wait for it',
    });
  }
}

/** How often a running load looks whether it waits for a lock another session holds. */
const LOCK_WATCH_MS = 2000;

/**
 * While the load runs, says who makes it wait for a lock (a session holding the table in an open
 * transaction, a long ALTER, another run with --wait): without it the run would sit silent for as
 * long as that lasts. Looked up from a second session, opened only once the load has run a while;
 * said again when the holders change. It waits on: cancel stops it, as before.
 */
function watchLockWaits(config: PostgresConfig, backend: Backend | undefined, spec: WriteSpec, io: HookIo): { stop(): Promise<void> } {
  const pid = backend?.pid;
  let side: Promise<pg.Client | undefined> | undefined;
  let busy = false;
  let said = '';
  const tick = async () => {
    if (busy || !pid) return;
    busy = true;
    try {
      side ??= connect(config).catch(() => undefined);
      const other = await side;
      if (!other) return;
      const { rows } = await other.query<{ pid: number; who: string | null }>(
        `SELECT x.pid, CASE WHEN b.pid IS NULL THEN NULL ELSE format('session %s (user %s, application %s, %s since %s UTC: %s)', b.pid, b.usename, coalesce(nullif(b.application_name, ''), 'none'), b.state,
                to_char(coalesce(b.xact_start, b.backend_start) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), left(b.query, 200)) END AS who
           FROM unnest(pg_blocking_pids($1)) AS x(pid) LEFT JOIN pg_stat_activity b ON b.pid = x.pid ORDER BY x.pid`,
        [pid],
      );
      const holders = rows.map((r) => r.who ?? 'a prepared transaction (see pg_prepared_xacts)').join('; ');
      if (holders && holders !== said) io.log(`waiting for a lock on table "${spec.table.schema}"."${spec.table.name}" held by ${holders}; the load goes on once it is released (cancel the run to stop waiting)`);
      said = holders;
    } catch {
      // Only a courtesy: the load itself reports its own failures.
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), LOCK_WATCH_MS);
  return {
    async stop() {
      clearInterval(timer);
      // Not awaited: a side session still connecting (an unreachable server) must not hold up the load's end.
      void side?.then((other) => other?.end().catch(() => undefined));
      side = undefined;
    },
  };
}

/**
 * Takes the lock the load's writes need before the table's columns are read: its definition cannot
 * change between the checks made against it and the rows written. Otherwise an ALTER committed while
 * the load waited for the table (behind it, or behind another session) would have the values checked
 * against the old types and written into the new ones, which may round or cut them. Not for replace:
 * it builds a new table beside the old one, which readers keep using until the swap.
 */
async function lockTarget(client: pg.Client, spec: WriteSpec): Promise<void> {
  if (spec.mode === 'replace') return;
  const { rows } = await client.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [pgTable(spec.table)]);
  if (!rows[0]?.found) return;
  // TRUNCATE takes ACCESS EXCLUSIVE right after anyway; COPY, INSERT and UPDATE take ROW EXCLUSIVE, which readers pass.
  await client.query(`LOCK TABLE ${pgTable(spec.table)} IN ${spec.mode === 'truncate_insert' ? 'ACCESS EXCLUSIVE' : 'ROW EXCLUSIVE'} MODE`);
}

/**
 * A table's columns with the type each holds: a domain's base type (a domain over varchar(3) is
 * varchar(3), also a domain over a domain), since format_type names only the domain, which no check
 * of the values knew, so 'abc  ' was cut to 'abc' and 1.255 rounded to 1.26 without a word.
 */
const COLUMN_TYPES = `WITH RECURSIVE col(attnum, name, typ, typmod) AS (
    SELECT attnum, attname, atttypid, atttypmod FROM pg_attribute WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped
  UNION ALL
    SELECT c.attnum, c.name, t.typbasetype, CASE WHEN t.typtypmod <> -1 THEN t.typtypmod ELSE c.typmod END
    FROM col c JOIN pg_type t ON t.oid = c.typ WHERE t.typtype = 'd'
  )
  SELECT c.name, format_type(c.typ, c.typmod) AS type FROM col c JOIN pg_type t ON t.oid = c.typ WHERE t.typtype <> 'd' ORDER BY c.attnum`;

/** Columns of the target (name → PostgreSQL type, domains as their base type), or undefined when it does not exist. */
export async function tableColumns(client: pg.Client, spec: Pick<WriteSpec, 'table'>): Promise<Map<string, string> | undefined> {
  const { rows: found } = await client.query<{ oid: number | null }>('SELECT to_regclass($1)::oid::int AS oid', [pgTable(spec.table)]);
  const oid = found[0]?.oid;
  if (oid === null || oid === undefined) return undefined;
  const { rows } = await client.query<{ name: string; type: string }>(COLUMN_TYPES, [oid]);
  return new Map(rows.map((r) => [r.name, r.type]));
}

/**
 * An input column the table declares GENERATED ALWAYS AS IDENTITY is refused: COPY writes such a
 * column's values without a word (an INSERT would be refused), and the next value PostgreSQL assigns
 * then collides with one the load wrote.
 */
async function checkIdentityColumns(client: pg.Client, ctx: Ctx, spec: WriteSpec, columns: Column[]): Promise<void> {
  const { rows } = await client.query<{ name: string }>(
    "SELECT attname AS name FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped AND attidentity = 'a'",
    [pgTable(spec.table)],
  );
  const written = columns.find((c) => rows.some((r) => r.name === c.name));
  if (!written) return;
  throw new CaudalError(
    'validation',
    `node '${ctx.nodeId}': column "${written.name}" of "${spec.table.schema}"."${spec.table.name}" is GENERATED ALWAYS AS IDENTITY: PostgreSQL assigns its values, and values a load wrote there would collide with the next ones it assigns`,
    { nodeId: ctx.nodeId, column: written.name, hint: 'leave that column out of the load (Columns not written / exclude_columns, or a select node before the sink), or declare it GENERATED BY DEFAULT AS IDENTITY' },
  );
}

/** A missing table (and its schema) with types mapped from the data; the keys become the primary key. */
async function createTable(client: pg.Client, table: { schema: string; name: string }, columns: Column[], keys?: string[]): Promise<void> {
  await ensureSchema(client, table.schema);
  await client.query(createTableSql(pgTable(table), columns, keys));
}

/**
 * Creates the schema when it is missing, and only then: CREATE SCHEMA, even with IF NOT EXISTS,
 * needs the CREATE privilege on the database, which a role loading into its own schema often lacks.
 *
 * Another session may be creating the same schema in a transaction not yet committed (another run
 * loading a table into the same new schema). IF NOT EXISTS does not see it: our CREATE waits for
 * that transaction, then fails with a unique violation on pg_namespace if it committed (had it
 * rolled back, ours goes on and creates the schema). So the CREATE runs in a savepoint, and after
 * such a failure it is tried once more, which then finds the schema committed and does nothing.
 * The schema is created inside the load's transaction: a run that does not commit leaves none.
 */
async function ensureSchema(client: pg.Client, schema: string): Promise<void> {
  const { rowCount } = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
  if (rowCount) return;
  for (let attempt = 1; ; attempt++) {
    await client.query('SAVEPOINT caudal_create_schema');
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${pgIdent(schema)}`);
      await client.query('RELEASE SAVEPOINT caudal_create_schema');
      return;
    } catch (e) {
      // Back to before the CREATE, the load's transaction usable again (or, when even that fails, the CREATE's error).
      await client.query('ROLLBACK TO SAVEPOINT caudal_create_schema').catch(() => {
        throw e;
      });
      await client.query('RELEASE SAVEPOINT caudal_create_schema');
      if (attempt >= 2 || !createdMeanwhile(e)) throw e;
    }
  }
}

/** The schema was created by another session while our CREATE SCHEMA waited for it (see ensureSchema). */
function createdMeanwhile(e: unknown): boolean {
  const code = (e as { code?: unknown } | undefined)?.code;
  return code === '42P06' || (catalogConflict(e) && (e as { table?: unknown }).table === 'pg_namespace');
}

function createTableSql(table: string, columns: Column[], keys?: string[]): string {
  const defs = columns.map((c) => `${pgIdent(c.name)} ${pgTypeFor(c.type)}`);
  if (keys && keys.length > 0) defs.push(`PRIMARY KEY (${keys.map(pgIdent).join(', ')})`);
  return `CREATE TABLE ${table} (${defs.join(', ')})`;
}

/** PostgreSQL keeps the first 63 bytes of a name (NAMEDATALEN - 1) and drops the rest with a mere notice. */
const PG_NAME_BYTES = 63;

/**
 * Names PostgreSQL would cut, each as a problem: the load would go to a table (or create columns)
 * of another name than the one asked for, two names sharing their first 63 bytes would be one
 * table, and a column created under a cut name is not found by the next run.
 */
export function namesTooLong(ctx: Pick<Ctx, 'nodeId'>, spec: Pick<WriteSpec, 'table'>, columns: Column[]): Problem[] {
  const out: Problem[] = [];
  const check = (what: string, name: string, path: string, column?: string) => {
    const bytes = Buffer.byteLength(name, 'utf8');
    if (bytes <= PG_NAME_BYTES) return;
    out.push({
      code: 'invalid_param',
      path,
      column,
      message: `node '${ctx.nodeId}': ${what} "${name}" is ${bytes} bytes; PostgreSQL keeps only the first ${PG_NAME_BYTES} bytes of a name and would silently use "${cutName(name)}"`,
      hint: column ? 'rename the column before the sink (a select node) to at most 63 bytes' : 'use a name of at most 63 bytes (letters outside ASCII take 2 to 4 bytes each)',
    });
  };
  check('schema name', spec.table.schema, 'params.schema');
  check('table name', spec.table.name, 'params.table');
  for (const c of columns) check('column', c.name, 'params.table', c.name);
  return out;
}

/** The name PostgreSQL makes of a long one: its first 63 bytes, never half a character. */
function cutName(name: string): string {
  let out = '';
  for (const ch of name) {
    if (Buffer.byteLength(out + ch, 'utf8') > PG_NAME_BYTES) break;
    out += ch;
  }
  return out;
}

/** Every column of the data must exist in the target (extra target columns get their defaults). */
export function checkColumns(ctx: Ctx, spec: WriteSpec, columns: Column[], existing: Map<string, string>): void {
  const missing = columns.filter((c) => !existing.has(c.name));
  if (missing.length === 0) return;
  const names = [...existing.keys()];
  const first = missing[0]!.name;
  throw new CaudalError(
    'validation',
    `node '${ctx.nodeId}': table "${spec.table.schema}"."${spec.table.name}" has no column${missing.length > 1 ? 's' : ''} ${missing.map((c) => `'${c.name}'`).join(', ')}${didYouMean(first, names)}`,
    { nodeId: ctx.nodeId, column: first, hint: `its columns: ${names.join(', ')}; rename the data's columns with a select node, or use mode "replace" to recreate the table` },
  );
}

/** Input columns that the table's column types would change in every value are refused before the load. */
export function checkAssignments(ctx: Ctx, columns: Column[], existing: Map<string, string>): void {
  const first = refusedColumn(columns, (name) => {
    const t = existing.get(name);
    return t === undefined ? undefined : pgTargetType(t);
  });
  if (first) throw new CaudalError('validation', `node '${ctx.nodeId}': ${first.refuse}`, { nodeId: ctx.nodeId, column: first.column, hint: first.hint });
}

async function replace(client: pg.Client, spec: WriteSpec, source: WriteSource, exists: boolean, io: HookIo): Promise<number> {
  const target = pgTable(spec.table);
  if (!exists) {
    await createTable(client, spec.table, source.columns);
    return copyIntoTable(client, target, source, io);
  }
  // Built beside the old table and swapped in the same transaction: readers see the old rows until commit.
  const stagingName = `caudal_stage_${randomUUID().slice(0, 8)}`;
  const staging = pgTable({ schema: spec.table.schema, name: stagingName });
  await client.query(createTableSql(staging, source.columns));
  const rows = await copyIntoTable(client, staging, source, io);
  await client.query(`DROP TABLE ${target}`);
  await client.query(`ALTER TABLE ${staging} RENAME TO ${pgIdent(spec.table.name)}`);
  return rows;
}

async function upsert(client: pg.Client, spec: WriteSpec, source: WriteSource, io: HookIo, ctx: Ctx, tableTypes: Map<string, string> | undefined): Promise<number> {
  const target = pgTable(spec.table);
  const keys = spec.keys ?? [];
  const cols = source.columns.map((c) => pgIdent(c.name));
  // A plain (unlogged) table in the target's schema rather than a TEMP one: a transaction that used
  // temporary objects cannot be prepared for a two-phase commit. It is dropped before the end of
  // the transaction, and a rolled-back transaction never created it.
  const stage = pgTable({ schema: spec.table.schema, name: `caudal_upsert_${randomUUID().slice(0, 8)}` });
  await client.query(`CREATE UNLOGGED TABLE ${stage} AS SELECT ${cols.join(', ')} FROM ${target} WITH NO DATA`);
  const flag = spec.deleteFlag ? pgIdent(spec.deleteFlag) : undefined;
  if (flag) await client.query(`ALTER TABLE ${stage} ADD COLUMN ${flag} boolean`);
  // The stage has the target's column types, so the target's checks apply to it.
  const rows = await copyIntoTable(client, stage, flag ? { ...source, columns: [...source.columns, { name: spec.deleteFlag!, type: 'BOOLEAN' }] } : source, io, tableTypes);
  const keyList = keys.map(pgIdent).join(', ');
  const nullKey = await client.query(`SELECT 1 FROM ${stage} WHERE ${keys.map((k) => `${pgIdent(k)} IS NULL`).join(' OR ')} LIMIT 1`);
  if (nullKey.rowCount) throw new CaudalError('execution', `node '${ctx.nodeId}': a row has a NULL key (${keys.join(', ')}); upsert needs every key set`, { nodeId: ctx.nodeId, hint: 'filter out or fill rows with missing keys before the sink' });
  // Rows as arrays, read by position (the count first, then the keys): a name for the count could be a key's.
  const dup = await client.query<unknown[]>({ text: `SELECT count(*), ${keyList} FROM ${stage} GROUP BY ${keyList} HAVING count(*) > 1 LIMIT 1`, rowMode: 'array' });
  const twice = dup.rows[0];
  if (twice) {
    const key = keys.map((k, i) => `${k}=${String(twice[i + 1])}`).join(', ');
    throw new CaudalError('execution', `node '${ctx.nodeId}': key (${key}) appears ${String(twice[0])} times in the data; an upsert needs one row per key`, {
      nodeId: ctx.nodeId,
      hint: 'dedupe on the key columns before the sink (transform.dedupe)',
    });
  }
  const match = keys.map((k) => `t.${pgIdent(k)} = s.${pgIdent(k)}`).join(' AND ');
  if (flag) await client.query(`DELETE FROM ${target} AS t USING ${stage} AS s WHERE s.${flag} IS TRUE AND ${match}`);
  const upserted = flag ? `WHERE s.${flag} IS NOT TRUE` : '';
  const nonKeys = source.columns.map((c) => c.name).filter((c) => !keys.includes(c));
  if (await hasUniqueIndex(client, spec, keys)) {
    const action = nonKeys.length === 0 ? 'DO NOTHING' : `DO UPDATE SET ${nonKeys.map((c) => `${pgIdent(c)} = EXCLUDED.${pgIdent(c)}`).join(', ')}`;
    // The target under an alias: a table named "excluded" would be ambiguous with EXCLUDED, the row proposed.
    await client.query(`INSERT INTO ${target} AS t (${cols.join(', ')}) SELECT ${cols.map((c) => `s.${c}`).join(', ')} FROM ${stage} AS s ${upserted} ON CONFLICT (${keyList}) ${action}`);
  } else {
    const and = flag ? ` AND s.${flag} IS NOT TRUE` : '';
    if (nonKeys.length > 0) await client.query(`UPDATE ${target} AS t SET ${nonKeys.map((c) => `${pgIdent(c)} = s.${pgIdent(c)}`).join(', ')} FROM ${stage} AS s WHERE ${match}${and}`);
    await client.query(`INSERT INTO ${target} (${cols.join(', ')}) SELECT ${cols.map((c) => `s.${c}`).join(', ')} FROM ${stage} AS s WHERE NOT EXISTS (SELECT 1 FROM ${target} AS t WHERE ${match})${and}`);
  }
  await client.query(`DROP TABLE ${stage}`);
  return rows;
}

/**
 * A unique index (or primary key) on exactly the key columns, which ON CONFLICT needs. Only a valid
 * one that is checked at once: ON CONFLICT takes no deferrable constraint as its arbiter ("does not
 * support deferrable unique constraints") and no invalid index (a CREATE INDEX CONCURRENTLY that
 * failed), so with those the load takes UPDATE … FROM + INSERT … WHERE NOT EXISTS.
 */
async function hasUniqueIndex(client: pg.Client, spec: WriteSpec, keys: string[]): Promise<boolean> {
  const { rows } = await client.query(
    `SELECT 1 FROM pg_index i
      WHERE i.indrelid = to_regclass($1) AND i.indisunique AND i.indimmediate AND i.indisvalid AND i.indpred IS NULL AND i.indexprs IS NULL
        AND (SELECT array_agg(a.attname::text ORDER BY a.attname::text) FROM unnest(i.indkey) AS k(n) JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n)
            = (SELECT array_agg(x ORDER BY x) FROM unnest($2::text[]) AS x)
      LIMIT 1`,
    [pgTable(spec.table), keys],
  );
  return rows.length > 0;
}
