import type mssql from 'mssql';
import { mssqlConfig, type SqlServerConfig } from '../../connections/sqlserver/sqlserver.connection.js';
import { redact } from '../../connections/redact.js';
import { errorMessage } from '../../util/errors.js';
import { DEFAULT_RETRY, withRetry } from '../retry.js';
import type { BoundTsql } from './query.js';
import { paramType } from './query.js';
import { settledWithin } from '../../util/settled-within.js';

/** Driver codes and server errors worth another try when connecting (unreachable, starting, busy). */
const TRANSIENT_CODES = new Set(['ESOCKET', 'ETIMEOUT', 'ECONNRESET', 'ECONNREFUSED']);
/** 4060 database unavailable (starting), 40613/40501/40197 Azure SQL busy or failing over. */
const TRANSIENT_NUMBERS = new Set([4060, 40613, 40501, 40197, 49918, 49919]);

export function isTransient(e: unknown): boolean {
  const err = e as { code?: unknown; number?: unknown; originalError?: { code?: unknown } };
  if (typeof err?.number === 'number' && TRANSIENT_NUMBERS.has(err.number)) return true;
  const code = typeof err?.code === 'string' ? err.code : undefined;
  if (code === 'ELOGIN') return false;
  if (code && TRANSIENT_CODES.has(code)) return true;
  return /ECONNREFUSED|ECONNRESET|Failed to connect .* in \d+ms/.test(errorMessage(e));
}

/**
 * The driver is loaded on first use: every engine worker loads the node registry, and most runs
 * never talk to SQL Server.
 */
let driver: Promise<typeof mssql> | undefined;
export function loadMssql(): Promise<typeof mssql> {
  driver ??= import('mssql').then((m) => m.default);
  return driver;
}

/** A connected pool of one connection, retried with backoff on transient errors; errors never carry the password. */
export async function connectSqlServer(config: SqlServerConfig, onRetry?: (message: string) => void): Promise<mssql.ConnectionPool> {
  const sql = await loadMssql();
  try {
    return await withRetry(
      async () => {
        const pool = new sql.ConnectionPool(mssqlConfig(config));
        // A connection error later (the server went away) must not crash the worker; the next request reports it.
        pool.on('error', () => undefined);
        try {
          await pool.connect();
        } catch (e) {
          await pool.close().catch(() => undefined);
          throw e;
        }
        return pool;
      },
      isTransient,
      DEFAULT_RETRY,
      (e, attempt, delay) => onRetry?.(`connecting to ${config.host}${config.instance ? `\\${config.instance}` : ''} failed (${errorMessage(e)}); attempt ${attempt + 1} in ${Math.round(delay)} ms`),
    );
  } catch (e) {
    const err = e as { code?: unknown; number?: unknown };
    throw Object.assign(redact(e, [config.password]), { code: err?.code, number: err?.number });
  }
}

/** How long a failing load waits for the server to answer its ROLLBACK, or for its pool to close, before the connection is dropped. */
export const GOODBYE_MS = 5000;


/** What the driver's pool and transaction hold underneath (tedious connections, lent out by tarn). */
interface Closable {
  close(): void;
}
type Held = { _acquiredConnection?: Closable | null };
type PoolInside = { release(connection: Closable): void; pool?: { used?: Array<{ resource?: Closable }> } | null };

/**
 * Closes the connection a transaction still holds and gives it back to the pool. The driver keeps
 * it lent out until a ROLLBACK or COMMIT answers, and closing the pool waits for it: a ROLLBACK it
 * refused (a request still running) or one the server never answers would hold the run, and the
 * table's locks, for ever. The server rolls back the transaction of a session that ends.
 */
export function dropHeldConnection(tx: mssql.Transaction, pool: mssql.ConnectionPool): void {
  const held = (tx as unknown as Held)._acquiredConnection;
  if (!held) return;
  try {
    held.close();
  } catch {
    // Already closed.
  }
  try {
    (pool as unknown as PoolInside).release(held);
  } catch {
    // Not lent out any more.
  }
}

/** Closes a pool, closing its connections outright when the pool does not close within `ms`. */
export async function closePool(pool: mssql.ConnectionPool, ms = GOODBYE_MS): Promise<void> {
  const closing = pool.close().then(
    () => true,
    () => true,
  );
  if ((await settledWithin(closing, ms)) !== undefined) return;
  const inside = pool as unknown as PoolInside;
  for (const used of [...(inside.pool?.used ?? [])]) {
    try {
      used.resource?.close();
      if (used.resource) inside.release(used.resource);
    } catch {
      // Already closed.
    }
  }
  await settledWithin(closing, ms);
}

/**
 * Ends a load's transaction that will not commit, and its pool, within a bounded time: ROLLBACK,
 * and when the driver refuses it or the server does not answer within `ms`, the connection is
 * closed instead (the server then rolls the transaction back itself).
 */
export async function abandonTransaction(tx: mssql.Transaction, pool: mssql.ConnectionPool, ms = GOODBYE_MS): Promise<void> {
  const rolledBack = await settledWithin(
    tx.rollback().then(
      () => true,
      () => false,
    ),
    ms,
  );
  if (rolledBack !== true) dropHeldConnection(tx, pool);
  await closePool(pool, ms);
}

/** A request with the bound parameters declared by their JavaScript types (see paramType). */
export function boundRequest(sql: typeof mssql, request: mssql.Request, params: BoundTsql['params']): mssql.Request {
  for (const p of params) {
    const t = paramType(p.value);
    const type = t === 'bigint' ? sql.BigInt : t === 'float' ? sql.Float : t === 'bit' ? sql.Bit : sql.NVarChar(4000);
    request.input(p.name, type, typeof p.value === 'bigint' ? p.value.toString() : p.value);
  }
  return request;
}
