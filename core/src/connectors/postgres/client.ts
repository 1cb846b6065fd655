import type pg from 'pg';
import type copyStreams from 'pg-copy-streams';
import { isPasswordRequest, pgClientConfig, type PostgresConfig } from '../../connections/postgres/postgres.connection.js';
import { redact } from '../../connections/redact.js';
import { errorMessage } from '../../util/errors.js';
import { noSecretError } from '../../secrets/resolve.js';
import { DEFAULT_RETRY, withRetry } from '../retry.js';

/** SQLSTATEs and socket errors worth another try when connecting: the server is starting, full, or briefly unreachable. */
const TRANSIENT = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EAI_AGAIN', 'EHOSTUNREACH', '57P03', '53300', '08001', '08006']);

export function isTransient(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  if (typeof code === 'string' && TRANSIENT.has(code)) return true;
  return /timeout expired|Connection terminated unexpectedly/i.test(errorMessage(e));
}

/** A connected client, retried with backoff on transient errors; errors never carry the password. */
export async function connect(config: PostgresConfig, onRetry?: (message: string) => void): Promise<pg.Client> {
  try {
    return await withRetry(
      async () => {
        const { Client } = await loadPg();
        const client = new Client(pgClientConfig(config));
        try {
          await client.connect();
        } catch (e) {
          await client.end().catch(() => undefined);
          throw e;
        }
        // A session error (the server killed us) must not crash the worker; the next query reports it.
        client.on('error', () => undefined);
        // Timestamps with time zone travel in UTC; DuckDB reads the offset either way.
        await client.query("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET extra_float_digits = 3");
        return client;
      },
      isTransient,
      DEFAULT_RETRY,
      (e, attempt, delay) => onRetry?.(`connecting to ${config.host}:${config.port} failed (${errorMessage(e)}); attempt ${attempt + 1} in ${Math.round(delay)} ms`),
    );
  } catch (e) {
    // No password stored, and the server asks for one: said so (explainPgError, connections test).
    if (config.password === undefined && isPasswordRequest(e)) throw noSecretError('password');
    // Keep the driver's code (ECONNREFUSED, 28P01, …): it decides which advice the user gets.
    throw Object.assign(redact(e, [config.password]), { code: (e as { code?: unknown })?.code });
  }
}

/**
 * The driver is loaded on first use: every engine worker loads the node registry, and most runs
 * never talk to PostgreSQL (this keeps ~25 ms off each worker's start).
 */
let driver: Promise<typeof pg> | undefined;
export function loadPg(): Promise<typeof pg> {
  driver ??= import('pg').then((m) => m.default);
  return driver;
}

let copy: Promise<typeof copyStreams> | undefined;
export function loadCopyStreams(): Promise<typeof copyStreams> {
  copy ??= import('pg-copy-streams').then((m) => m.default);
  return copy;
}

/** Always-raw text values: reads turn text into DuckDB types themselves. */
export const rawText = { getTypeParser: () => (v: string) => v };
