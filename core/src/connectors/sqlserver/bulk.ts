import type mssql from 'mssql';
import type { Column, HookIo } from '../../nodes/define.js';
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
  const result = await io.db.conn.stream(`SELECT ${exportSelect(columns, tableTypes)} FROM ${relation}`);
  let table = bulkTable(sql, stageName, columns);
  let rows = 0;
  let batches = 0;
  let inFlight: Promise<unknown> | undefined;
  const flush = async () => {
    if (table.rows.length === 0) return;
    const full = table;
    table = bulkTable(sql, stageName, columns);
    if (inFlight) await inFlight;
    batches++;
    inFlight = newRequest().bulk(full, { keepNulls: true, tableLock: true });
  };
  for await (const chunk of result.yieldRowsJs()) {
    if (io.isCancelled()) break;
    for (const row of chunk) table.rows.add(...row.map(bulkValue));
    rows += chunk.length;
    if (table.rows.length >= batchRows) await flush();
    io.progress(rows);
  }
  if (io.isCancelled()) {
    await inFlight?.catch(() => undefined);
    throw new CaudalError('cancelled', 'the load was cancelled');
  }
  await flush();
  await inFlight;
  return { rows, batches };
}
