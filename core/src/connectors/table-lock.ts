/**
 * The name of the server-side lock a load into a database table holds (PostgreSQL advisory lock,
 * SQL Server application lock), across runs and machines. The DuckDB engine's sinks and the Spark
 * job's driver take the same name, so a load on one engine excludes a load on the other.
 */
export function tableLockKey(database: string, table: { schema: string; name: string }): string {
  return `caudal:${database}/${table.schema}.${table.name}`;
}

/** SQL Server's sp_getapplock takes a resource name of at most 255 characters. */
export const sqlserverLockResource = (database: string, table: { schema: string; name: string }) => tableLockKey(database, table).slice(0, 255);
