import { postgresConnection } from '../../connections/postgres/postgres.connection.js';
import type { Connector } from '../connector.js';
import { discoverPostgres } from './discover.js';
import { planPostgresRead } from './read.js';
import { finishPrepared, postgresRecoveryTarget, writePostgres } from './write.js';

/** PostgreSQL: the connection type (fields, secrets, test) plus discovery, reads and writes. */
export const postgresConnector = {
  ...postgresConnection,
  capabilities: { pushdown: true, upsert: true, incremental: true, transactional: true },
  discover: (config, scope) => discoverPostgres(config, scope),
  planRead: planPostgresRead,
  write: writePostgres,
  recover: finishPrepared,
  recoveryTarget: postgresRecoveryTarget,
} satisfies Connector<typeof postgresConnection.fields>;
