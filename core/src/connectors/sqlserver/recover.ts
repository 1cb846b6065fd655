import type { ExternalRecovery } from '../../nodes/define.js';
import type { SqlServerConfig } from '../../connections/sqlserver/sqlserver.connection.js';
import { connectSqlServer } from './client.js';
import { explainSqlServerError } from './errors.js';
import { tsqlTable } from './sql.js';

/** What identifies the server and database a load is on, for the journal (never the password). */
export function sqlserverRecoveryTarget(config: SqlServerConfig): Record<string, string | number> {
  return {
    host: config.host,
    ...(config.port !== undefined ? { port: config.port } : {}),
    ...(config.instance !== undefined ? { instance: config.instance } : {}),
    database: config.database,
    user: config.domain ? `${config.domain}\\${config.user}` : config.user,
  };
}

/**
 * Recovery of a killed Spark driver's SQL Server load (`caudal run --engine spark`): the staging
 * table Spark's writer filled (`stageTable`: schema and name) is a real table the server keeps, so it
 * is dropped. Nothing else is left: there is no two-phase commit through the driver, and the server
 * rolled back the publishing transaction of the lost connection (a committed one dropped the table
 * itself). Loads of the DuckDB engine use a session temp table and journal nothing to recover.
 */
export async function dropSparkStageTable(config: SqlServerConfig, recovery: ExternalRecovery): Promise<void> {
  const stageTable = recovery.ref.stageTable;
  if (!Array.isArray(stageTable) || stageTable.length !== 2) return;
  const pool = await connectSqlServer(config);
  try {
    await pool.request().batch(`DROP TABLE IF EXISTS ${tsqlTable({ schema: stageTable[0]!, name: stageTable[1]! })}`);
  } catch (e) {
    throw explainSqlServerError(e, { nodeId: '', connection: recovery.connection, password: config.password });
  } finally {
    await pool.close().catch(() => undefined);
  }
}
