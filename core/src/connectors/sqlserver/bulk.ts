import type mssql from 'mssql';
import type { Column, HookIo } from '../../nodes/define.js';
import { ident } from '../../compiler/sql.js';
import { CaudalError } from '../../util/errors.js';
import { tsqlIdent } from './sql.js';
import { exportSelect, writeTransport } from './types.js';

/** Rows per bulk-copy batch: what the driver holds in memory at once (one batch in flight, one filling). */
export const DEFAULT_BATCH_ROWS = 10_000;

/** Staging columns are named c1, c2, …: the driver's INSERT BULK takes names it can bracket as they are. */
export const stageColumn = (i: number) => `c${i + 1}`;

/** CREATE TABLE for the staging table, every column nullable, in its transport type. */
export function stageTableDdl(name: string, columns: Column[]): string {
  return `CREATE TABLE ${name} (${columns.map((c, i) => `${tsqlIdent(stageColumn(i))} ${writeTransport(c.type).stageType} NULL`).join(', ')})`;
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
    const result = await io.db.conn.stream(`SELECT ${exportSelect(columns, tableTypes)} FROM ${relation}`);
    for await (const chunk of result.yieldRowsJs()) {
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
    await allRowsStreamed(io, relation, columns, tableTypes, rows);
    await flush();
    await settle();
    return { rows, batches };
  } finally {
    // Whatever is thrown, the batch on the wire ends first (its own failure, if another error is
    // being thrown, is dropped: the first one is the cause).
    await inFlight;
  }
}

/**
 * DuckDB's stream ends like an exhausted one when a value fails to compute once the first rows are
 * handed over (a check of exportSelect refusing a value, an upstream cast, a division by zero): the
 * driver's fetch gives an empty chunk, not the error. So the rows streamed are counted against the
 * relation's (a count of a materialized input is free; a view is read again, without the export's
 * expressions), and when short, the export is computed again without streaming, which raises
 * DuckDB's error with its words (the column and value). Nothing was moved into the target yet.
 */
async function allRowsStreamed(io: HookIo, relation: string, columns: Column[], tableTypes: Map<string, string> | undefined, streamed: number): Promise<void> {
  const [counted] = await io.db.rows(`SELECT count(*) AS n FROM ${relation}`);
  const expected = Number(counted?.n ?? 0);
  if (expected === streamed) return;
  // count() of each column makes DuckDB compute every exported value (count(*) alone would skip them).
  await io.db.rows(`SELECT ${columns.map((c) => `count(${ident(c.name)})`).join(', ')} FROM (SELECT ${exportSelect(columns, tableTypes)} FROM ${relation})`);
  throw new CaudalError('execution', `DuckDB's stream of the rows to load ended after ${streamed.toLocaleString('en-US')} of ${expected.toLocaleString('en-US')} rows without an error; nothing was committed`, {
    hint: 'run again; if it happens again, report it with the pipeline',
  });
}
