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
        return withCommandTimeout(client, config);
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

/**
 * node-redis's command timeout covers only the wait to be written, not the answer: a server that
 * stops answering after the handshake (hung, a network path that drops packets) would hold a
 * command, the run and its locks for ever. Every command gets the connection's command_timeout_s;
 * past it the connection is closed (its reply stream can no longer be trusted) and the command fails.
 */
const timeouts = new WeakMap<RedisClient, { ms: number; server: string; seconds: number }>();

function withCommandTimeout(client: RedisClient, config: RedisConfig): RedisClient {
  timeouts.set(client, { ms: config.command_timeout_s * 1000, server: `${config.host}:${config.port}`, seconds: config.command_timeout_s });
  const send = client.sendCommand.bind(client);
  client.sendCommand = ((args: readonly unknown[], ...rest: unknown[]) =>
    answeredInTime(client, String(args[0] ?? 'a command'), (send as (...a: unknown[]) => Promise<unknown>)(args, ...rest))) as typeof client.sendCommand;
  return client;
}

/** `work` (a command or pipeline on `client`), failed and the connection closed if its answer takes longer than command_timeout_s. */
export async function answeredInTime<T>(client: RedisClient, what: string, work: Promise<T>): Promise<T> {
  const limit = timeouts.get(client);
  if (!limit) return work;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const e = new Error(`${limit.server} did not answer ${what} within ${limit.seconds} s (the connection's command_timeout_s); the connection was closed`);
      // Settled before the close rejects the command itself with a vaguer error.
      reject(Object.assign(e, { code: 'ETIMEDOUT' }));
      closeRedis(client);
    }, limit.ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Which server and database a connection points at, for the commit journal (connector.recoveryTarget):
 * host, port and database number, never the user or password. Recovery of a killed run's load goes
 * through a connection with the same ones only: another project's connection of the same name may
 * be another server, where undoing or completing it would touch someone else's keys.
 */
export function redisRecoveryTarget(config: Pick<RedisConfig, 'host' | 'port' | 'database'>): Record<string, string | number> {
  return { host: config.host, port: config.port, database: config.database };
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
