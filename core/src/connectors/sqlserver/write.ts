import type mssql from 'mssql';
import type { SqlServerConfig } from '../../connections/sqlserver/sqlserver.connection.js';
import type { Column, ExternalStage, HookIo } from '../../nodes/define.js';
import { redact } from '../../connections/redact.js';
import { CaudalError } from '../../util/errors.js';
import { ownerTag, shortRunId } from '../../util/owner.js';
import { didYouMean } from '../../util/suggest.js';
import { refusedColumn } from '../assign.js';
import { sqlserverLockResource } from '../table-lock.js';
import type { WriteContext, WriteSource, WriteSpec } from '../connector.js';
import { bulkLoad, stageColumn, stageTableDdl } from './bulk.js';
import { abandonTransaction, closePool, connectSqlServer, loadMssql } from './client.js';
import { type CommitMarker, commitMarkerName, commitOutcome, dropCommitMarker, markerTable, placeCommitMarker } from './commit-marker.js';
import { explainSqlServerError } from './errors.js';
import { tsqlIdent, tsqlTable } from './sql.js';
import { caseInsensitive, sqlserverTypeFor, tsqlTargetType, writeTransport } from './types.js';

export interface SqlServerWriteSpec extends WriteSpec {
  /** upsert: one MERGE statement, or UPDATE then INSERT (for tables where MERGE is unsuitable, e.g. with triggers). */
  upsertMethod: 'merge' | 'update_insert';
  batchRows?: number;
}

type Ctx = Pick<WriteContext, 'nodeId' | 'connection' | 'runId'>;

/**
 * Loads a relation into a SQL Server table inside one transaction that stays open until the run
 * commits every sink. The rows go through the driver's bulk copy into a session temp table
 * (`#caudal_stage_…`), then one statement moves them into the target:
 * - append: INSERT … SELECT;
 * - truncate_insert: TRUNCATE TABLE, then INSERT … SELECT;
 * - replace: a new table with the data's columns, filled, the old one dropped and the new renamed;
 * - upsert: MERGE on the key columns (or UPDATE … FROM + INSERT … WHERE NOT EXISTS).
 * A failure, a cancel or a lost connection rolls it all back: SQL Server undoes an unfinished
 * transaction. There is no two-phase commit through the driver: the COMMIT can still fail late, and
 * its answer can be lost; the transaction's commit marker (commit-marker.ts) then tells whether it
 * committed.
 */
export async function writeSqlServer(config: SqlServerConfig, spec: SqlServerWriteSpec, source: WriteSource, io: HookIo, ctx: Ctx): Promise<ExternalStage> {
  const explain = (e: unknown) => explainSqlServerError(e, { nodeId: ctx.nodeId, connection: ctx.connection, spec, password: config.password });
  const sql = await loadMssql();
  const pool = await connectSqlServer(config, (m) => io.log(m)).catch((e: unknown) => {
    throw explain(e);
  });
  const tx = new sql.Transaction(pool);
  let current: mssql.Request | undefined;
  const request = () => {
    current = new sql.Request(tx);
    return current;
  };
  // Cancel stops the running statement on the server (an attention); the transaction then rolls back.
  const cancelWatch = setInterval(() => {
    if (io.isCancelled()) current?.cancel();
  }, 100);
  let begun = false;
  try {
    await tx.begin();
    begun = true;
    await lockTable(request, config, spec, io, ctx);
    if (spec.preSql) await request().batch(spec.preSql);
    const existing = await tableColumns(request, spec.table);
    if (existing === undefined && !spec.createTable && spec.mode !== 'replace') {
      throw new CaudalError('validation', `node '${ctx.nodeId}': table [${spec.table.schema}].[${spec.table.name}] does not exist in connection '${ctx.connection}'`, {
        nodeId: ctx.nodeId,
        hint: 'create it first, or set create_table to true',
      });
    }
    if (existing && spec.mode !== 'replace') {
      checkColumns(ctx, spec, source.columns, existing);
      checkAssignments(ctx, source.columns, existing);
    }
    // A session temp table, created by a batch (not sp_executesql, whose temp tables end with it).
    const stage = `#caudal_stage_${shortRunId(ctx.runId)}`;
    await request().batch(stageTableDdl(stage, source.columns));
    const sent = await bulkLoad(sql, request, stage, source.relation, source.columns, io, spec.batchRows, spec.mode === 'replace' ? undefined : existing);
    io.log(`bulk copy into ${stage}: ${sent.rows} rows in ${sent.batches} batch(es)`);
    if (io.isCancelled()) throw new CaudalError('cancelled', 'the load was cancelled');
    await moveIntoTarget(request, spec, source.columns, stage, existing, ctx);
    if (spec.postSql) await request().batch(spec.postSql);
    await request().batch(`DROP TABLE ${stage}`);
    const marker = await placeCommitMarker(request, spec.table.schema, commitMarkerName(ctx));
    if (io.isCancelled()) throw new CaudalError('cancelled', 'the load was cancelled');
    clearInterval(cancelWatch);
    return openTransaction({ tx, pool, request, rows: sent.rows, explain, config, spec, ctx, marker, io });
  } catch (e) {
    clearInterval(cancelWatch);
    // Nothing is committed: rolling back (or losing the connection) leaves the target as it was.
    // Bounded: a ROLLBACK the driver refuses or the server never answers closes the connection instead.
    if (begun) await abandonTransaction(tx, pool);
    else await closePool(pool);
    if (io.isCancelled()) throw new CaudalError('cancelled', 'the load was cancelled; the target is unchanged');
    throw explain(e);
  }
}

interface OpenLoad {
  tx: mssql.Transaction;
  pool: mssql.ConnectionPool;
  request: () => mssql.Request;
  rows: number;
  explain: (e: unknown) => CaudalError;
  config: SqlServerConfig;
  spec: SqlServerWriteSpec;
  ctx: Ctx;
  marker: CommitMarker;
  io: HookIo;
}

/** Codes of a COMMIT the driver never sent (the transaction was already over or busy): not committed. */
const NOT_SENT = new Set(['EABORT', 'ENOTBEGUN', 'EREQINPROG']);

/** The server answered the COMMIT with an error (a server error number), or the driver never sent it: the outcome is known. */
function commitAnswered(e: unknown): boolean {
  const err = e as { number?: unknown; code?: unknown; originalError?: { number?: unknown } } | undefined;
  if (typeof err?.number === 'number' || typeof err?.originalError?.number === 'number') return true;
  return typeof err?.code === 'string' && NOT_SENT.has(err.code);
}

/**
 * The load's part in the run's commit protocol. prepare() checks that the transaction is still
 * whole (XACT_STATE() = 1: no error doomed it, the connection is alive); SQL Server checks
 * constraints per statement, so nothing else can be checked early. commit() is COMMIT TRANSACTION:
 * irreversible, and the one step that can still fail late (the window in the user guide). A COMMIT
 * whose answer is lost is not taken for one that failed: the commit marker, looked up from a new
 * session once the old transaction is over, says whether the server committed. Committed is a
 * success (reporting a failure would undo the run's other destinations and keep the states, and a
 * rerun would load the rows again); when it cannot be told, the error says the outcome is unknown.
 */
function openTransaction(load: OpenLoad): ExternalStage {
  const { tx, pool, request, rows, explain, ctx, spec, marker } = load;
  let done = false;
  const table = `[${spec.table.schema}].[${spec.table.name}]`;
  return {
    rows,
    // COMMIT TRANSACTION: the server keeps all of the load or none of it.
    wholeOrNone: true,
    async prepare() {
      try {
        const r = await request().query<{ state: number; depth: number }>('SELECT XACT_STATE() AS state, @@TRANCOUNT AS depth');
        const row = r.recordset[0];
        if (row?.state !== 1 || row.depth !== 1) throw new CaudalError('execution', `the load's transaction can no longer commit (XACT_STATE ${String(row?.state)}, depth ${String(row?.depth)})`);
        return { twoPhase: false };
      } catch (e) {
        done = true;
        await abandonTransaction(tx, pool);
        throw explain(e);
      }
    },
    async commit() {
      if (done) return;
      done = true;
      try {
        await tx.commit();
      } catch (e) {
        // The old session goes first: the server then ends its transaction, if the COMMIT did not.
        await abandonTransaction(tx, pool);
        if (commitAnswered(e)) throw explain(e);
        const said = redact(e, [load.config.password]).message;
        const outcome = await commitOutcome(load.config, marker);
        if ('committed' in outcome && outcome.committed) {
          load.io.warn?.(`the answer to COMMIT never came (${said}), but the load's commit marker shows that table ${table} committed`);
          return;
        }
        const prefix = `node '${ctx.nodeId}' (connection '${ctx.connection}')`;
        if ('committed' in outcome) {
          throw new CaudalError('io', `${prefix}: the answer to COMMIT never came (${said}); the server did not commit, so table ${table} is unchanged`, {
            nodeId: ctx.nodeId,
            hint: 'the server ended the session (a restart or a failover) or the network dropped the connection: run again once the server is reachable',
          });
        }
        throw new CaudalError('execution', `${prefix}: the answer to COMMIT never came (${said}) and ${outcome.unknown}: table ${table} may or may not have the new rows`, {
          nodeId: ctx.nodeId,
          hint: marker.made
            ? `check before running again: the load committed exactly when table ${markerTable(marker)} exists in the database (drop it afterwards)`
            : `check the table before running again; a login with CREATE TABLE in the database and ALTER on schema [${spec.table.schema}] lets Caudal tell the outcome itself`,
        });
      }
      await dropCommitMarker(pool, marker);
      await closePool(pool);
    },
    async rollback() {
      if (done) return;
      done = true;
      await abandonTransaction(tx, pool);
    },
  };
}

/**
 * One load per table at a time, across runs and machines: an application lock owned by the
 * transaction (sp_getapplock), keyed by database and table. Another run loading it makes this one
 * fail at once, or wait with `--wait`.
 */
async function lockTable(request: () => mssql.Request, config: SqlServerConfig, spec: WriteSpec, io: HookIo, ctx: Ctx): Promise<void> {
  const sql = await loadMssql();
  const resource = sqlserverLockResource(config.database, spec.table);
  const r = await request()
    .input('res', sql.NVarChar(255), resource)
    .input('timeout', sql.Int, io.waitForLocks ? -1 : 0)
    .query<{ r: number }>("DECLARE @r int; EXEC @r = sp_getapplock @Resource = @res, @LockMode = 'Exclusive', @LockOwner = 'Transaction', @LockTimeout = @timeout; SELECT @r AS r");
  if ((r.recordset[0]?.r ?? -999) < 0) {
    throw new CaudalError('busy', `node '${ctx.nodeId}': table [${spec.table.schema}].[${spec.table.name}] (connection '${ctx.connection}') is being loaded by another Caudal run`, {
      nodeId: ctx.nodeId,
      hint: 'run again when it has finished, or pass --wait to wait for it',
    });
  }
}

/** Columns of the target (name → type), or undefined when it does not exist. */
export async function tableColumns(request: () => mssql.Request, table: { schema: string; name: string }): Promise<Map<string, string> | undefined> {
  const sql = await loadMssql();
  const r = await request()
    .input('t', sql.NVarChar(600), tsqlTable(table))
    .query<{ id: number | null; name: string | null; type: string | null; precision: number | null; scale: number | null }>(
      "SELECT OBJECT_ID(@t, 'U') AS id, c.name, TYPE_NAME(c.user_type_id) AS type, c.precision, c.scale FROM (SELECT 1 AS one) AS x LEFT JOIN sys.columns AS c ON c.object_id = OBJECT_ID(@t, 'U') ORDER BY c.column_id",
    );
  if (r.recordset[0]?.id === null || r.recordset[0]?.id === undefined) return undefined;
  return new Map(r.recordset.filter((c) => c.name !== null).map((c) => [c.name!, shownType(c.type ?? '', c.precision, c.scale)]));
}

/** A column's type as SQL Server writes it in DDL: `decimal(10,2)`, `datetime2(0)`, `int`. */
export function shownType(type: string, precision: number | null, scale: number | null): string {
  const t = type.toLowerCase();
  if ((t === 'decimal' || t === 'numeric') && precision !== null && scale !== null) return `${t}(${precision},${scale})`;
  if ((t === 'time' || t === 'datetime2' || t === 'datetimeoffset') && scale !== null) return `${t}(${scale})`;
  return type;
}

/** Every column of the data must exist in the target (extra target columns get their defaults). */
export function checkColumns(ctx: Pick<Ctx, 'nodeId'>, spec: WriteSpec, columns: Column[], existing: Map<string, string>): void {
  // SQL Server compares names by the database collation, usually case-insensitive.
  const known = new Map([...existing.keys()].map((k) => [k.toLowerCase(), k]));
  const missing = columns.filter((c) => !known.has(c.name.toLowerCase()));
  if (missing.length === 0) return;
  const names = [...existing.keys()];
  const first = missing[0]!.name;
  throw new CaudalError(
    'validation',
    `node '${ctx.nodeId}': table [${spec.table.schema}].[${spec.table.name}] has no column${missing.length > 1 ? 's' : ''} ${missing.map((c) => `'${c.name}'`).join(', ')}${didYouMean(first, names)}`,
    { nodeId: ctx.nodeId, column: first, hint: `its columns: ${names.join(', ')}; rename the data's columns with a select node, or use mode "replace" to recreate the table` },
  );
}

/** Input columns that the table's column types would change in every value are refused before the load. */
export function checkAssignments(ctx: Pick<Ctx, 'nodeId'>, columns: Column[], existing: Map<string, string>): void {
  const typeOf = caseInsensitive(existing);
  const first = refusedColumn(columns, (name) => {
    const t = typeOf(name);
    return t === undefined ? undefined : tsqlTargetType(t);
  });
  if (first) throw new CaudalError('validation', `node '${ctx.nodeId}': ${first.refuse}`, { nodeId: ctx.nodeId, column: first.column, hint: first.hint });
}

export function createTableSql(table: string, columns: Column[], keys?: string[]): string {
  const defs = columns.map((c) => `${tsqlIdent(c.name)} ${sqlserverTypeFor(c.type)}${keys?.includes(c.name) ? ' NOT NULL' : ' NULL'}`);
  if (keys && keys.length > 0) defs.push(`PRIMARY KEY (${keys.map(tsqlIdent).join(', ')})`);
  return `CREATE TABLE ${table} (${defs.join(', ')})`;
}

/** The staged rows in the target's types, with the data's column names. */
export function stagedSelect(columns: Column[], stage: string): string {
  return `SELECT ${columns.map((c, i) => `${writeTransport(c.type).finish(tsqlIdent(stageColumn(i)))} AS ${tsqlIdent(c.name)}`).join(', ')} FROM ${stage}`;
}

export function mergeSql(target: string, columns: Column[], keys: string[], stage: string): string {
  const cols = columns.map((c) => tsqlIdent(c.name));
  const on = keys.map((k) => `t.${tsqlIdent(k)} = s.${tsqlIdent(k)}`).join(' AND ');
  const nonKeys = columns.map((c) => c.name).filter((c) => !keys.includes(c));
  const update = nonKeys.length > 0 ? ` WHEN MATCHED THEN UPDATE SET ${nonKeys.map((c) => `t.${tsqlIdent(c)} = s.${tsqlIdent(c)}`).join(', ')}` : '';
  return `MERGE INTO ${target} WITH (HOLDLOCK) AS t USING (${stagedSelect(columns, stage)}) AS s ON ${on}${update} WHEN NOT MATCHED BY TARGET THEN INSERT (${cols.join(', ')}) VALUES (${cols.map((c) => `s.${c}`).join(', ')});`;
}

export function updateInsertSql(target: string, columns: Column[], keys: string[], stage: string): string[] {
  const cols = columns.map((c) => tsqlIdent(c.name));
  const on = keys.map((k) => `t.${tsqlIdent(k)} = s.${tsqlIdent(k)}`).join(' AND ');
  const nonKeys = columns.map((c) => c.name).filter((c) => !keys.includes(c));
  const out: string[] = [];
  if (nonKeys.length > 0) out.push(`UPDATE t SET ${nonKeys.map((c) => `t.${tsqlIdent(c)} = s.${tsqlIdent(c)}`).join(', ')} FROM ${target} AS t INNER JOIN (${stagedSelect(columns, stage)}) AS s ON ${on}`);
  out.push(`INSERT INTO ${target} (${cols.join(', ')}) SELECT ${cols.map((c) => `s.${c}`).join(', ')} FROM (${stagedSelect(columns, stage)}) AS s WHERE NOT EXISTS (SELECT 1 FROM ${target} AS t WITH (UPDLOCK, HOLDLOCK) WHERE ${on})`);
  return out;
}

/**
 * Creates schema `@s` when it is missing, and only then (CREATE SCHEMA needs CREATE SCHEMA on the
 * database). Another session may create it at the same moment (another run loading a table into the
 * same new schema): SCHEMA_ID does not see its uncommitted schema, our CREATE SCHEMA waits for it
 * and, once it committed, fails with "There is already an object named …" (2714). That failure is
 * taken as success when the schema exists now and the transaction can still commit; any other
 * error, or one that doomed the transaction (XACT_ABORT ON), is raised as it was.
 */
export const ENSURE_SCHEMA_SQL = [
  'IF SCHEMA_ID(@s) IS NULL',
  'BEGIN',
  '  BEGIN TRY',
  "    EXEC(N'CREATE SCHEMA ' + QUOTENAME(@s));",
  '  END TRY',
  '  BEGIN CATCH',
  '    IF ERROR_NUMBER() NOT IN (2714, 2601, 2627) OR XACT_STATE() = -1 OR SCHEMA_ID(@s) IS NULL',
  '    BEGIN',
  '      THROW;',
  '    END',
  '  END CATCH',
  'END',
].join('\n');

async function moveIntoTarget(request: () => mssql.Request, spec: SqlServerWriteSpec, columns: Column[], stage: string, existing: Map<string, string> | undefined, ctx: Ctx): Promise<void> {
  const sql = await loadMssql();
  const target = tsqlTable(spec.table);
  const insert = `INSERT INTO ${target} (${columns.map((c) => tsqlIdent(c.name)).join(', ')}) ${stagedSelect(columns, stage)}`;
  const ensureSchema = () => request().input('s', sql.NVarChar(128), spec.table.schema).query(ENSURE_SCHEMA_SQL);
  if (spec.mode === 'replace') {
    await ensureSchema();
    if (!existing) {
      await request().batch(createTableSql(target, columns));
      await request().batch(insert);
      return;
    }
    // Built beside the old table and swapped in the same transaction: readers of the old one wait until commit.
    const fresh = `caudal_new_${shortRunId(ctx.runId)}_${ownerTag()}`;
    const freshTable = tsqlTable({ schema: spec.table.schema, name: fresh });
    await request().batch(createTableSql(freshTable, columns));
    await request().batch(`INSERT INTO ${freshTable} (${columns.map((c) => tsqlIdent(c.name)).join(', ')}) ${stagedSelect(columns, stage)}`);
    await request().batch(`DROP TABLE ${target}`);
    await request().input('from', sql.NVarChar(600), freshTable).input('to', sql.NVarChar(128), spec.table.name).query("EXEC sp_rename @from, @to, N'OBJECT'");
    return;
  }
  if (!existing) {
    await ensureSchema();
    await request().batch(createTableSql(target, columns, spec.mode === 'upsert' ? spec.keys : undefined));
  }
  if (spec.mode === 'truncate_insert') await request().batch(`TRUNCATE TABLE ${target}`);
  if (spec.mode !== 'upsert') {
    await request().batch(insert);
    return;
  }
  const keys = spec.keys ?? [];
  const keyCols = keys.map((k) => tsqlIdent(stageColumn(columns.findIndex((c) => c.name === k))));
  const nullKey = await request().query(`SELECT TOP (1) 1 AS x FROM ${stage} WHERE ${keyCols.map((k) => `${k} IS NULL`).join(' OR ')}`);
  if (nullKey.recordset.length > 0) {
    throw new CaudalError('execution', `node '${ctx.nodeId}': a row has a NULL key (${keys.join(', ')}); upsert needs every key set`, { nodeId: ctx.nodeId, hint: 'filter out or fill rows with missing keys before the sink' });
  }
  const dup = await request().query<Record<string, unknown>>(`SELECT TOP (1) ${keyCols.map((k, i) => `${k} AS k${i}`).join(', ')}, COUNT(*) AS n FROM ${stage} GROUP BY ${keyCols.join(', ')} HAVING COUNT(*) > 1`);
  const d = dup.recordset[0];
  if (d) {
    const key = keys.map((k, i) => `${k}=${String(d[`k${i}`])}`).join(', ');
    throw new CaudalError('execution', `node '${ctx.nodeId}': key (${key}) appears ${String(d.n)} times in the data; an upsert needs one row per key`, {
      nodeId: ctx.nodeId,
      hint: 'dedupe on the key columns before the sink (transform.dedupe)',
    });
  }
  if (spec.upsertMethod === 'merge') await request().batch(mergeSql(target, columns, keys, stage));
  else for (const s of updateInsertSql(target, columns, keys, stage)) await request().batch(s);
}
