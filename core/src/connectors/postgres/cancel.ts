import type pg from 'pg';
import type { PostgresConfig } from '../../connections/postgres/postgres.connection.js';
import type { HookIo } from '../../nodes/define.js';
import { settledWithin } from '../../util/settled-within.js';
import { closeWithin, connect } from './client.js';

/** How long a cancel may take (a second session, one statement) before the read ends without it. */
const CANCEL_MS = 5000;

/** The server session a read runs in, as pg_stat_activity names it: its pid, and when it started. */
export interface Backend {
  pid: number;
  started: string;
}

/**
 * The session's backend, asked of the server itself rather than taken from the driver's connect
 * key: behind a pooler (pgbouncer) that key names no backend, and its number could be another
 * session's pid.
 */
export async function backendOf(client: pg.Client): Promise<Backend> {
  const { rows } = await client.query<{ pid: number; started: string }>(
    'SELECT a.pid, a.backend_start::text AS started FROM pg_stat_activity a WHERE a.pid = pg_backend_pid()',
  );
  return { pid: rows[0]!.pid, started: rows[0]!.started };
}

/**
 * Cancels what a read's session runs on the server once the run is cancelled. Ending the client
 * alone is not enough: a backend notices a closed socket only when it next writes to it, so a
 * long query (a sort, a sleep, COPY before its first row) ran on, holding its locks and workers.
 * The cancel goes through a short second session (the connection's own TLS and login), as
 * pg_cancel_backend, and only to the same backend (pid and start time): a pid the server has since
 * given to another session is left alone (without a backend, from a server that cannot name its
 * sessions, nothing is sent). `afterCancel` runs once the cancel was sent (or took too long): e.g.
 * to end the client, whose statement may never answer (a server, or a proxy, that stopped
 * answering). `stop()` ends the watch, cancelling first if the run was cancelled, and waits for it.
 */
export function cancelOnServer(io: HookIo, config: PostgresConfig, backend: Backend | undefined, afterCancel?: () => void): { stop(): Promise<void> } {
  let sent: Promise<void> | undefined;
  const check = () => {
    if (!io.isCancelled() || sent) return;
    clearInterval(timer);
    sent = (backend ? settledWithin(cancelBackend(config, backend), CANCEL_MS).then(() => undefined) : Promise.resolve()).then(() => afterCancel?.());
  };
  const timer = setInterval(check, 100);
  return {
    async stop() {
      // The read may have noticed the cancel first (its own poll, a failed statement).
      check();
      clearInterval(timer);
      await sent;
    },
  };
}

async function cancelBackend(config: PostgresConfig, backend: Backend): Promise<void> {
  const c = await connect(config).catch(() => undefined);
  if (!c) return;
  try {
    await c.query('SELECT pg_cancel_backend(a.pid) FROM pg_stat_activity a WHERE a.pid = $1 AND a.backend_start::text = $2', [backend.pid, backend.started]);
  } catch {
    // Best effort: the read ends anyway, and the server ends the query when it next writes to the socket.
  } finally {
    await closeWithin(c);
  }
}
