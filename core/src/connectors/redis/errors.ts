import { secretEnvName } from '../../secrets/env-store.js';
import { redact } from '../../connections/redact.js';
import { CaudalError, DuckDbFailure, isDuckDbError } from '../../util/errors.js';

interface RedisErrorContext {
  nodeId: string;
  connection: string;
  password?: string;
}

/**
 * A Redis failure in the words of the node that hit it, with what to do. Never contains the
 * password. Redis error replies start with an upper-case code (WRONGPASS, OOM, …).
 */
export function explainRedisError(e: unknown, ctx: RedisErrorContext): CaudalError {
  // DuckDB's own error (an upstream value that does not convert): the engine names the node and column.
  if (isDuckDbError(e)) return new DuckDbFailure(e, ctx.nodeId || undefined);
  if (e instanceof CaudalError && (e.kind === 'cancelled' || e.nodeId)) return e;
  const safe = redact(e, [ctx.password]);
  const message = safe.message;
  const code = (e as { code?: string })?.code ?? /^([A-Z]+)\b/.exec(message)?.[1];
  const prefix = `node '${ctx.nodeId}' (connection '${ctx.connection}')`;
  const opts = (hint: string) => ({ nodeId: ctx.nodeId, hint });
  // The connection broke under the client (reset, closed) without a reply: not Redis's words.
  if (code === 'ECONNRESET' || code === 'EPIPE' || /^(Socket closed unexpectedly|The client is closed)$/.test(message)) {
    return new CaudalError('io', `${prefix}: the connection to the server was lost: ${message}`, opts('the server closed the connection (a restart, a failover, CLIENT KILL, its timeout setting) or the network dropped it: run again once it can be reached'));
  }
  switch (code) {
    case 'WRONGPASS':
    case 'NOAUTH':
      return new CaudalError('io', `${prefix}: authentication failed: ${message}`, opts(`store the password with \`caudal connections add ${ctx.connection}\` or set ${secretEnvName(ctx.connection, 'password')}`));
    case 'NOPERM':
      return new CaudalError('io', `${prefix}: the user may not run a command the sink needs: ${message}`, opts('the sink needs HSET/SET, GET/HGET/HGETALL/HDEL, TYPE, RENAME, EXISTS, SCAN, UNLINK, PEXPIRE, SADD/SREM/SMEMBERS/SISMEMBER and EVAL on its keys'));
    case 'OOM':
      return new CaudalError('execution', `${prefix}: Redis is out of memory (maxmemory): ${message}`, opts('the load is rolled back; free memory on the server or raise maxmemory (the sink needs room for the old and the new values until the run commits)'));
    case 'WRONGTYPE':
      return new CaudalError('execution', `${prefix}: a key has another type than the sink writes: ${message}`, opts('the pointer key of replace_namespace must hold a string; choose another namespace or remove the key'));
    case 'READONLY':
      return new CaudalError('execution', `${prefix}: the server is a read-only replica: ${message}`, opts('point the connection at the primary (a replica takes no writes)'));
    case 'BUSY':
      return new CaudalError('execution', `${prefix}: the server is busy running a script: ${message}`, opts('wait for the script to finish (or stop it with SCRIPT KILL), then run again'));
    case 'LOADING':
      return new CaudalError('execution', `${prefix}: the server is still loading its data set: ${message}`, opts('run again once the server has loaded its data'));
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
      return new CaudalError('io', `${prefix}: cannot reach the server: ${message}`, opts(`check the host and port with \`caudal connections test ${ctx.connection}\``));
    default:
      return new CaudalError('execution', `${prefix}: Redis said: ${message}`, { nodeId: ctx.nodeId });
  }
}
