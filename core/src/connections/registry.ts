import { connectors } from '../connectors/registry.js';
import type { ConnectionType } from './connection-type.js';

/** Every connector is a connection type; the list lives in connectors/registry.ts. */
export const connectionTypes: readonly ConnectionType[] = connectors;

export function getConnectionType(type: string): ConnectionType | undefined {
  return connectionTypes.find((t) => t.type === type);
}
