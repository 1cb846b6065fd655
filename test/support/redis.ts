import { randomUUID } from 'node:crypto';
import { createClient } from 'redis';
import { afterFile } from './cleanup.js';
import type { ResolvedConnection } from '../../core/src/nodes/define.js';
import { connectTo, SERVICES } from './services.js';

/** The test Redis that test/services/up.sh starts. */
export const REDIS_URL = SERVICES.redisUrl;

export function redisConfig(): Record<string, unknown> {
  const u = new URL(REDIS_URL);
  return { host: u.hostname, port: Number(u.port || 6379), database: Number(u.pathname.slice(1) || 0), tls: 'disable', connect_timeout_s: 10 };
}

export function redisConnection(name = 'cache'): Record<string, ResolvedConnection> {
  return { [name]: { name, type: 'redis', config: redisConfig() } };
}

const makeClient = () => createClient({ url: REDIS_URL, socket: { reconnectStrategy: false } });
export type TestRedis = ReturnType<typeof makeClient>;

/**
 * A client and a key prefix unique to the test file (`t<random>:`); every key under it, and every
 * key Caudal stages for nodes whose id contains the same random tag, is removed afterwards.
 */
export async function redisSandbox(): Promise<{ client: TestRedis; prefix: string; tag: string; keys(pattern?: string): Promise<string[]> }> {
  const client = await connectTo('redis', REDIS_URL, async () => {
    const c = makeClient();
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
