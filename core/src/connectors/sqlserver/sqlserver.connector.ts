import { sqlserverConnection } from '../../connections/sqlserver/sqlserver.connection.js';
import type { Connector } from '../connector.js';
import { discoverSqlServer } from './discover.js';
import { planSqlServerRead } from './read.js';
import { dropSparkStageTable, sqlserverRecoveryTarget } from './recover.js';
import { writeSqlServer } from './write.js';

/**
 * SQL Server: the connection type plus discovery, streamed reads and bulk loads in one transaction.
 * The driver has no two-phase commit, and the server rolls back the transaction of a process that
 * died: recover() only drops the staging table of a killed Spark driver's load.
 */
export const sqlserverConnector = {
  ...sqlserverConnection,
  capabilities: { pushdown: true, upsert: true, incremental: true, transactional: true },
  discover: (config, scope) => discoverSqlServer(config, scope),
  planRead: planSqlServerRead,
  recover: (config, recovery) => dropSparkStageTable(config, recovery),
  recoveryTarget: sqlserverRecoveryTarget,
  write: (config, spec, source, io, ctx) => writeSqlServer(config, { upsertMethod: 'merge', ...spec }, source, io, ctx),
} satisfies Connector<typeof sqlserverConnection.fields>;
