import type { SqlServerConfig } from '../../connections/sqlserver/sqlserver.connection.js';
import type { RemoteTable } from '../connector.js';
import { connectSqlServer, loadMssql } from './client.js';
import { tsqlTable } from './sql.js';
import { readTransport } from './types.js';

interface ColumnRow {
  name: string;
  base: string;
  max_length: number;
  precision: number;
  scale: number;
  collation_name: string | null;
  is_nullable: boolean;
}

/** The type as a user writes it: nvarchar(50), decimal(18,2), datetime2(7), varbinary(max). */
export function displayType(c: Pick<ColumnRow, 'base' | 'max_length' | 'precision' | 'scale'>): string {
  const b = c.base.toLowerCase();
  if (['decimal', 'numeric'].includes(b)) return `${b}(${c.precision},${c.scale})`;
  if (['datetime2', 'datetimeoffset', 'time'].includes(b)) return `${b}(${c.scale})`;
  if (['char', 'varchar', 'binary', 'varbinary'].includes(b)) return `${b}(${c.max_length === -1 ? 'max' : c.max_length})`;
  if (['nchar', 'nvarchar'].includes(b)) return `${b}(${c.max_length === -1 ? 'max' : c.max_length / 2})`;
  return b;
}

/**
 * Tables and views for the studio's pickers (system objects left out), or one table's columns with
 * the DuckDB types they will have when read.
 */
export async function discoverSqlServer(config: SqlServerConfig, scope: { schema?: string; table?: string } = {}): Promise<RemoteTable[]> {
  const sql = await loadMssql();
  const pool = await connectSqlServer(config);
  try {
    const r = await pool
      .request()
      .input('s', sql.NVarChar(128), scope.schema ?? null)
      .input('t', sql.NVarChar(128), scope.table ?? null)
      .query<{ schema: string; name: string; type: string }>(
        `SELECT s.name AS [schema], o.name AS name, RTRIM(o.type) AS type FROM sys.objects AS o JOIN sys.schemas AS s ON s.schema_id = o.schema_id
          WHERE o.type IN ('U', 'V') AND o.is_ms_shipped = 0 AND (@s IS NULL OR s.name = @s) AND (@t IS NULL OR o.name = @t) ORDER BY 1, 2`,
      );
    const tables: RemoteTable[] = r.recordset.map((t) => ({ schema: t.schema, name: t.name, kind: t.type === 'V' ? 'view' : 'table' }));
    if (scope.table === undefined) return tables;
    for (const t of tables) {
      const cols = await pool
        .request()
        .input('t', sql.NVarChar(600), tsqlTable(t))
        .query<ColumnRow>(
          'SELECT c.name, TYPE_NAME(c.system_type_id) AS base, c.max_length, c.precision, c.scale, c.collation_name, c.is_nullable FROM sys.columns AS c WHERE c.object_id = OBJECT_ID(@t) ORDER BY c.column_id',
        );
      t.columns = cols.recordset.map((c) => {
        const remoteType = displayType(c);
        return {
          name: c.name,
          remoteType: c.collation_name ? `${remoteType} COLLATE ${c.collation_name}` : remoteType,
          type: readTransport({ name: c.base.toLowerCase(), precision: c.precision, scale: c.scale }).duckdbType,
          nullable: c.is_nullable,
        };
      });
    }
    return tables;
  } finally {
    await pool.close().catch(() => undefined);
  }
}
