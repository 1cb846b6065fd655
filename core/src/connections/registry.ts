import type { ConnectionType } from './connection-type.js';
import { postgresConnection } from './postgres/postgres.connection.js';

/** THE list of connection types, like nodes/index.ts for node types. */
export const connectionTypes: readonly ConnectionType[] = [postgresConnection] as unknown as ConnectionType[];

export function getConnectionType(type: string): ConnectionType | undefined {
  return connectionTypes.find((t) => t.type === type);
}
