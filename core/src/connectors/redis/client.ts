import type { RedisClientType } from 'redis';
import { type RedisConfig, redisClientOptions } from '../../connections/redis/redis.connection.js';
import { redact } from '../../connections/redact.js';
import { errorMessage } from '../../util/errors.js';
import { DEFAULT_RETRY, withRetry } from '../retry.js';

export type RedisClient = RedisClientType;

const TRANSIENT = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EAI_AGAIN', 'EHOSTUNREACH']);

export function isTransient(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  if (typeof code === 'string' && TRANSIENT.has(code)) return true;
  return /^LOADING|Connection timeout|Socket closed unexpectedly/i.test(errorMessage(e));
}

/** A connected client, retried with backoff on transient errors; errors never carry the password. */
export async function connectRedis(config: RedisConfig, onRetry?: (message: string) => void): Promise<RedisClient> {
  const { createClient } = await import('redis');
  try {
    return await withRetry(
      async () => {
        const client = createClient(redisClientOptions(config)) as unknown as RedisClient;
        // A socket error must not crash the worker; the pending command reports it.
        client.on('error', () => undefined);
        try {
          await withDeadline(client.connect(), config);
        } catch (e) {
          client.destroy();
          throw e;
        }
        return client;
      },
      isTransient,
      DEFAULT_RETRY,
      (e, attempt, delay) => onRetry?.(`connecting to ${config.host}:${config.port} failed (${errorMessage(e)}); attempt ${attempt + 1} in ${Math.round(delay)} ms`),
    );
  } catch (e) {
    throw Object.assign(redact(e, [config.password]), { code: (e as { code?: unknown })?.code });
  }
}

/**
 * node-redis's connectTimeout covers the TCP connect only: a server that accepts the connection and
 * never answers the handshake (HELLO, AUTH, SELECT) would hold the run forever. The whole connect
 * gets the connection's timeout.
 */
async function withDeadline(connecting: Promise<unknown>, config: RedisConfig): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const e = new Error(`${config.host}:${config.port} accepted the connection but did not answer within ${config.connect_timeout_s} s (is it a Redis server, and is it responsive?)`);
      reject(Object.assign(e, { code: 'ETIMEDOUT' }));
    }, config.connect_timeout_s * 1000);
  });
  try {
    await Promise.race([connecting, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export function closeRedis(client: RedisClient): void {
  try {
    client.destroy();
  } catch {
    // already closed
  }
}

/** A key prefix as a SCAN MATCH pattern: glob characters in it are escaped, `*` appended. */
export function prefixPattern(prefix: string): string {
  return prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`) + '*';
}

/** Every key starting with `prefix` (SCAN in pages; the caller acts on each page). */
export async function scanPrefix(client: RedisClient, prefix: string, onPage: (keys: string[]) => Promise<void>): Promise<void> {
  let cursor = '0';
  do {
    const reply = (await client.sendCommand(['SCAN', cursor, 'MATCH', prefixPattern(prefix), 'COUNT', '1000'])) as [string, string[]];
    cursor = String(reply[0]);
    if (reply[1].length > 0) await onPage(reply[1].map(String));
  } while (cursor !== '0');
}

/** Removes every key under a prefix (UNLINK frees memory in the background). Returns how many. */
export async function unlinkPrefix(client: RedisClient, prefix: string): Promise<number> {
  let n = 0;
  await scanPrefix(client, prefix, async (keys) => {
    n += Number(await client.sendCommand(['UNLINK', ...keys]));
  });
  return n;
}
