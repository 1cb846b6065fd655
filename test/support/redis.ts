import { randomUUID } from 'node:crypto';
import { createClient } from 'redis';
import { afterFile } from './cleanup.js';
import type { ResolvedConnection } from '../../core/src/nodes/define.js';
import { connectTo, SERVICES } from './services.js';

/** The test Redis that test/services/up.sh starts. */
export const REDIS_URL = SERVICES.redisUrl;

/** The database of the test Redis a test uses: the URL's, unless the test file takes one of its own. */
const databaseOf = (database?: number) => database ?? Number(new URL(REDIS_URL).pathname.slice(1) || 0);

export function redisConfig(database?: number): Record<string, unknown> {
  const u = new URL(REDIS_URL);
  return { host: u.hostname, port: Number(u.port || 6379), database: databaseOf(database), tls: 'disable', connect_timeout_s: 10 };
}

export function redisConnection(name = 'cache', database?: number): Record<string, ResolvedConnection> {
  return { [name]: { name, type: 'redis', config: redisConfig(database) } };
}

const makeClient = (database?: number) => createClient({ url: REDIS_URL, database: databaseOf(database), socket: { reconnectStrategy: false } });
export type TestRedis = ReturnType<typeof makeClient>;

/**
 * A client and a key prefix unique to the test file (`t<random>:`); every key under it, and every
 * key Caudal stages for nodes whose id contains the same random tag, is removed afterwards. A file
 * whose runs are killed on purpose takes a `database` of its own: every Redis load sweeps the
 * registry of dead runs in its database, and another file's load could sweep this one's first.
 */
export async function redisSandbox(database?: number): Promise<{ client: TestRedis; prefix: string; tag: string; keys(pattern?: string): Promise<string[]> }> {
  const client = await connectTo('redis', REDIS_URL, async () => {
    const c = makeClient(database);
    c.on('error', () => undefined);
    await c.connect();
    return c;
  });
  const tag = randomUUID().slice(0, 8);
  const prefix = `t${tag}:`;
  const scan = async (pattern: string) => {
    const out: string[] = [];
    for await (const page of client.scanIterator({ MATCH: pattern, COUNT: 1000 })) out.push(...page.map(String));
    return out.sort();
  };
  afterFile(async () => {
    for (const pattern of [`${prefix}*`, `caudal:*${tag}*`]) {
      const keys = await scan(pattern);
      if (keys.length > 0) await client.del(keys);
    }
    client.destroy();
  });
  return { client, prefix, tag, keys: (pattern = `${prefix}*`) => scan(pattern) };
}
