import type mssql from 'mssql';
import type { Column, HookIo } from '../../nodes/define.js';
import { CaudalError } from '../../util/errors.js';
import { tsqlIdent } from './sql.js';
import { exportSelect, writeTransport } from './types.js';

/** Rows per bulk-copy batch: what the driver holds in memory at once (one batch in flight, one filling). */
export const DEFAULT_BATCH_ROWS = 10_000;

/** Staging columns are named c1, c2, …: the driver's INSERT BULK takes names it can bracket as they are. */
export const stageColumn = (i: number) => `c${i + 1}`;

/**
 * CREATE TABLE for the staging table, every column nullable, in its transport type. A `#` table
 * lives in tempdb, whose collation (the server's) need not be the database's: text columns take the
 * database's (COLLATE DATABASE_DEFAULT), or comparing staged keys with the target's would fail
 * ("Cannot resolve the collation conflict", Msg 468) or judge keys by other rules than the target
 * does (the duplicate check case-sensitive, the target's unique index not).
 */
export function stageTableDdl(name: string, columns: Column[]): string {
  const def = (c: Column, i: number) => {
    const type = writeTransport(c.type).stageType;
    const text = /^n?(var)?char\b/i.test(type) ? ' COLLATE DATABASE_DEFAULT' : '';
    return `${tsqlIdent(stageColumn(i))} ${type}${text} NULL`;
  };
  return `CREATE TABLE ${name} (${columns.map(def).join(', ')})`;
}

/** The driver's Table object describing the staging table (no rows yet). */
export function bulkTable(sql: typeof mssql, name: string, columns: Column[]): mssql.Table {
  const table = new sql.Table(name);
  table.create = false;
  columns.forEach((c, i) => {
    const t = writeTransport(c.type);
    const type =
      t.bulkType === 'NVarChar'
        ? sql.NVarChar(t.length === 'max' || t.length === undefined ? sql.MAX : t.length)
        : t.bulkType === 'VarBinary'
          ? sql.VarBinary(sql.MAX)
          : sql[t.bulkType];
    table.columns.add(stageColumn(i), type, { nullable: true });
  });
  return table;
}

/** A DuckDB value as the driver takes it: bytes as a Buffer, the rest as it comes. */
export function bulkValue(v: unknown): string | number | boolean | Buffer | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (typeof v === 'bigint') return v.toString();
  return v as string | number | boolean;
}

/**
 * Streams the relation out of DuckDB into the staging table with the driver's bulk copy (TDS
 * BULK INSERT), `batchRows` rows per batch inside the caller's transaction. While one batch is on
 * the wire the next one fills, so at most two batches are in memory. Returns the rows sent.
 * `tableTypes`: an existing target's column types, whose checks the export adds (types.ts).
 *
 * The batch on the wire is always waited for before this returns or throws, whatever failed: its
 * failure is held at once (not left unhandled while DuckDB makes the next rows, which would end the
 * process), and a request still running holds the transaction's connection, so the caller could
 * neither roll back (the driver refuses while a request runs) nor close (the pool waits for the
 * connection) and the run would hang holding the table's locks. A batch that fails stops the load
 * at the next chunk; when DuckDB fails first (a value the checks refuse), its error is the one thrown.
 */
export async function bulkLoad(
  sql: typeof mssql,
  newRequest: () => mssql.Request,
  stageName: string,
  relation: string,
  columns: Column[],
  io: HookIo,
  batchRows = DEFAULT_BATCH_ROWS,
  tableTypes?: Map<string, string>,
): Promise<{ rows: number; batches: number }> {
  let table = bulkTable(sql, stageName, columns);
  let rows = 0;
  let batches = 0;
  /** The batch on the wire; never rejects (its failure goes to `failed`). */
  let inFlight: Promise<void> | undefined;
  let failed: { error: unknown } | undefined;
  const settle = async () => {
    await inFlight;
    inFlight = undefined;
    if (failed) throw failed.error;
  };
  const flush = async () => {
    if (table.rows.length === 0) return;
    const full = table;
    table = bulkTable(sql, stageName, columns);
    await settle();
    batches++;
    inFlight = Promise.resolve()
      .then(() => newRequest().bulk(full, { keepNulls: true, tableLock: true }))
      .then(
        () => undefined,
        (error: unknown) => {
          failed ??= { error };
        },
      );
  };
  try {
    // io.db.stream checks that DuckDB's stream did not end early (a value refused after the first chunks).
    for await (const chunk of io.db.stream(`SELECT ${exportSelect(columns, tableTypes)} FROM ${relation}`, 'js')) {
      if (io.isCancelled()) break;
      // A batch that failed while DuckDB made this chunk: nothing more is sent.
      if (failed) throw failed.error;
      for (const row of chunk) table.rows.add(...row.map(bulkValue));
      rows += chunk.length;
      if (table.rows.length >= batchRows) await flush();
      io.progress(rows);
    }
    if (io.isCancelled()) {
      await inFlight;
      throw new CaudalError('cancelled', 'the load was cancelled');
    }
    await flush();
    await settle();
    return { rows, batches };
  } finally {
    // Whatever is thrown, the batch on the wire ends first (its own failure, if another error is
    // being thrown, is dropped: the first one is the cause).
    await inFlight;
  }
}
