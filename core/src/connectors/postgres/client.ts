import type pg from 'pg';
import type copyStreams from 'pg-copy-streams';
import { isPasswordRequest, pgClientConfig, type PostgresConfig } from '../../connections/postgres/postgres.connection.js';
import { redact } from '../../connections/redact.js';
import { errorMessage } from '../../util/errors.js';
import { noSecretError } from '../../secrets/resolve.js';
import { DEFAULT_RETRY, withRetry } from '../retry.js';
import { settledWithin } from '../../util/settled-within.js';

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
        // Timestamps with time zone travel in UTC; DuckDB reads the offset either way. Intervals are
        // written in the style DuckDB writes them ('-1 mons +2 days'): a role or database set to
        // sql_standard read that text's leading minus as the sign of every field ('-1 mons -2 days').
        await client.query("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; SET extra_float_digits = 3");
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

/** How long a failing load waits for the server to answer its ROLLBACK, or to close, before it drops the socket. */
const GOODBYE_MS = 5000;

/**
 * Runs a statement that ends a failed load's transaction (ROLLBACK, ROLLBACK PREPARED), giving the
 * server a few seconds: one that stopped answering would otherwise keep the run waiting for ever.
 * Past that the socket is dropped, and the server rolls back an unprepared transaction itself once
 * it notices. True when the statement succeeded.
 */
export async function endTransactionWithin(client: pg.Client, sql: string, ms = GOODBYE_MS): Promise<boolean> {
  const done = await settledWithin(client.query(sql).then(() => true, () => false), ms);
  if (done === undefined) dropSocket(client);
  return done ?? false;
}

/**
 * Runs a statement of a load's commit (PREPARE TRANSACTION, COMMIT, COMMIT PREPARED), waiting at most
 * `ms` for the answer. They do little work on the server, but one that stopped answering without
 * closing the connection (its processes frozen, its VM paused) would hold the run, and what it has
 * staged elsewhere, for ever: TCP keepalive sees a live peer. Past `ms` the socket is dropped and
 * the statement fails like a lost connection (no SQLSTATE), so the caller asks a new session for
 * the outcome, as after any lost answer.
 */
export async function commitStatementWithin(client: pg.Client, sql: string, ms: number): Promise<void> {
  const answered = await settledWithin(
    client.query(sql).then(
      () => ({ ok: true as const }),
      (e: unknown) => ({ ok: false as const, e }),
    ),
    ms,
  );
  if (answered === undefined) {
    dropSocket(client);
    const statement = sql.replace(/\s+'.*$/s, '');
    throw Object.assign(new Error(`the server did not answer ${statement} within ${Math.round(ms / 1000)} s (the connection's commit_timeout_s)`), { code: 'ETIMEDOUT' });
  }
  if (!answered.ok) throw answered.e;
}

/** Closes a session, dropping the socket when the server does not see it off in time. */
export async function closeWithin(client: pg.Client, ms = GOODBYE_MS): Promise<void> {
  const done = await settledWithin(client.end().then(() => true, () => true), ms);
  if (done === undefined) dropSocket(client);
}


function dropSocket(client: pg.Client): void {
  (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
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
