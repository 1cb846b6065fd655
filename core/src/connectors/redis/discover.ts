import type { RedisConfig } from '../../connections/redis/redis.connection.js';
import type { RemoteTable } from '../connector.js';
import { closeRedis, connectRedis } from './client.js';

/** Keys looked at to suggest namespaces: discovery must stay cheap on a large server. */
const SAMPLE = 2000;

/**
 * Redis has no tables: for the studio's pickers, the key namespaces (the text before the first `:`)
 * found in a sample of the keys, as "tables" of schema `db<N>`.
 */
export async function discoverRedis(config: RedisConfig): Promise<RemoteTable[]> {
  const client = await connectRedis(config);
  try {
    const seen = new Set<string>();
    let cursor = '0';
    let looked = 0;
    do {
      const [next, keys] = (await client.sendCommand(['SCAN', cursor, 'COUNT', '500'])) as [string, string[]];
      cursor = String(next);
      looked += keys.length;
      for (const k of keys.map(String)) if (!k.startsWith('caudal:')) seen.add(k.includes(':') ? k.slice(0, k.indexOf(':')) : k);
    } while (cursor !== '0' && looked < SAMPLE);
    return [...seen].sort().map((name) => ({ schema: `db${config.database}`, name, kind: 'table' as const }));
  } finally {
    closeRedis(client);
  }
}
